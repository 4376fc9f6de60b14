import { io, type Socket } from 'socket.io-client';
import { createAdmin, createOperator, createSession, startApiServer, type Customer, type NewOperator, type NewSession, type OperatorBody, type Staff } from './api';
import type { Backend } from './backends';
import { EVENT_TIMEOUT_MS, SILENCE_MS, call } from './socketAcks';
import { SESSION_EVENTS } from './socketPayloads';
import type { TestServer } from './testServer';
import { sleep } from './wait';

export * from './socketAcks';
export * from './socketPayloads';

/**
 * socket.io-client helpers for the realtime suites: connect as a customer or an operator, wait for a server
 * event, prove that one did NOT arrive, and call an event with its acknowledgement under a deadline (./socketAcks,
 * re-exported here with ./socketPayloads).
 *
 * Every socket records what the server sent it from the moment it is made (nothing is lost between
 * `connect` and the test's first `nextEvent`). `nextEvent` consumes the oldest matching event, received or
 * still to come; `expectNoEvent` fails on a matching event that is unconsumed or arrives within the window,
 * so call `clearEvents` before the action whose silence is being checked.
 */

export type Namespace = '/customer' | '/operator' | '/';
export type Transport = 'websocket' | 'polling';

export interface ConnectOptions {
  transports?: Transport[];
  /** How long the handshake may take. */
  timeoutMs?: number;
}

interface Received {
  name: string;
  payload: unknown;
  consumed: boolean;
}

interface Recorder {
  received: Received[];
  /** Told of each new event; returns true when it took the event. */
  waiters: Set<(event: Received) => boolean>;
}

const recorders = new WeakMap<Socket, Recorder>();
const open = new Set<Socket>();

function recorderOf(socket: Socket): Recorder {
  const recorder = recorders.get(socket);
  if (!recorder) throw new Error('not a socket made by tests/helpers/sockets.ts');
  return recorder;
}

/** A socket that has not connected yet (it connects at once); no automatic reconnection, so a kick is visible. */
export function makeSocket(url: string, namespace: Namespace, auth: Record<string, unknown> | undefined, options: ConnectOptions = {}): Socket {
  const socket = io(`${url}${namespace}`, {
    auth,
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: options.timeoutMs ?? 5_000,
  });
  const recorder: Recorder = { received: [], waiters: new Set() };
  recorders.set(socket, recorder);
  open.add(socket);
  socket.onAny((name: string, payload: unknown) => {
    const event: Received = { name, payload, consumed: false };
    recorder.received.push(event);
    for (const waiter of recorder.waiters) {
      if (waiter(event)) {
        event.consumed = true;
        break;
      }
    }
  });
  return socket;
}

/** Resolves once the socket is connected; rejects with the server's connect_error message. */
export function waitConnected(socket: Socket, timeoutMs = 5_000): Promise<Socket> {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`socket did not connect within ${timeoutMs} ms`)), timeoutMs);
    const onConnect = (): void => done(null);
    const onError = (error: Error): void => done(new Error(`connect_error: ${error.message}`));
    function done(error: Error | null): void {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      if (error) reject(error);
      else resolve(socket);
    }
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
    if (!socket.active) socket.connect();
  });
}

export function connectCustomer(url: string, customerToken: string, options: ConnectOptions = {}): Promise<Socket> {
  return waitConnected(makeSocket(url, '/customer', { token: customerToken }, options), options.timeoutMs);
}

export function connectOperator(url: string, operatorToken: string, options: ConnectOptions = {}): Promise<Socket> {
  return waitConnected(makeSocket(url, '/operator', { token: operatorToken }, options), options.timeoutMs);
}

/** The handshake must fail: resolves with connect_error's message (and checks the socket never connected). */
export function connectError(url: string, namespace: Namespace, auth: Record<string, unknown> | undefined, options: ConnectOptions = {}): Promise<string> {
  const socket = makeSocket(url, namespace, auth, options);
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no connect_error within ${timeoutMs} ms`)), timeoutMs);
    function finish(result: Error | string): void {
      clearTimeout(timer);
      socket.off('connect');
      socket.off('connect_error');
      socket.disconnect();
      open.delete(socket);
      if (typeof result === 'string') resolve(result);
      else reject(result);
    }
    socket.on('connect', () => finish(new Error(`expected the handshake on ${namespace} to be refused, but it connected`)));
    socket.on('connect_error', (error: Error) => finish(error.message));
  });
}

/** Resolves once the socket is disconnected, with the reason. */
export function waitDisconnected(socket: Socket, timeoutMs = EVENT_TIMEOUT_MS): Promise<string> {
  if (!socket.connected) return Promise.resolve('already disconnected');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket was not disconnected within ${timeoutMs} ms`)), timeoutMs);
    socket.once('disconnect', (reason: string) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/**
 * The oldest event `name` not consumed yet that matches `predicate` (already received, or the next to come).
 * Rejects at the deadline, listing what did arrive under that name.
 */
export function nextEvent<T = unknown>(socket: Socket, name: string, timeoutMs = EVENT_TIMEOUT_MS, predicate: (payload: T) => boolean = () => true): Promise<T> {
  const recorder = recorderOf(socket);
  const matches = (event: Received): boolean => event.name === name && predicate(event.payload as T);
  const earlier = recorder.received.find((event) => !event.consumed && matches(event));
  if (earlier) {
    earlier.consumed = true;
    return Promise.resolve(earlier.payload as T);
  }
  return new Promise((resolve, reject) => {
    const waiter = (event: Received): boolean => {
      if (!matches(event)) return false;
      clearTimeout(timer);
      recorder.waiters.delete(waiter);
      resolve(event.payload as T);
      return true;
    };
    const timer = setTimeout(() => {
      recorder.waiters.delete(waiter);
      const seen = recorder.received.filter((event) => event.name === name).map((event) => JSON.stringify(event.payload).slice(0, 300));
      reject(new Error(`no matching '${name}' within ${timeoutMs} ms; received under that name: [${seen.join(', ')}]`));
    }, timeoutMs);
    recorder.waiters.add(waiter);
  });
}

/** Every event `name` received so far (consumed or not), oldest first. */
export function eventsOf<T = unknown>(socket: Socket, name: string): T[] {
  return recorderOf(socket)
    .received.filter((event) => event.name === name)
    .map((event) => event.payload as T);
}

/** Forgets what the sockets received so far (before an action whose effects, or silence, are checked). */
export function clearEvents(...sockets: Socket[]): void {
  for (const socket of sockets) recorderOf(socket).received.length = 0;
}

/**
 * Fails when an unconsumed `name` (matching `predicate`) is already there or arrives within `ms`. A refusal
 * leaves observers silent; the window is what "silent" can mean for a test.
 */
export async function expectNoEvent(socket: Socket, name: string, ms = SILENCE_MS, predicate: (payload: unknown) => boolean = () => true): Promise<void> {
  const unexpected = (): Received | undefined => recorderOf(socket).received.find((event) => !event.consumed && event.name === name && predicate(event.payload));
  const already = unexpected();
  if (already) throw new Error(`expected no '${name}', but got ${JSON.stringify(already.payload).slice(0, 500)}`);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const late = unexpected();
  if (late) throw new Error(`expected no '${name}' within ${ms} ms, but got ${JSON.stringify(late.payload).slice(0, 500)}`);
}

/** After `ms`, none of the sockets has an unconsumed event of these names (observers stay silent after a refusal). */
export async function expectSilent(sockets: Socket[], names: string[] = SESSION_EVENTS, ms = SILENCE_MS): Promise<void> {
  await sleep(ms);
  for (const socket of sockets) for (const name of names) await expectNoEvent(socket, name, 0);
}

/** Disconnects every socket made here that is still around (for afterEach). */
export function closeAllSockets(): void {
  for (const socket of open) {
    socket.removeAllListeners();
    socket.offAny();
    socket.disconnect();
  }
  open.clear();
}

/** What a realtime test works against: its own server over a fresh database, and an admin logged in on it. */
export interface RealtimeServer {
  server: TestServer;
  url: string;
  admin: Staff;
}

/**
 * A fresh server for each test of a realtime suite. Called in the suite's describe, it adds the afterEach that
 * closes every socket and stops the server, and returns the `boot` for the beforeEach of each nested describe
 * (env on top of startApiServer's). The booted server is handed to `use`, so the tests keep reading plain variables.
 */
export function realtimeServerPerTest(backend: Backend, use: (booted: RealtimeServer) => void): (env?: Record<string, string>) => Promise<void> {
  let server: TestServer | undefined;
  afterEach(async () => {
    closeAllSockets();
    await server?.close();
    server = undefined;
  });
  return async (env = {}) => {
    server = await startApiServer(backend, env);
    use({ server, url: server.url, admin: await createAdmin(server) });
  };
}

/**
 * An operator created over REST, logged in, with one connected /operator socket (and a status, if given). The
 * socket connects to `on` when given: another process of the same deployment.
 */
export interface ConnectedOperator extends Staff {
  socket: Socket;
}

export async function connectedOperator(
  url: string,
  adminToken: string,
  input: NewOperator & { status?: OperatorBody['status']; on?: string } = {},
): Promise<ConnectedOperator> {
  const { status, on = url, ...fields } = input;
  const staff = await createOperator(url, adminToken, fields);
  const socket = await connectOperator(on, staff.token);
  if (status !== undefined) {
    const operator = await call<OperatorBody>(socket, 'status:set', { status });
    expect(operator.status).toBe(status);
    staff.operator = operator;
  }
  return { ...staff, socket };
}

/** A customer who started a chat over REST and has one connected /customer socket. */
export interface ConnectedCustomer extends Customer {
  socket: Socket;
}

export async function connectedCustomer(url: string, body: NewSession = {}): Promise<ConnectedCustomer> {
  const customer = await createSession(url, body);
  const socket = await connectCustomer(url, customer.customerToken);
  return { ...customer, socket };
}
