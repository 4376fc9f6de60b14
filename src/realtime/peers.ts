import type { EventEmitter } from 'node:events';
import type { CustomerNamespace } from './events';
import type { Logger } from 'pino';

/** How often the adapter is asked how many processes listen. */
const COUNT_EVERY_MS = 2_000;

/** The adapter's subscriber connection, as far as Peers needs it (an ioredis client). */
export interface Subscriber extends EventEmitter {
  ping(): Promise<unknown>;
}

/**
 * Whether other processes of the deployment listen, so that this one knows when its notices (rooms.ts: what it
 * told its sockets in a tick) are a Redis publish that nobody reads: one process with Redis (for the cache and
 * the rate limits) would otherwise publish every message group and decode its own echo. Every event to the
 * other processes' sockets goes by notice, so a wrong "alone" would silence them all: hence the care below.
 *
 * The adapter counts the processes subscribed to its request channel (PUBSUB NUMSUB) every COUNT_EVERY_MS.
 * Each time this process's subscriber connection is ready (at start and after every reconnect) and a ping
 * has come back on it, which it does after the adapter's SUBSCRIBEs, the process says hello: the others
 * know of it at once rather than at their next count. "Alone" is concluded only from a count asked while
 * this process was subscribed, answered before any hello arrived and before its own subscription changed: a
 * count that may predate a newcomer, or that counted this process out, cannot stop the notices. Otherwise,
 * and whenever counting fails, other processes are assumed: a publish too many costs little, a missing one
 * loses a delivery.
 */
export class Peers {
  private others = true;
  /** Hellos heard so far. */
  private hellos = 0;
  /** Bumped each time the subscriber is subscribed again; 0 while it is not. */
  private subscription = 0;
  private subscriptions = 0;
  private counting = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private announce: () => void = () => undefined;
  /** Resolves once this process has said its first hello. */
  readonly announced: Promise<void> = new Promise((resolve) => {
    this.announce = resolve;
  });

  constructor(
    private readonly namespace: CustomerNamespace,
    private readonly subscriber: Subscriber,
    private readonly logger: Logger,
  ) {
    namespace.on('process:hello', () => {
      this.hellos++;
      this.others = true;
    });
    subscriber.on('ready', () => void this.subscribed());
    subscriber.on('close', () => {
      this.subscription = 0;
      this.others = true;
    });
  }

  /** True unless the last count found this process alone. */
  get present(): boolean {
    return this.others;
  }

  /** Counts every COUNT_EVERY_MS from now on. */
  start(): void {
    if (this.stopped) return;
    this.timer ??= setInterval(() => void this.count(), COUNT_EVERY_MS).unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Asks the adapter how many processes listen (also done every COUNT_EVERY_MS once started). */
  async count(): Promise<void> {
    if (this.counting || this.subscription === 0 || this.stopped) return;
    this.counting = true;
    const asked = { hellos: this.hellos, subscription: this.subscription };
    try {
      const servers = await this.namespace.adapter.serverCount();
      if (servers > 1) this.others = true;
      else if (this.hellos === asked.hellos && this.subscription === asked.subscription) this.others = false;
    } catch (error) {
      this.others = true;
      this.logger.debug({ err: error }, 'socket.io adapter: could not count the processes');
    } finally {
      this.counting = false;
    }
  }

  private async subscribed(): Promise<void> {
    try {
      await this.subscriber.ping();
    } catch {
      return;
    }
    if (this.stopped) return;
    this.subscription = ++this.subscriptions;
    this.namespace.serverSideEmit('process:hello');
    this.announce();
    void this.count();
  }
}
