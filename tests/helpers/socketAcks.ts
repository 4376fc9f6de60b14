import type { Socket } from 'socket.io-client';

/**
 * Socket.IO acknowledgements as PROTOCOL.md shapes them (`{ ok: true, data }` or `{ ok: false, error }`): emit an
 * event with a callback under a deadline, and check what came back.
 */

/** Default deadlines: generous for a loaded machine, still short enough for a failing test to be quick. */
export const EVENT_TIMEOUT_MS = 3_000;
export const SILENCE_MS = 400;

/** PROTOCOL.md's acknowledgement. */
export type AckReply<T = unknown> = { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: unknown[] } };

/** Emits with the given arguments and an acknowledgement callback; rejects when no ack comes in time. */
export function emitArgs<T = unknown>(socket: Socket, event: string, args: unknown[], timeoutMs = EVENT_TIMEOUT_MS): Promise<AckReply<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no acknowledgement for '${event}' within ${timeoutMs} ms`)), timeoutMs);
    socket.emit(event, ...args, (reply: AckReply<T>) => {
      clearTimeout(timer);
      resolve(reply);
    });
  });
}

/** `socket.emit(event, payload, ack)` → the acknowledgement. */
export function emitWithAck<T = unknown>(socket: Socket, event: string, payload: unknown, timeoutMs = EVENT_TIMEOUT_MS): Promise<AckReply<T>> {
  return emitArgs<T>(socket, event, [payload], timeoutMs);
}

/** Asserts `{ ok: true, data }` and returns data (the error is shown when it was a refusal). */
export function ackData<T>(reply: AckReply<T>): T {
  if (!reply.ok) throw new Error(`expected ok ack, got ${JSON.stringify(reply)}`);
  expect(Object.keys(reply).sort()).toEqual(['data', 'ok']);
  return reply.data;
}

/** `{ ok: false, error: { code, message, details? } }` with that code, and nothing else. */
export function expectAckError(reply: AckReply, code: string): void {
  expect(reply).toEqual({ ok: false, error: expect.objectContaining({ code, message: expect.any(String) }) });
  if (!reply.ok) {
    expect(Object.keys(reply.error).every((key) => ['code', 'message', 'details'].includes(key))).toBe(true);
    expect(reply.error.message.length).toBeGreaterThan(0);
  }
}

/** Emits and the acknowledgement must be `{ ok: true }`; returns its data. */
export async function call<T = unknown>(socket: Socket, event: string, payload: unknown, timeoutMs = EVENT_TIMEOUT_MS): Promise<T> {
  return ackData(await emitWithAck<T>(socket, event, payload, timeoutMs));
}

/** Emits and the acknowledgement must be a refusal with that code. */
export async function refused(socket: Socket, event: string, payload: unknown, code: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<AckReply> {
  const reply = await emitWithAck(socket, event, payload, timeoutMs);
  expectAckError(reply, code);
  return reply;
}
