import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Reply addresses (PROTOCOL.md "Email"): `reply+<sessionId>.<signature>@<domain of MAIL_FROM>`, the signature an
 * HMAC of the session id, so that nobody can make up the address of a session that is not theirs.
 */
const SIGNATURE_CHARS = 24;
const ADDRESS = /^reply\+([0-9a-f-]{36})\.([0-9a-f]+)@/i;

const signatureOf = (sessionId: string, secret: string): string => createHmac('sha256', secret).update(`reply:${sessionId}`).digest('hex').slice(0, SIGNATURE_CHARS);

/** The domain of MAIL_FROM, bare (`chat@example.com`) or with a name (`Acme Support <chat@example.com>`). */
export function mailDomain(from: string): string {
  return /@([^@\s<>]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
}

export function replyAddress(sessionId: string, secret: string, from: string): string {
  return `reply+${sessionId}.${signatureOf(sessionId, secret)}@${mailDomain(from)}`;
}

/** The session a reply address stands for, when its signature is right; null for anything else. */
export function sessionOfReplyAddress(address: string, secret: string): string | null {
  const match = ADDRESS.exec(address.trim());
  if (!match) return null;
  const [, sessionId, signature] = match as unknown as [string, string, string];
  const expected = Buffer.from(signatureOf(sessionId.toLowerCase(), secret));
  const given = Buffer.from(signature.toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected) ? sessionId.toLowerCase() : null;
}
