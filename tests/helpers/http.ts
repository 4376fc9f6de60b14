import { randomUUID } from 'node:crypto';
import type request from 'supertest';

/**
 * The HTTP basics every REST helper and suite shares: the test password, the Authorization header, unique
 * emails, and the checks on a response (its status, the failure envelope, no secret in it).
 */

export const PASSWORD = 'correct-horse-battery-staple';

export const bearer = (token: string): { Authorization: string } => ({ Authorization: `Bearer ${token}` });

export function uniqueEmail(prefix = 'operator'): string {
  return `${prefix}.${randomUUID().slice(0, 12)}@example.com`;
}

/** Fails with the response body in the message, so a failing setup step says what the server answered. */
export function expectStatus(res: request.Response, status: number): void {
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  }
}

/** The failure envelope of PROTOCOL.md with that status and code. */
export function expectError(res: request.Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expectErrorEnvelope(res);
}

/** `{ success: false, error: { code, message, details? } }` and nothing else. */
export function expectErrorEnvelope(res: request.Response): void {
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(res.body).toEqual({
    success: false,
    error: expect.objectContaining({ code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) }),
  });
  expect(Object.keys(res.body.error).every((key) => ['code', 'message', 'details'].includes(key))).toBe(true);
  expect(res.body.error.message.length).toBeGreaterThan(0);
}

/** Strings that would betray a secret in a response: password or token hashes, or the password itself. */
export function expectNoSecrets(text: string, password = PASSWORD): void {
  expect(text).not.toMatch(/passwordHash|password_hash|tokenHash|token_hash|tokenVersion|token_version|scrypt\$/i);
  expect(text).not.toContain(password);
}

/**
 * Sends the request and fails when the response carries a secret: a password or token hash, the test password,
 * or any of `secrets` (other passwords the test uses). Every response a suite receives this way is checked.
 */
export async function sendChecked(test: request.Test, secrets: string[] = []): Promise<request.Response> {
  const res = await test;
  expectNoSecrets(res.text);
  for (const secret of secrets) expect(res.text).not.toContain(secret);
  return res;
}
