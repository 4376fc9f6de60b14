import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../../models/db';
import { releaseLease, takeLease } from '../../models/queries/leases';
import type { PrivacyService } from '../privacy/PrivacyService';

/** How often a process looks for expired sessions (retention is counted in days: no hurry). */
const POLL_MS = 10_000;
/** Sessions per batch: each is its own short transaction, so a batch never holds the database long. */
const BATCH = 20;
/** Between batches: the message path and routing get the database to themselves for a moment. */
const PAUSE_MS = 50;
/** How long the lease lasts unless renewed; renewed after every batch. */
const LEASE_MS = 60_000;

/** What this process's passes did (bench:retention and the tests read it). */
export interface RetentionCounts {
  batches: number;
  selected: number;
  erased: number;
}

/**
 * MESSAGE_RETENTION_DAYS (PROTOCOL.md "Customer data"): closed sessions older than that are erased the same way
 * an admin would, by the sweeper's side. One process at a time (a lease in the database, taken with a
 * conditional UPDATE), so with several processes no batch is done twice; a process that stops holding it (it
 * stalled past the lease) stops after its batch, and the erasure's own lock makes a session's erasure happen once
 * anyway. Small batches with a pause between, so a purge of a long backlog does not move the message path's p99.
 */
export class RetentionJob {
  readonly counts: RetentionCounts = { batches: 0, selected: 0, erased: 0 };
  private readonly holder = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly privacy: PrivacyService,
    private readonly retentionDays: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.retentionDays === 0) return;
    this.timer = setInterval(() => void this.run(), POLL_MS);
    this.timer.unref();
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass until nothing has expired (or the lease is lost, or the process stops); overlapping calls share it. */
  run(): Promise<void> {
    this.running ??= this.pass()
      .catch((error: unknown) => this.logger.error({ err: error }, 'retention pass failed'))
      .finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    if (this.retentionDays === 0 || !(await this.lease())) return;
    try {
      while (!this.stopping) {
        const cutoff = new Date(Date.now() - this.retentionDays * 86_400_000);
        const batch = await this.privacy.eraseExpired(cutoff, BATCH, () => this.stopping);
        this.counts.batches += 1;
        this.counts.selected += batch.selected;
        this.counts.erased += batch.erased;
        // A whole batch that failed (sessions that cannot be erased now) waits for the next look, not a tight loop.
        if (batch.selected < BATCH || batch.erased === 0 || !(await this.lease())) return;
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      }
    } finally {
      await releaseLease(this.db, 'retention', this.holder);
    }
  }

  private lease(): Promise<boolean> {
    const now = new Date();
    return takeLease(this.db, 'retention', this.holder, now, new Date(now.getTime() + LEASE_MS));
  }
}
