import type { Socket } from 'socket.io-client';
import { ApiError } from './http';
import type { AckReply } from './protocol';

/** How long an acknowledgement may take before the call counts as failed (the server acks after its commit). */
const ACK_TIMEOUT_MS = 10_000;

/** Emits a client → server event and resolves with the ack's data; a refusal or a timeout throws ApiError. */
export async function ask<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  let reply: AckReply<T>;
  try {
    reply = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as AckReply<T>;
  } catch {
    throw new ApiError('TIMEOUT', 'The server did not answer in time');
  }
  if (!reply.ok) throw new ApiError(reply.error.code, reply.error.message);
  return reply.data;
}

/**
 * WebSocket first, long-polling only where WebSocket cannot get through. A clustered server (pm2, no sticky
 * sessions) accepts WebSocket only, and polling first would fail there before ever trying WebSocket.
 */
export const TRANSPORTS = { transports: ['websocket', 'polling'], tryAllTransports: true };

/** A refused handshake is tried again after 1, 2, 4 … s (at most 10 s), each spread ±50% so that pages do not retry in step. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 10_000;
/** Handshakes the server refused for reasons of its own (its database away, a fault), not for the token. */
const RETRIED = new Set(['SERVICE_UNAVAILABLE', 'INTERNAL']);
const refusals = new WeakMap<Socket, number>();

/**
 * After a connect_error that SERVICE_UNAVAILABLE or INTERNAL refused: Socket.IO retries a lost connection by
 * itself but leaves a refused handshake to the page, so retry it, backing off, while `wanted()` says the page
 * still needs this socket. Other refusals (UNAUTHENTICATED: the caller starts over) are not retried.
 */
export function retryRefused(socket: Socket, error: Error, wanted: () => boolean): void {
  if (socket.active || !RETRIED.has(error.message)) return;
  if (!refusals.has(socket)) socket.on('connect', () => refusals.set(socket, 0));
  const attempt = (refusals.get(socket) ?? 0) + 1;
  refusals.set(socket, attempt);
  const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (attempt - 1)) * (0.5 + Math.random());
  setTimeout(() => {
    if (wanted() && !socket.connected) socket.connect();
  }, delay);
}
