import type { Db } from '../../models/db';
import type { MailConfig } from '../../config/mail';
import { insertMail } from '../../models/queries/outbox';
import { insertEvents } from '../../models/queries/sessionLog';
import { lockSession } from '../../models/queries/sessions';
import { sqlDate } from '../../models/queries/messages';
import { canKnow, type Actor } from '../access';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../errors';
import { transcriptMail, type TranscriptLine } from './mails';

/** A customer may ask for their transcript this often per session (PROTOCOL.md "Email"). */
const CUSTOMER_PER_HOUR = 3;
/**
 * And one address gets at most this many customers' transcripts an hour, whatever the sessions: anyone can open
 * chats under someone else's address, and the server must not be the tool that floods it.
 */
const PER_ADDRESS_PER_HOUR = 10;
/** The transcript's text is cut past this many characters (a mail, and MySQL's MEDIUMTEXT, have limits). */
const MAX_CHARACTERS = 1_000_000;
const HOUR_MS = 3_600_000;
/** The longest transcript mailed, in messages. */
const MAX_LINES = 5_000;

/**
 * Transcripts by mail (PROTOCOL.md "Email": POST /sessions/:id/transcript, `session:transcript`): a customer to
 * their chat's own email address, at most 3 times an hour; an operator to any address. Notes are left out.
 * Written to the outbox with the request's event in one transaction.
 */
export class TranscriptService {
  constructor(
    private readonly db: Db,
    private readonly mail: MailConfig | null,
  ) {}

  async send(actor: Actor, sessionId: string, email?: string): Promise<{ email: string }> {
    canKnow(actor, sessionId);
    return this.db.transaction(async (transaction) => {
      const session = await lockSession(this.db, sessionId, transaction);
      if (!session) throw new NotFoundError('Session not found');
      const mail = this.mail;
      if (!mail) throw new ConflictError('CONFLICT', 'This server sends no mail');
      const own = session.customerEmail ?? null;
      let to: string;
      if (actor.kind === 'customer') {
        if (!own) throw new ConflictError('CONFLICT', 'This chat has no email address to send the transcript to');
        if (email !== undefined && email.toLowerCase() !== own.toLowerCase()) throw new ForbiddenError("A transcript goes only to the chat's own email address");
        const recent = await this.db.selectRows<{ createdAt: Date | string }>(
          "SELECT created_at AS createdAt FROM session_events WHERE session_id = ? AND type = 'transcript' AND detail LIKE ? ORDER BY id DESC LIMIT ?",
          [sessionId, '%"by":"customer"%', CUSTOMER_PER_HOUR],
          transaction,
        );
        const inLastHour = recent.map((row) => new Date(row.createdAt).getTime()).filter((at) => at > Date.now() - HOUR_MS);
        if (inLastHour.length >= CUSTOMER_PER_HOUR) {
          const retryAfter = Math.ceil((Math.min(...inLastHour) + HOUR_MS - Date.now()) / 1000);
          throw new RateLimitedError(Math.max(retryAfter, 1), `At most ${CUSTOMER_PER_HOUR} transcripts an hour`);
        }
        const [sent] = await this.db.selectRows<{ n: number | string }>(
          "SELECT COUNT(*) AS n FROM chat_sessions s JOIN session_events e ON e.session_id = s.id WHERE s.customer_email = ? AND e.type = 'transcript' AND e.created_at > ? AND e.detail LIKE ?",
          [own, sqlDate(this.db, new Date(Date.now() - HOUR_MS)), '%"by":"customer"%'],
          transaction,
        );
        if (Number(sent?.n ?? 0) >= PER_ADDRESS_PER_HOUR) throw new RateLimitedError(HOUR_MS / 1000, 'Too many transcripts to this address; try again later');
        to = own;
      } else {
        const target = email ?? own;
        if (!target) throw new ConflictError('CONFLICT', 'This chat has no email address: give one');
        to = target;
      }
      const lines = await this.db.selectRows<TranscriptLine & { createdAt: Date | string }>(
        'SELECT sender_type AS senderType, sender_name AS senderName, content, created_at AS createdAt FROM chat_messages WHERE session_id = ? AND internal = 0 ORDER BY id LIMIT ?',
        [sessionId, MAX_LINES],
        transaction,
      );
      let budget = MAX_CHARACTERS;
      const kept = lines.filter((line) => (budget -= line.content.length) >= 0);
      const now = new Date();
      await insertMail(
        this.db,
        transcriptMail({ sessionId, customerName: session.customerName ?? null, to, from: mail.from, lines: kept.map((line) => ({ ...line, createdAt: new Date(line.createdAt) })) }),
        now,
        transaction,
      );
      await insertEvents(this.db, [{ sessionId, type: 'transcript', operatorId: actor.kind === 'operator' ? actor.operatorId : null, detail: { by: actor.kind, email: to } }], transaction);
      return { email: to };
    });
  }
}
