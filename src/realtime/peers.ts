import type { Namespace } from 'socket.io';
import type { Logger } from 'pino';

/** How often the adapter is asked how many processes listen. */
const COUNT_EVERY_MS = 2_000;

/**
 * Whether other processes of the deployment listen, so that this one knows when telling them of its stored
 * messages (rooms.ts) is a Redis publish that nobody reads: one process with Redis (for the cache and the rate
 * limits) would otherwise publish every message group and decode its own echo.
 *
 * The adapter counts the processes subscribed to its request channel (PUBSUB NUMSUB) every COUNT_EVERY_MS,
 * and a process that starts says hello once its own subscriptions are in place, so the others know of it at
 * once, before any of its clients can have joined a room. A count that was asked before a hello arrived
 * cannot undo it (it may not include the newcomer). Until the first count, and whenever counting fails,
 * other processes are assumed: a publish too many costs little, a missing one loses a delivery.
 */
export class Peers {
  private others = true;
  private helloAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly namespace: Namespace,
    private readonly logger: Logger,
  ) {
    namespace.on('process:hello', () => {
      this.helloAt = Date.now();
      this.others = true;
    });
  }

  /** True unless the last count found this process alone. */
  get present(): boolean {
    return this.others;
  }

  /** Says hello (call once this process's adapter subscriptions are in place), then counts periodically. */
  start(): void {
    this.namespace.serverSideEmit('process:hello');
    this.timer = setInterval(() => void this.count(), COUNT_EVERY_MS).unref();
    void this.count();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Asks the adapter how many processes listen (also done every COUNT_EVERY_MS once started). */
  async count(): Promise<void> {
    const askedAt = Date.now();
    try {
      const servers = await this.namespace.adapter.serverCount();
      if (servers > 1) this.others = true;
      else if (this.helloAt < askedAt) this.others = false;
    } catch (error) {
      this.others = true;
      this.logger.debug({ err: error }, 'socket.io adapter: could not count the processes');
    }
  }
}
