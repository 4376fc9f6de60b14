import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { validateInput, type Schema } from '../../middleware/validation';
import { checkRule, type AccessRule, type Actor } from '../../services/access';
import { toAppError } from '../../services/errors';
import { runInRequestContext } from '../observability/requestContext';

/** One client → server event of a namespace: who may send it, its payload's schema, and what it does. */
export interface EventSpec<C> {
  access: AccessRule;
  schema: Schema;
  handle(context: C, input: unknown): Promise<unknown>;
}

/** What every socket context carries: the actor its handshake found, and the session it is bound to (customers). */
export interface EventContext {
  actor: Actor;
  sessionId?: string;
}

/**
 * An event whose handler reads its input as validated by `schema` (the validation is what makes it a T).
 * `access` is the rule the wrapper checks before validating, as a REST route's (services/access.ts).
 */
export function event<C, T>(access: AccessRule, schema: Schema, handle: (context: C, input: T) => Promise<unknown>): EventSpec<C> {
  return { access, schema, handle: (context, input) => handle(context, input as T) };
}

/**
 * A namespace's event table, keyed by the contract's event names. Refused at start-up when an entry declares
 * no access rule (fail-closed, as the REST registry refuses a route without one).
 */
export function eventTable<C, N extends string>(namespace: string, entries: Record<N, EventSpec<C>>): ReadonlyMap<string, EventSpec<C>> {
  for (const [name, spec] of Object.entries<EventSpec<C>>(entries)) {
    if (!spec.access) throw new Error(`socket event ${namespace} ${name} has no access rule`);
  }
  return new Map(Object.entries(entries));
}

/**
 * The one wrapper every socket event goes through: checks the event's access rule, validates the payload with
 * the same schemas as REST, insists on an acknowledgement callback, runs the handler, and answers
 * `{ok:true,data}` or `{ok:false,error}`. A missing callback, a garbage payload or a thrown error never reaches
 * Socket.IO, so no event can crash or stall the process. An event the namespace does not know is answered
 * NOT_FOUND when it carries an acknowledgement.
 *
 * The namespace's events are one table, shared by its sockets; each socket adds a single middleware that
 * dispatches into it with the socket's own context (a listener and two closures per event and socket cost
 * 1.1 KB of heap per held connection, bench:realtime).
 */
export function serveEvents<C extends EventContext>(socket: Socket, context: C, events: ReadonlyMap<string, EventSpec<C>>, logger: Logger): void {
  socket.use((packet) => {
    const [name, ...args] = packet as [unknown, ...unknown[]];
    const spec = typeof name === 'string' ? events.get(name) : undefined;
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') {
      logger.debug({ event: name, socketId: socket.id }, 'event without an acknowledgement ignored');
      return;
    }
    const reply = ack as (answer: unknown) => void;
    if (!spec) {
      reply({ ok: false, error: { code: 'NOT_FOUND', message: 'Unknown event' } });
      return;
    }
    const payload = args.length > 1 ? args[0] : undefined;
    // Each event is a request of its own: its id is on every log line written while serving it.
    void runInRequestContext({ reqId: randomUUID() }, async () => {
      try {
        checkRule(spec.access, context.actor, context.sessionId);
        const input = await validateInput(spec.schema, { body: payload ?? {} });
        const data = await spec.handle(context, input);
        reply({ ok: true, data: data ?? null });
      } catch (error) {
        const appError = toAppError(error);
        if (appError.status >= 500) logger.error({ err: error, event: name, socketId: socket.id }, 'socket event failed');
        reply({ ok: false, error: appError.toBody() });
      }
    });
  });
}

/** Runs a connection's own work in the background, tracked in `pending`; a failure is logged as `what` failing. */
export function tracker(pending: Set<Promise<void>>, logger: Logger): (work: Promise<unknown>, what: string) => void {
  return (work, what) => {
    const tracked: Promise<void> = work
      .then(() => undefined)
      .catch((error: unknown) => logger.warn({ err: error }, `${what} failed`))
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
}
