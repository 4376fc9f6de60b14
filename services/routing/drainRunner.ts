import { AsyncResource } from 'node:async_hooks';
import type { Logger } from 'pino';

/**
 * Runs routing passes until the queue's head is served, for whoever asked. A drain() resolves once a drain that
 * started after the call has finished, so a caller that just queued a session sees it routed (or still waiting
 * for want of a seat). Calls that arrive while a drain runs are folded into the next one: a burst of triggers
 * costs at most two. Never rejects: a failed pass is logged, and the sweeper's next drain tries again.
 */
export class DrainRunner {
  /** The running drain loop, if any. */
  private loop: Promise<void> | null = null;
  /**
   * The loop serves every caller, so it runs in the async context this was built in, not in the first
   * caller's: its log lines must not carry one request's id.
   */
  private readonly scope = new AsyncResource('routing-drain');
  /** Callers waiting for a drain that starts after their call (folded into one). */
  private requested: { promise: Promise<void>; resolve: () => void } | null = null;

  /** `pass` runs one routing pass and says whether another should follow at once (it filled a whole pass). */
  constructor(
    private readonly pass: () => Promise<boolean>,
    private readonly logger: Logger,
  ) {}

  drain(): Promise<void> {
    if (!this.requested) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.requested = { promise, resolve };
    }
    const { promise } = this.requested;
    this.loop ??= this.scope.runInAsyncScope(() => this.run());
    return promise;
  }

  /** Resolves once no drain is running (shutdown, before the database closes). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private async run(): Promise<void> {
    try {
      while (this.requested) {
        const { resolve } = this.requested;
        this.requested = null;
        try {
          while (await this.pass());
        } catch (error) {
          this.logger.error({ err: error }, 'routing pass failed');
        }
        resolve();
      }
    } finally {
      // Same synchronous step as the loop's last check: a drain() call cannot slip in between and be missed.
      this.loop = null;
    }
  }
}
