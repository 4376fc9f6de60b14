import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type Redis from 'ioredis';
import type { Logger } from 'pino';

/** Hash field per process → `{ at, metrics }`; the client's key prefix keeps deployments apart. */
const KEY = 'metrics:processes';
export const PUBLISH_INTERVAL_MS = 5_000;
/** A process silent this long has stopped or lost Redis: its figures leave the sum. */
const STALE_AFTER_MS = 3 * PUBLISH_INTERVAL_MS;

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

interface Published {
  at: number;
  metrics: MetricsJson;
}

/**
 * The deployment's figures at /metrics, whichever process is scraped. pm2 cluster mode runs the workers
 * under pm2's own master, so prom-client's master-side AggregatorRegistry cannot gather them; instead every
 * process publishes its registry (as JSON) to Redis every few seconds and on each scrape, and the scraped
 * process merges every live process's figures with AggregatorRegistry.aggregate: counters and histograms
 * add up, gauges combine as each declares (sockets add up, the queue length is read once). The other
 * processes' figures are thus up to PUBLISH_INTERVAL_MS old: well inside any Prometheus scrape interval.
 * Without Redis there is one process, and its own registry is the answer.
 */
export class ClusterMetrics {
  private readonly processId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly registry: Registry,
    private readonly redis: Redis | null,
    private readonly logger: Logger,
  ) {}

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Publishes now (a new process counts from its first moment) and then every PUBLISH_INTERVAL_MS. */
  start(): void {
    if (!this.redis) return;
    const publishNow = (): void => {
      this.registry
        .getMetricsAsJSON()
        .then((metrics) => this.publish(metrics))
        .catch((error: unknown) => this.logger.debug({ err: (error as Error).message }, 'metrics: publishing to redis failed'));
    };
    publishNow();
    this.timer = setInterval(publishNow, PUBLISH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Takes this process's figures out of the deployment's sum at once (before Redis is closed). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.redis?.hdel(KEY, this.processId).catch(() => undefined);
  }

  /** The Prometheus text exposition of the whole deployment. */
  async render(): Promise<string> {
    if (!this.redis) return this.registry.metrics();
    const local = await this.registry.getMetricsAsJSON();
    let others: MetricsJson[] = [];
    try {
      await this.publish(local);
      others = await this.readOthers();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'metrics: redis unreachable; answering with this process\'s figures only');
    }
    // This process first: gauges aggregated with 'first' take its fresh reading.
    return AggregatorRegistry.aggregate([local, ...others]).metrics();
  }

  private async publish(metrics: MetricsJson): Promise<void> {
    const published: Published = { at: Date.now(), metrics };
    await this.redis?.hset(KEY, this.processId, JSON.stringify(published));
  }

  private async readOthers(): Promise<MetricsJson[]> {
    const all = (await this.redis?.hgetall(KEY)) ?? {};
    const live: MetricsJson[] = [];
    const stale: string[] = [];
    for (const [id, text] of Object.entries(all)) {
      if (id === this.processId) continue;
      const published = parse(text);
      if (published && Date.now() - published.at <= STALE_AFTER_MS) live.push(published.metrics);
      else stale.push(id);
    }
    if (stale.length > 0) await this.redis?.hdel(KEY, ...stale);
    return live;
  }
}

function parse(text: string): Published | null {
  try {
    const value = JSON.parse(text) as Published;
    return typeof value.at === 'number' && Array.isArray(value.metrics) ? value : null;
  } catch {
    return null;
  }
}
