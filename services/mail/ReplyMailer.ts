import type { Logger } from 'pino';
import validator from 'validator';
import type { MailConfig } from '../../config/mail';
import type { Db } from '../../models/db';
import { insertMail } from '../../models/queries/outbox';
import { lockReplyTarget, markMailedUpTo, sessionsWithRepliesDue, unmailedReplies } from '../../models/queries/replyMails';
import { repliesMail } from './mails';
import { replyAddress } from './replyAddress';

/** A reply mail is minutes late by design (EMAIL_REPLY_DELAY_SECONDS): looking every few seconds is enough. */
const TICK_MS = 5_000;
/** Sessions looked at per pass, the longest waiting first (connected customers' sessions are passed over). */
const BATCH = 200;
/** Sessions whose last message is older than the delay plus this are not looked at again. */
const LOOK_BACK_MS = 3_600_000;

/**
 * Replies by email (PROTOCOL.md "Email"): an operator's answer the customer has not read, while the customer has
 * no live socket, is mailed once it is EMAIL_REPLY_DELAY_SECONDS old, with every other unseen answer of that
 * session, from the session's signed reply address. Decided under the session's lock, and written to the outbox
 * with the mark of what was mailed, in one transaction: with several processes each answer is mailed once.
 */
export class ReplyMailer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly mail: MailConfig,
    private readonly secret: string,
    private readonly delaySeconds: number,
    /** Whether the session's customer has a live socket on any process. */
    private readonly customerConnected: (sessionId: string) => Promise<boolean>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.tick()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'reply mails: pass failed'))
        .finally(() => (this.running = null));
    }, TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  async tick(): Promise<void> {
    const now = Date.now();
    const due = new Date(now - this.delaySeconds * 1000);
    for (const sessionId of await sessionsWithRepliesDue(this.db, new Date(due.getTime() - LOOK_BACK_MS), due, BATCH)) {
      // Stopping: the rest waits for the next process's pass.
      if (!this.timer) return;
      if (await this.customerConnected(sessionId)) continue;
      await this.db.transaction(async (transaction) => {
        const target = await lockReplyTarget(this.db, sessionId, transaction);
        if (!target?.customerEmail) return;
        const replies = await unmailedReplies(this.db, sessionId, target.mailedUpTo, transaction);
        const last = replies[replies.length - 1];
        if (!last || (replies[0]?.createdAt ?? last.createdAt) > due) return;
        // An address that cannot be mailed is passed over for good: nothing is retried on every pass.
        if (validator.isEmail(target.customerEmail)) {
          const mail = repliesMail({
            sessionId,
            customerName: target.customerName,
            customerEmail: target.customerEmail,
            replies,
            replyTo: replyAddress(sessionId, this.secret, this.mail.from),
            from: this.mail.from,
          });
          await insertMail(this.db, mail, new Date(), transaction);
        }
        await markMailedUpTo(this.db, sessionId, last.id, transaction);
      });
    }
  }
}
