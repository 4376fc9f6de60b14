import type { Logger } from 'pino';
import type { Db } from '../../../models/db';
import type { OperatorCache } from '../../cache/OperatorCache';
import type { StateCache } from '../../cache/StateCache';
import type { DomainEvents } from '../../events/DomainEvents';
import { CommitStep, type Effects } from './CommitStep';

export interface TransitionDeps {
  db: Db;
  cache: StateCache;
  operatorCache: OperatorCache;
  events: DomainEvents;
  /** Routing's drain (services/routing): pulls the head of the queue into freed seats. */
  drain: () => Promise<void>;
  logger: Logger;
}

/**
 * Every change to a session goes through `run` (DESIGN.md decision 10): a commit step, then a publish step.
 *
 * Commit: one transaction (run again whole if the database picks it as a deadlock's victim) in which the
 * transition locks the session row, decides from what it holds, and writes the session, the seats, the
 * assignment history, the audit events and the system lines. A domain error thrown there rolls it all back,
 * and nothing is told.
 *
 * Publish, in this order, once the commit is done:
 *  1. the cache: the operators whose rows changed are re-read (or, when the commit step knows their rows
 *     exactly, taken as known) and written through, so that whoever reacts to the news reads the new loads (session → operator is written too, without being waited for);
 *  2. the news (domain events → sockets, webhooks, metrics), in the order the commit step recorded it;
 *  3. `queue.changed`, once, when the queue changed;
 *  4. a drain when a seat was freed (not awaited: the caller's answer does not wait for routing).
 * Publish steps of transitions on the same session run in the order of their commits within a process, so
 * its clients never hear of a close before the assignment it followed. A failing cache write never stops the
 * news (the cache is rebuilt from the database).
 */
export class Transitions {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly deps: TransitionDeps) {}

  async run<T>(commit: (step: CommitStep) => Promise<T>): Promise<T> {
    const { result, effects } = await this.deps.db.transaction(async (transaction) => {
      const step = new CommitStep(this.deps.db, transaction, new Date());
      const result = await commit(step);
      await step.flush();
      return { result, effects: step.effects };
    });
    await this.publish(effects);
    return result;
  }

  /** Resolves once every publish step begun so far has finished (shutdown). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  /** Chains the publish step behind earlier ones of the same sessions; registered synchronously after the commit. */
  private publish(effects: Effects): Promise<void> {
    const earlier = [...effects.sessions].flatMap((id) => this.tails.get(id) ?? []);
    const done = earlier.length === 0 ? this.publishNow(effects) : Promise.all(earlier).then(() => this.publishNow(effects));
    for (const id of effects.sessions) this.tails.set(id, done);
    void done.then(() => {
      for (const id of effects.sessions) if (this.tails.get(id) === done) this.tails.delete(id);
    });
    return done;
  }

  /** Never rejects: the change is committed, and its caller is answered whatever becomes of the cache. */
  private async publishNow(effects: Effects): Promise<void> {
    const { cache, operatorCache, events, logger } = this.deps;
    // Session → operator is not read by anyone reacting to the news: written without holding it up (one client,
    // so the writes of one session keep their order; StateCache never rejects).
    for (const [sessionId, operatorId] of effects.holders) void cache.setSessionOperator(sessionId, operatorId);
    // No await when there is no load to cache: a new session's news leaves in the tick its commit resolved.
    if (effects.operators.size > 0) {
      const reread = [...effects.operators].filter((id) => !effects.knownOperators.has(id));
      await Promise.all([
        operatorCache.writeKnown([...effects.knownOperators.values()]),
        operatorCache.refresh(reread).catch((error: unknown) => logger.warn({ err: error }, 'transition: the cache was not updated')),
      ]);
    }
    // DomainEvents never lets a listener's failure reach the emitter.
    for (const tell of effects.events) tell(events);
    if (effects.queueChanged) events.emit('queue.changed', {});
    if (effects.seatFreed) void this.deps.drain();
  }
}
