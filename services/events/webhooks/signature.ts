import { createHmac } from 'node:crypto';

/**
 * The `X-Signature` header of a webhook body: `sha256=` and the hex HMAC-SHA256 of the raw body under
 * WEBHOOK_SECRET. A receiver recomputes it over the raw bytes it received and compares in constant time.
 */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
