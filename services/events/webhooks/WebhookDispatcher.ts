import { randomUUID } from 'node:crypto';
import { AsyncResource } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { WebhookConfig } from '../../../config';
import type { DomainEventMap, DomainEvents } from '../DomainEvents';
import { signWebhookBody } from './signature';

/** The domain events posted to WEBHOOK_URL, with the DTOs they carry as `data`. */
export const WEBHOOK_EVENTS = ['session.created', 'session.assigned', 'session.transferred', 'session.closed', 'message.created', 'operator.status_changed', 'customer.erased'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** delivered; retry: an attempt failed and another follows; failed: attempts exhausted; dropped: queue full or stopping. */
export type WebhookOutcome = 'delivered' | 'retry' | 'failed' | 'dropped';

export interface WebhookMetrics {
  count(event: string, outcome: WebhookOutcome): void;
}

export interface WebhookLimits {
  /** Events held (queued or being delivered) at most; beyond it the oldest waiting one is dropped. */
  maxQueued: number;
  /** Attempts in flight at once, over all sessions. */
  concurrency: number;
}

const DEFAULT_LIMITS: WebhookLimits = { maxQueued: 10_000, concurrency: 10 };

interface Delivery {
  id: string;
  event: WebhookEvent;
  occurredAt: string;
  data: unknown;
  seq: number;
  /** Taken by its key's runner: no longer droppable. */
  started: boolean;
}

/** Events of one session (or one operator) are delivered one after another, in the order they were emitted. */
function orderingKey<K extends WebhookEvent>(event: K, payload: DomainEventMap[K]): string {
  if (event === 'operator.status_changed') return `operator:${(payload as DomainEventMap['operator.status_changed']).operator.id}`;
  if (event === 'message.created') return `session:${(payload as DomainEventMap['message.created']).message.sessionId}`;
  if (event === 'customer.erased') {
    const erasure = payload as DomainEventMap['customer.erased'];
    return erasure.customerId === null ? `session:${erasure.sessionIds[0] ?? ''}` : `customer:${erasure.customerId}`;
  }
  return `session:${(payload as { session: { id: string } }).session.id}`;
}

/** The body's `data`: the event's DTOs, a message's session always as the same small reference. */
function dataOf<K extends WebhookEvent>(event: K, payload: DomainEventMap[K]): unknown {
  if (event !== 'message.created') return payload;
  const { message, session } = payload as DomainEventMap['message.created'];
  return { message, session: { id: session.id, status: session.status, operatorId: session.operatorId } };
}

/**
 * Posts domain events to WEBHOOK_URL as `{ id, event, occurredAt, data }`, signed (`X-Signature`), with the
 * event id in `X-Webhook-Id` for the receiver's de-duplication (a retry after a lost answer repeats an id).
 *
 * Never in the chat's way: a listener only queues (the body is serialized when sent); delivery runs apart,
 * in order per session and in parallel across sessions, retried with exponential backoff up to
 * `maxAttempts`, then given up. A failing endpoint costs log lines and counts, never a chat reply. Memory
 * is bounded: past `maxQueued` the oldest event not yet being sent is dropped, logged and counted.
 */
export class WebhookDispatcher {
  private readonly queues = new Map<string, Delivery[]>();
  private readonly runners = new Set<Promise<void>>();
  private readonly attempts = new Set<AbortController>();
  private readonly pauses = new Set<() => void>();
  private readonly slotWaiters: Array<() => void> = [];
  private readonly unsubscribe: Array<() => void> = [];
  private readonly limits: WebhookLimits;
  private held = 0;
  private seq = 0;
  private busySlots = 0;
  /** Stopping: no more retries. Cut off: nothing more is sent. */
  private stopping = false;
  private cutOff = false;
  /**
   * Delivery runs in the async context of the dispatcher's creation, not of the request that emitted the
   * event: otherwise a session's whole run of deliveries would log under the first request's id.
   */
  private readonly scope = new AsyncResource('WebhookDispatcher');

  constructor(
    private readonly events: DomainEvents,
    private readonly config: WebhookConfig,
    private readonly metrics: WebhookMetrics,
    private readonly logger: Logger,
    limits: Partial<WebhookLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  start(): void {
    for (const event of WEBHOOK_EVENTS) {
      this.unsubscribe.push(this.events.on(event, (payload) => this.enqueue(event, payload)));
    }
  }

  /**
   * Stops taking events, retries nothing more, and gives what is queued or in flight until the deadline;
   * then aborts what is left (dropped, logged and counted).
   */
  async stop(deadlineMs: number): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.stopping = true;
    for (const wake of [...this.pauses]) wake();
    const deadline = setTimeout(() => {
      this.cutOff = true;
      for (const controller of this.attempts) controller.abort();
      for (const wake of this.slotWaiters.splice(0)) wake();
    }, deadlineMs);
    await Promise.all([...this.runners]);
    clearTimeout(deadline);
  }

  private enqueue<K extends WebhookEvent>(event: K, payload: DomainEventMap[K]): void {
    if (this.stopping) return;
    if (this.held >= this.limits.maxQueued && !this.dropOldestWaiting()) {
      this.drop([{ id: randomUUID(), event }], 'webhook queue full: event dropped');
      return;
    }
    const delivery: Delivery = { id: randomUUID(), event, occurredAt: new Date().toISOString(), data: dataOf(event, payload), seq: this.seq++, started: false };
    const key = orderingKey(event, payload);
    this.held++;
    const queue = this.queues.get(key);
    if (queue) {
      queue.push(delivery);
      return;
    }
    this.queues.set(key, [delivery]);
    const runner = this.scope.runInAsyncScope(() => this.run(key));
    this.runners.add(runner);
    void runner.finally(() => this.runners.delete(runner));
  }

  /** Delivers a key's events one after another until its queue is empty. */
  private async run(key: string): Promise<void> {
    const queue = this.queues.get(key) as Delivery[];
    try {
      while (queue.length > 0 && !this.cutOff) {
        const delivery = queue[0] as Delivery;
        delivery.started = true;
        await this.deliver(delivery).catch((error: unknown) => this.logger.error({ err: error, webhookId: delivery.id }, 'webhook delivery crashed'));
        queue.shift();
        this.held--;
      }
    } finally {
      this.queues.delete(key);
      if (queue.length > 0) {
        this.held -= queue.length;
        this.drop(queue.splice(0), 'server stopping: queued webhooks dropped');
      }
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const body = JSON.stringify({ id: delivery.id, event: delivery.event, occurredAt: delivery.occurredAt, data: delivery.data });
    const about = { webhookId: delivery.id, event: delivery.event };
    for (let attempt = 1; ; attempt++) {
      const failure = await this.attempt(delivery, body, attempt);
      if (failure === null) {
        this.metrics.count(delivery.event, 'delivered');
        this.logger.debug({ ...about, attempt }, 'webhook delivered');
        return;
      }
      if (attempt >= this.config.maxAttempts) {
        this.metrics.count(delivery.event, 'failed');
        this.logger.error({ ...about, attempt, failure }, 'webhook failed: attempts exhausted, event given up');
        return;
      }
      if (!this.stopping) {
        const delayMs = this.backoff(attempt);
        this.metrics.count(delivery.event, 'retry');
        this.logger.warn({ ...about, attempt, failure, retryInMs: delayMs }, 'webhook attempt failed; retrying');
        await this.pause(delayMs);
      }
      if (this.stopping) {
        this.drop([delivery], 'server stopping: webhook not retried', { attempt, failure });
        return;
      }
    }
  }

  /** One POST; null when the receiver answered 2xx, else what went wrong. */
  private async attempt(delivery: Delivery, body: string, attempt: number): Promise<string | null> {
    await this.takeSlot();
    if (this.cutOff) {
      this.releaseSlot();
      return 'server stopping';
    }
    const controller = new AbortController();
    this.attempts.add(controller);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.config.timeoutMs);
    try {
      const response = await fetch(this.config.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'live-chat-server-webhooks',
          'X-Webhook-Id': delivery.id,
          'X-Webhook-Event': delivery.event,
          'X-Webhook-Attempt': String(attempt),
          'X-Signature': signWebhookBody(this.config.secret, body),
        },
        body,
        // A redirect is a misconfigured URL, not a delivery: following it would turn the POST into a GET.
        redirect: 'manual',
        signal: controller.signal,
      });
      // The answer's body is of no interest; cancelling it frees the connection.
      await response.body?.cancel().catch(() => undefined);
      return response.ok ? null : `HTTP ${response.status}`;
    } catch (error) {
      if (timedOut) return `no answer within ${this.config.timeoutMs} ms`;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return cause?.code ?? cause?.message ?? (error as Error).message;
    } finally {
      clearTimeout(timer);
      this.attempts.delete(controller);
      this.releaseSlot();
    }
  }

  /** retryBaseMs, doubled for each further attempt, ±20 % so that a recovering receiver is not hit all at once. */
  private backoff(attempt: number): number {
    return Math.round(this.config.retryBaseMs * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4));
  }

  /** A wait that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.pauses.add(wake);
    });
  }

  private takeSlot(): Promise<void> {
    if (this.busySlots < this.limits.concurrency || this.cutOff) {
      this.busySlots++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.slotWaiters.push(() => {
        this.busySlots++;
        resolve();
      }),
    );
  }

  private releaseSlot(): void {
    this.busySlots--;
    this.slotWaiters.shift()?.();
  }

  /** Removes the oldest event that no runner has taken yet; false when every held event is being sent. */
  private dropOldestWaiting(): boolean {
    let oldest: { queue: Delivery[]; index: number } | null = null;
    for (const queue of this.queues.values()) {
      const index = queue.findIndex((d) => !d.started);
      const candidate = queue[index];
      if (candidate && (!oldest || candidate.seq < (oldest.queue[oldest.index] as Delivery).seq)) oldest = { queue, index };
    }
    if (!oldest) return false;
    const [dropped] = oldest.queue.splice(oldest.index, 1);
    this.held--;
    this.drop([dropped as Delivery], 'webhook queue full: oldest waiting event dropped');
    return true;
  }

  private drop(deliveries: Array<Pick<Delivery, 'id' | 'event'>>, message: string, detail: Record<string, unknown> = {}): void {
    for (const { event } of deliveries) this.metrics.count(event, 'dropped');
    this.logger.warn({ ...detail, dropped: deliveries.length, webhookIds: deliveries.slice(0, 20).map((d) => d.id) }, message);
  }
}
