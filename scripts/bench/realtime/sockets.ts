import { io, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from 'socket.io-client';
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

/** Ports one loopback source address has for outgoing connections (Linux's default range is 28,232). */
const PORTS_PER_ADDRESS = 25_000;
let opened = 0;

/**
 * A socket.io-client socket, without reconnection. Past 25,000 sockets they leave from 127.0.0.2, 127.0.0.3, …
 * in turn: one source address runs out of ports at about 28,000 connections to the same server.
 */
export function connect(url: string, auth: Record<string, unknown>, timeoutMs = 60_000): Promise<ClientSocket> {
  const address = Math.floor(opened++ / PORTS_PER_ADDRESS);
  const localAddress = address === 0 ? undefined : `127.0.0.${address + 1}`;
  // engine.io-client hands `localAddress` to the WebSocket in Node; socket.io-client's types do not list it.
  const options: Partial<ManagerOptions & SocketOptions> & { localAddress?: string } = { transports: ['websocket'], auth, forceNew: true, reconnection: false, timeout: timeoutMs, localAddress };
  const socket = io(url, options);
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

/** Connects each of `items` with `open`, `batch` at a time; failures are counted, not thrown. */
export async function connectAll<T, S>(items: T[], batch: number, open: (item: T) => Promise<S>): Promise<{ sockets: S[]; failures: Map<string, number>; seconds: number }> {
  const sockets: S[] = [];
  const failures = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < items.length; i += batch) {
    const results = await Promise.allSettled(items.slice(i, i + batch).map(open));
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
