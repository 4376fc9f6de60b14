import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Variant } from './FileStore';

/**
 * Signed, expiring links to files (PROTOCOL.md): `/api/chat/attachments/:id[/thumbnail]?exp=<unix seconds>&sig=…`,
 * sig = HMAC-SHA256 over the id, the variant and exp. Anyone holding a link may fetch the file until it expires;
 * every answer that carries a message carries fresh ones.
 */
export class AttachmentLinks {
  private readonly key: Buffer;

  /** `secret`: the server's signing secret (JWT_SECRET, shared by every process); a key of its own is derived from it. */
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createHmac('sha256', secret).update('attachment links').digest();
  }

  url(id: string, variant: Variant): string {
    const exp = Math.ceil(this.now() / 1000 + this.ttlSeconds);
    const path = variant === 'thumbnail' ? `/api/chat/attachments/${id}/thumbnail` : `/api/chat/attachments/${id}`;
    return `${path}?exp=${exp}&sig=${this.sign(id, variant, exp)}`;
  }

  /** True for a signature this server made for this file and variant, not yet expired. */
  verify(id: string, variant: Variant, exp: unknown, sig: unknown): boolean {
    if (typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp)) return false;
    const expires = Number(exp);
    if (expires * 1000 < this.now()) return false;
    const expected = Buffer.from(this.sign(id, variant, expires));
    const given = Buffer.from(sig);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(id: string, variant: Variant, exp: number): string {
    return createHmac('sha256', this.key).update(`${id}\n${variant}\n${exp}`).digest('base64url');
  }
}
