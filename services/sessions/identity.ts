import { createHmac, timingSafeEqual } from 'node:crypto';
import { UnauthenticatedError } from '../errors';

/**
 * With IDENTITY_SECRET a customerId must carry its HMAC (hex HMAC-SHA256 of the id); returns whether the
 * customer is verified. Without the secret, or without a customerId, nobody is.
 */
export function verifyIdentity(secret: string | undefined, customerId?: string, identityHash?: string): boolean {
  if (!secret || customerId === undefined) return false;
  const expected = createHmac('sha256', secret).update(customerId).digest();
  const given = Buffer.from(identityHash ?? '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new UnauthenticatedError('customerId needs a valid identityHash');
  }
  return true;
}
