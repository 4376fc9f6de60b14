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

/** How long a page waits before it tries again a handshake that the server refused but not for its token. */
const REFUSED_RETRY_MS = 2_000;

/**
 * After a connect_error that is not UNAUTHENTICATED (the server could not check the token: its database is
 * away): Socket.IO retries a lost connection by itself but leaves a refused handshake to the page, so retry
 * it while `wanted()` says the page still needs this socket.
 */
export function retryRefused(socket: Socket, wanted: () => boolean): void {
  if (socket.active) return;
  setTimeout(() => {
    if (wanted() && !socket.connected) socket.connect();
  }, REFUSED_RETRY_MS);
}
