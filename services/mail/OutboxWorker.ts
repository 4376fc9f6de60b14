import type { Logger } from 'pino';
import type { Db } from '../../models/db';
import { claimDue, markFailed, markSent, reschedule, type QueuedMail } from '../../models/queries/outbox';
import type { MailTransport } from './MailTransport';

/** How often each process looks for mail due. */
const POLL_MS = 1_000;
/**
 * A claimed mail is another process's again after this, if its sender died before saying how it went. Mails
 * are claimed one at a time, so one send (at most 50 s: the transport's connection, greeting and socket
 * timeouts) always ends well inside its claim.
 */
const LEASE_MS = 120_000;
/** Retries: the first after 5 s, doubling up to 5 minutes, for 24 hours (PROTOCOL.md "Email"). */
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 300_000;
const GIVE_UP_AFTER_MS = 24 * 3_600_000;

/** When a mail that failed its `attempts`-th time is tried again; null: it has been tried for long enough. */
export function retryAt(mail: Pick<QueuedMail, 'attempts' | 'createdAt'>, now: Date): Date | null {
  const delay = Math.min(FIRST_RETRY_MS * 2 ** Math.max(mail.attempts - 1, 0), MAX_RETRY_MS);
  const at = now.getTime() + delay;
  return at - mail.createdAt.getTime() > GIVE_UP_AFTER_MS ? null : new Date(at);
}

/**
 * Sends the outbox (DESIGN.md decision 12), in every process: claims what is due (no two processes claim one
 * mail), sends each, marks it sent, or schedules its retry, or after 24 hours marks it failed. Never in a
 * request's path. `stop` lets what is being sent finish.
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly transport: MailTransport,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.poke(), POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    this.transport.close();
  }

  private poke(): void {
    if (this.running) return;
    this.running = this.sendDue()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'mail outbox: could not read what is due'))
      .finally(() => (this.running = null));
  }

  /** One mail at a time until none is due, or the process is stopping (what is left waits in the outbox). */
  private async sendDue(): Promise<void> {
    while (this.timer) {
      const [mail] = await claimDue(this.db, new Date(), LEASE_MS, 1);
      if (!mail) return;
      await this.sendOne(mail);
    }
  }

  private async sendOne(mail: QueuedMail): Promise<void> {
    try {
      await this.transport.send(mail);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const at = retryAt(mail, new Date());
      if (at) await reschedule(this.db, mail, at, reason);
      else await markFailed(this.db, mail, reason);
      this.logger.warn({ mailId: mail.id, kind: mail.kind, attempts: mail.attempts, retryAt: at, err: error }, at ? 'mail not sent: will retry' : 'mail not sent: given up');
      return;
    }
    await markSent(this.db, mail, new Date());
    this.logger.info({ mailId: mail.id, kind: mail.kind, sessionId: mail.sessionId }, 'mail sent');
  }
}
