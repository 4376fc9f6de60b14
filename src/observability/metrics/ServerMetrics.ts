import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';

/** Webhook deliveries by event and outcome (delivered, retry, failed, dropped), as the dispatcher reports them. */
export interface WebhookCounts {
  count(event: string, outcome: string): void;
}

export interface MetricsSources {
  /** Sessions waiting for an operator now: read at scrape time, from the database (deployment-wide). */
  waitingSessions: () => Promise<number>;
  logger: Logger;
}

/** Waits and first answers, from "at once" to "lost patience": seconds. */
const PATIENCE_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

/**
 * Every figure the server exposes at /metrics, on a registry of its own (createServer stays re-entrant:
 * several servers in one process never share or collide on prom-client's global registry). Domain figures
 * are recorded by the composition root from the domain events (src/server.ts), so no service knows it is
 * measured and nothing here knows the services.
 *
 * Each metric says how it combines across the processes of a deployment (src/metrics/clusterMetrics.ts):
 * counters and histograms add up; a figure every process reads from the database is taken once.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly webhooks: WebhookCounts;
  private readonly messages: Counter<'sender_type'>;
  private readonly assignments: Counter<'strategy'>;
  private readonly queueWait: Histogram;
  private readonly firstResponses: Histogram;
  private countSockets: () => Record<string, number> = () => ({});

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });

    const countSockets = (): Record<string, number> => this.countSockets();
    new Gauge({
      name: 'chat_sockets_connected',
      help: 'Socket.IO connections open now, by namespace (summed over the processes)',
      labelNames: ['namespace'],
      aggregator: 'sum',
      registers,
      collect() {
        for (const [namespace, count] of Object.entries(countSockets())) this.set({ namespace }, count);
      },
    });

    const { waitingSessions, logger } = sources;
    new Gauge({
      name: 'chat_queue_length',
      help: 'Sessions waiting for an operator now (read from the database: one figure for the deployment)',
      // Every process reads the same database: adding them up would count the queue once per process. The
      // scraped process lists its own fresh reading first.
      aggregator: 'first',
      registers,
      async collect() {
        try {
          this.set(await waitingSessions());
        } catch (error) {
          // The database is down: keep the last reading rather than fail the whole scrape.
          logger.debug({ err: (error as Error).message }, 'metrics: queue length unreadable');
        }
      },
    });

    this.messages = new Counter({
      name: 'chat_messages_stored_total',
      help: 'Messages stored, by sender type (customer, operator, system)',
      labelNames: ['sender_type'],
      registers,
    });
    this.assignments = new Counter({
      name: 'chat_assignments_total',
      help: 'Sessions given to an operator, by strategy (least-busy, round-robin, longest-idle, manual, previous-operator, transfer)',
      labelNames: ['strategy'],
      registers,
    });
    this.queueWait = new Histogram({
      name: 'chat_queue_wait_seconds',
      help: 'Seconds from a session\'s creation to its assignment, at each assignment (as avgWaitSeconds of /api/operators/stats)',
      buckets: [0.05, 0.1, 0.25, ...PATIENCE_BUCKETS],
      registers,
    });
    this.firstResponses = new Histogram({
      name: 'chat_first_response_seconds',
      help: 'Seconds from a session\'s assignment to its operator\'s first message',
      buckets: PATIENCE_BUCKETS,
      registers,
    });

    const deliveries = new Counter({
      name: 'chat_webhook_deliveries_total',
      help: 'Webhook deliveries by event and outcome: delivered; retry (an attempt failed, another follows); failed (attempts exhausted); dropped (queue full or server stopping)',
      labelNames: ['event', 'outcome'],
      registers,
    });
    this.webhooks = { count: (event, outcome) => deliveries.inc({ event, outcome }) };
  }

  /** Where the socket counts come from (the realtime layer is built after the app that serves /metrics). */
  watchSockets(count: () => Record<string, number>): void {
    this.countSockets = count;
  }

  /** A message stored, by its sender's type. */
  messageStored(senderType: string): void {
    this.messages.inc({ sender_type: senderType });
  }

  /** A session given to an operator, and how long it waited since its creation (ISO times). */
  assigned(strategy: string, createdAt: string, assignedAt: string | null): void {
    this.assignments.inc({ strategy });
    if (assignedAt) this.queueWait.observe(secondsBetween(createdAt, assignedAt));
  }

  /** An operator's first answer in an assignment, seconds after they got the session. */
  firstResponse(seconds: number): void {
    this.firstResponses.observe(seconds);
  }
}

function secondsBetween(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}
