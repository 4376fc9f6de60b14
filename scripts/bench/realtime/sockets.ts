import { io, type Socket as ClientSocket } from 'socket.io-client';
import { LightSocket } from '../lightSocket';

/**
 * bench:realtime's client sockets: every one opened is tracked until closed, so that the run's cleanup
 * (realtime/run.ts) can close what is still open before the servers stop.
 */

/** socket.io-client sockets (held connections) and LightSockets (message path). */
interface AnySocket {
  disconnect(): unknown;
}
export const openSockets = new Set<AnySocket>();

export function closeSockets(sockets: Iterable<AnySocket>): void {
  for (const socket of sockets) {
    socket.disconnect();
    openSockets.delete(socket);
  }
}

export function connect(url: string, auth: Record<string, unknown>, timeoutMs = 60_000): Promise<ClientSocket> {
  const socket = io(url, { transports: ['websocket'], auth, forceNew: true, reconnection: false, timeout: timeoutMs });
  openSockets.add(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(socket);
    });
    socket.once('connect_error', (error: Error) => {
      closeSockets([socket]);
      reject(error);
    });
  });
}

/** The message path's sockets: the load generator's own CPU is kept low (scripts/bench/lightSocket.ts). */
export async function connectLight(origin: string, namespace: string, auth: Record<string, unknown>): Promise<LightSocket> {
  const socket = await LightSocket.connect(origin, namespace, auth);
  openSockets.add(socket);
  return socket;
}

/** Connects every handshake with `open`, `batch` at a time; failures are counted, not thrown. */
export async function connectAll<S>(
  auths: Array<Record<string, unknown>>,
  batch: number,
  open: (auth: Record<string, unknown>) => Promise<S>,
): Promise<{ sockets: S[]; failures: Map<string, number>; seconds: number }> {
  const sockets: S[] = [];
  const failures = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < auths.length; i += batch) {
    const results = await Promise.allSettled(auths.slice(i, i + batch).map(open));
    for (const result of results) {
      if (result.status === 'fulfilled') sockets.push(result.value);
      else {
        const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
      }
    }
  }
  return { sockets, failures, seconds: (performance.now() - started) / 1000 };
}

export const describeFailures = (failures: Map<string, number>): string => [...failures.entries()].map(([message, n]) => `${n}× ${message}`).join(', ') || 'none';
