import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressObject, ParsedMail } from 'mailparser';
import type { MailConfig } from '../../config/mail';
import type { MessageDTO } from '../contract';
import { ConflictError, NotFoundError, UnauthenticatedError, ValidationError } from '../errors';
import type { MessageService } from '../messages/MessageService';
import { htmlText, replyText } from './inboundText';
import { sessionOfReplyAddress } from './replyAddress';

const sameSecret = (given: string, expected: string): boolean => {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
};

const addressesOf = (field: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((group) => group.value.flatMap((entry) => [entry.address ?? '', ...(entry.group ?? []).map((g) => g.address ?? '')]));

/** Every recipient a provider may have kept: To, Cc, and the Delivered-To / X-Original-To headers. */
function recipientsOf(mail: ParsedMail): string[] {
  const headers = ['delivered-to', 'x-original-to']
    .flatMap((name) => {
      const value = mail.headers.get(name);
      return Array.isArray(value) ? value : value === undefined ? [] : [value];
    })
    .flatMap((value) => (typeof value === 'string' ? [value] : typeof value === 'object' && value !== null && 'text' in value ? [String((value as { text: unknown }).text)] : []));
  return [...addressesOf(mail.to), ...addressesOf(mail.cc), ...headers.flatMap((v) => v.split(','))].map((a) => a.replace(/^.*<|>.*$/g, '').trim()).filter(Boolean);
}

/**
 * A customer's reply by email (PROTOCOL.md "Email": POST /api/inbound/email): the raw mail from the provider's
 * inbound hook, with its secret; the session is the one a recipient's signed reply address names; the text,
 * its quoted history and signature taken off, becomes the customer's message. The same mail twice (its
 * Message-ID) is stored once: it is the message's clientMessageId.
 */
export class InboundMail {
  constructor(
    private readonly mail: MailConfig | null,
    private readonly secret: string,
    private readonly messages: MessageService,
    private readonly maxLength: number,
    /** A closed session back in the queue (transitions/reopen.ts). */
    private readonly reopen: (sessionId: string) => Promise<unknown>,
  ) {}

  /**
   * The inbound hook's secret, checked before the body is read (a public route must not buffer 25 MB for
   * anyone): unset → 404 (there is no such endpoint), wrong or missing → 401.
   */
  authorize(authorization: string | undefined): void {
    const expected = this.mail?.inboundSecret;
    if (!expected) throw new NotFoundError('Inbound mail is not set up on this server');
    const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!given || !sameSecret(given, expected)) throw new UnauthenticatedError('A valid INBOUND_EMAIL_SECRET is required');
  }

  async receive(authorization: string | undefined, raw: unknown): Promise<{ message: MessageDTO; created: boolean }> {
    this.authorize(authorization);
    if (!Buffer.isBuffer(raw) || raw.length === 0) throw new ValidationError('The body must be the raw mail', [{ field: 'body', message: 'the mail as sent, with Content-Type: message/rfc822' }]);
    let parsed: ParsedMail;
    // Loaded with the first mail, not at start-up (a restart waits on every module it loads).
    const { simpleParser } = await import('mailparser');
    try {
      parsed = await simpleParser(raw);
    } catch {
      throw new ValidationError('The body is not a mail', [{ field: 'body', message: 'not a MIME message' }]);
    }
    const sessionId = recipientsOf(parsed)
      .map((address) => sessionOfReplyAddress(address, this.secret))
      .find((id): id is string => id !== null);
    if (!sessionId) throw new NotFoundError('No recipient is a reply address of this server');
    // Cut before any work on it: what is kept is at most a message long.
    const body = parsed.text?.trim() ? parsed.text.slice(0, this.maxLength * 4) : parsed.html ? htmlText(parsed.html.slice(0, this.maxLength * 40)) : '';
    const content = replyText(body).slice(0, this.maxLength);
    if (content === '') throw new ValidationError('The mail holds no text', [{ field: 'body', message: 'no text to store (an attachment alone is not taken)' }]);
    const key = parsed.messageId ?? createHash('sha256').update(raw).digest('hex');
    const clientMessageId = `mail-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
    const post = () => this.messages.postMessage({ kind: 'customer', sessionId }, sessionId, { content, clientMessageId });
    try {
      return await post();
    } catch (error) {
      // Replies come hours later, mostly after the chat was closed: it opens again, so that someone reads this one.
      if (!(error instanceof ConflictError && error.code === 'SESSION_CLOSED')) throw error;
      await this.reopen(sessionId);
      return post();
    }
  }
}
