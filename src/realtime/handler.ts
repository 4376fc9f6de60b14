import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { validateInput, type Schema } from '../../middleware/validation';
import { toAppError } from '../errors';
import { runInRequestContext } from '../requestContext';

/**
 * The one wrapper every socket event goes through: validates the payload with the same schemas as REST,
 * insists on an acknowledgement callback, runs the handler, and answers `{ok:true,data}` or
 * `{ok:false,error}`. A missing callback, a garbage payload or a thrown error never reaches Socket.IO, so
 * no event can crash or stall the process.
 */
export function onEvent<T>(
  socket: Socket,
  event: string,
  schema: Schema,
  logger: Logger,
  handler: (input: T) => Promise<unknown>,
): void {
  socket.on(event, (...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') {
      logger.debug({ event, socketId: socket.id }, 'event without an acknowledgement ignored');
      return;
    }
    const payload = args.length > 1 ? args[0] : undefined;
    const reply = ack as (answer: unknown) => void;
    // Each event is a request of its own: its id is on every log line written while serving it.
    void runInRequestContext({ reqId: randomUUID() }, async () => {
      try {
        const input = (await validateInput(schema, { body: payload ?? {} })) as T;
        const data = await handler(input);
        reply({ ok: true, data: data ?? null });
      } catch (error) {
        const appError = toAppError(error);
        if (appError.status >= 500) logger.error({ err: error, event, socketId: socket.id }, 'socket event failed');
        reply({ ok: false, error: appError.toBody() });
      }
    });
  });
}

/** A fixed-window counter: at most `limit` events per window (0: no limit). */
export class WindowLimiter {
  private count = 0;
  private windowStart = Date.now();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** True when one more event is allowed now. */
  take(): boolean {
    if (this.limit === 0) return true;
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
    return this.count <= this.limit;
  }
}
