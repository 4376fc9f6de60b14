import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A customer token is `<sessionId>.<secret>`: the session id says which row to check, the secret is kept only
 * as a SHA-256 hash. It outlives restarts (no signing key involved) and is bound to that one session.
 */
export function issueCustomerToken(sessionId: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${sessionId}.${secret}`, hash: hashSecret(secret) };
}

export function parseCustomerToken(token: string): { sessionId: string; secret: string } | null {
  const dot = token.indexOf('.');
  if (dot !== 36) return null;
  const sessionId = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  if (!UUID.test(sessionId) || !/^[\w-]{20,100}$/.test(secret)) return null;
  return { sessionId, secret };
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
