import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type Redis from 'ioredis';
import type { Logger } from 'pino';

/** Hash field per process → `{ at, metrics }`; the client's key prefix keeps deployments apart. */
const KEY = 'metrics:processes';
/**
 * Hash field per stopped process → its last counters and histograms. They stay in the deployment's sums, so a
 * restart or `pm2 reload` never makes a counter go down (Prometheus would read that as a reset, and rate()
 * would spike). Folded into one field now and then, under a short lock.
 */
const RETIRED_KEY = 'metrics:retired';
const COMPACT_LOCK = 'metrics:retired:compacting';
const COMPACT_ABOVE = 16;
const MONOTONIC = new Set(['counter', 'histogram']);
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

  /**
   * Takes this process out of the live set at once (before Redis is closed): its gauges (sockets) leave the
   * sums, its counters and histograms stay, as retired figures.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.redis) return;
    try {
      await this.retire(this.processId, await this.registry.getMetricsAsJSON());
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'metrics: could not retire this process\'s figures in redis');
    }
  }

  /** The Prometheus text exposition of the whole deployment. */
  async render(): Promise<string> {
    if (!this.redis) return this.registry.metrics();
    const local = await this.registry.getMetricsAsJSON();
    let others: MetricsJson[] = [];
    try {
      await this.publish(local);
      others = [...(await this.readOthers()), ...(await this.readRetired())];
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'metrics: redis unreachable; answering with this process\'s figures only');
    }
    // This process first: gauges aggregated with 'first' take its fresh reading.
    return AggregatorRegistry.aggregate([local, ...others]).metrics();
  }

  /**
   * Moves a process's figures from the live set to the retired ones. Only the caller whose HDEL removed the
   * entry retires it, so two processes finding the same stale entry never count it twice.
   */
  private async retire(processId: string, metrics: MetricsJson): Promise<void> {
    const redis = this.redis;
    if (!redis) return;
    // prom-client's typings declare `type` a numeric enum; the JSON it produces carries 'counter', 'gauge'…
    const monotonic = metrics.filter((metric) => MONOTONIC.has(String(metric.type)));
    if ((await redis.hdel(KEY, processId)) !== 1 && processId !== this.processId) return;
    await redis.hset(RETIRED_KEY, processId, JSON.stringify(monotonic));
    if ((await redis.hlen(RETIRED_KEY)) > COMPACT_ABOVE) await this.compact();
  }

  /**
   * Folds the retired entries into one. Fields are only ever added under new names, and the fields read are
   * replaced by their sum in one MULTI, so entries retired meanwhile are untouched; the lock keeps two
   * processes from folding the same fields twice.
   */
  private async compact(): Promise<void> {
    const redis = this.redis;
    if (!redis || (await redis.set(COMPACT_LOCK, this.processId, 'PX', 10_000, 'NX')) !== 'OK') return;
    try {
      const retired = await redis.hgetall(RETIRED_KEY);
      const parts = Object.values(retired).map(parseMetrics).filter((m): m is MetricsJson => m !== null);
      const folded = await AggregatorRegistry.aggregate(parts).getMetricsAsJSON();
      await redis.multi().hdel(RETIRED_KEY, ...Object.keys(retired)).hset(RETIRED_KEY, `folded:${randomUUID()}`, JSON.stringify(folded)).exec();
    } finally {
      await redis.del(COMPACT_LOCK);
    }
  }

  private async readRetired(): Promise<MetricsJson[]> {
    const retired = (await this.redis?.hgetall(RETIRED_KEY)) ?? {};
    return Object.values(retired).map(parseMetrics).filter((m): m is MetricsJson => m !== null);
  }

  private async publish(metrics: MetricsJson): Promise<void> {
    const published: Published = { at: Date.now(), metrics };
    await this.redis?.hset(KEY, this.processId, JSON.stringify(published));
  }

  private async readOthers(): Promise<MetricsJson[]> {
    const all = (await this.redis?.hgetall(KEY)) ?? {};
    const live: MetricsJson[] = [];
    for (const [id, text] of Object.entries(all)) {
      if (id === this.processId) continue;
      const published = parse(text);
      if (published && Date.now() - published.at <= STALE_AFTER_MS) live.push(published.metrics);
      // Silent too long (crashed, cut off): its last figures are retired, not lost.
      else await this.retire(id, published?.metrics ?? []);
    }
    return live;
  }
}

function parseMetrics(text: string): MetricsJson | null {
  try {
    const value = JSON.parse(text) as MetricsJson;
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
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
