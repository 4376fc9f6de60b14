import type { ChildProcess } from 'node:child_process';
import { io, type Socket } from 'socket.io-client';
import { hashPassword } from '../../../services/operators/passwords';
import { freePort } from '../privateRedis';
import { api, percentile, sleep, stopChild, table, type Started } from '../harness';
import { CONNECT_BATCH, SOCKETS } from './config';
import { insertIdleSessions, type IdleCustomer } from './heldConnections';
import { bench, startOurs, startRelay } from './run';
import { closeSockets, connectAll, describeFailures, openSockets } from './sockets';

/**
 * bench:realtime scenario 3: a reconnect storm. SOCKETS customers and one operator per 100 of them connected
 * (socket.io-client with its default reconnection and backoff); the server stopped gracefully (SIGTERM) and
 * started again on the same port, then, separately, killed (SIGKILL) and started again. Every client comes back by
 * itself; each customer then asks `messages:sync` from the last message it saw. On our server, each operator
 * sends each of its customers a message just before the stop, so that some are in flight when it goes: every one
 * acknowledged must reach its customer, live or by the sync. The bare relay does the same reconnections and
 * syncs (it stores nothing, so it sends nothing before the stop).
 */

const STORM_TIMEOUT_MS = 180_000;
const OPERATOR_PASSWORD = 'storm-operator-password';

interface Ack<T> {
  ok: boolean;
  data?: T;
}

interface Customer {
  socket: Socket;
  sessionId: string;
  /** Every message id this customer got, live or by a sync. */
  seen: Set<number>;
  lastSeen: number;
  /** When its first sync after the stop was answered (ms since the stop). */
  syncedAt: number | null;
}

export interface StormResult {
  server: string;
  mode: 'graceful' | 'killed';
  clients: number;
  /** From the signal to the new process listening. */
  downSeconds: number;
  /** From the signal until every client was connected again. */
  backSeconds: number;
  /** From the signal until every customer's sync was answered. */
  syncedSeconds: number;
  /** Half of the customers had synced by then (from the signal). */
  syncedP50Seconds: number;
  syncedP90Seconds: number;
  notBack: number;
  /** Customers whose sync after the stop was never answered. */
  notSynced: number;
  /** connect_errors while the new process was listening, by message (the target: none). */
  refusedWhileUp: Map<string, number>;
  /** connect_errors while nothing listened (expected: the server was down). */
  refusedWhileDown: number;
  acked: number;
  lost: number;
  /** Sent before the stop, never answered (a real client sends these again with the same clientMessageId). */
  unanswered: number;
  /** Statements MariaDB ran from the signal until every customer had synced. */
  dbStatements: number;
}

function connectReconnecting(url: string, auth: Record<string, unknown>): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], auth, forceNew: true });
  openSockets.add(socket);
  return new Promise((resolve, reject) => {
    const refused = (error: Error): void => {
      closeSockets([socket]);
      reject(error);
    };
    socket.once('connect_error', refused);
    // Later refusals (the storm) are the client's to retry, as a real one does.
    socket.once('connect', () => {
      socket.off('connect_error', refused);
      resolve(socket);
    });
  });
}

async function questions(): Promise<number> {
  const db = await bench.connectDatabase();
  try {
    const [[row]] = (await db.query("SHOW GLOBAL STATUS LIKE 'Questions'")) as unknown as [[{ Value: string }]];
    return Number(row.Value);
  } finally {
    await db.end();
  }
}

async function operatorTokens(base: string, emails: string[]): Promise<string[]> {
  const tokens: string[] = [];
  for (const email of emails) tokens.push((await api<{ token: string }>(base, 'POST', '/api/auth/login', { body: { email, password: OPERATOR_PASSWORD } })).token);
  return tokens;
}

interface Rig {
  start: (port: number) => Promise<Started>;
  customerAuth: (c: IdleCustomer) => Record<string, unknown>;
  operators: Array<{ operatorId: number; auth: Record<string, unknown> }>;
  /** The operators write to their customers before the stop (ours only: the relay stores nothing to sync). */
  senders: boolean;
}

async function storm(server: string, mode: StormResult['mode'], rig: Rig, customers: IdleCustomer[]): Promise<StormResult> {
  const port = await freePort();
  let started = await rig.start(port);
  const url = `http://127.0.0.1:${port}`;
  process.stdout.write(`  ${server}, ${mode}: connecting ${customers.length} customers and ${rig.operators.length} operators ... `);
  const connected = await connectAll(customers, CONNECT_BATCH, async (c): Promise<Customer> => {
    const socket = await connectReconnecting(`${url}/customer`, rig.customerAuth(c));
    return { socket, sessionId: c.sessionId, seen: new Set<number>(), lastSeen: 0, syncedAt: null };
  });
  const operators = await connectAll(rig.operators, CONNECT_BATCH, async ({ operatorId, auth }) => ({ operatorId, socket: await connectReconnecting(`${url}/operator`, auth) }));
  const operatorSockets = operators.sockets.map((o) => o.socket);
  const socketOf = new Map(operators.sockets.map((o) => [o.operatorId, o.socket]));
  console.log(`${connected.sockets.length + operatorSockets.length} connected`);
  const all: Customer[] = connected.sockets;
  const bySession = new Map(all.map((c) => [c.sessionId, c]));

  let stoppedAt = Number.POSITIVE_INFINITY;
  let listeningAt = Number.POSITIVE_INFINITY;
  const refusedWhileUp = new Map<string, number>();
  let refusedWhileDown = 0;
  const since = (): number => performance.now() - stoppedAt;
  const noteRefusal = (error: Error & { description?: { message?: string; error?: { code?: string; message?: string } } }): void => {
    const cause = error.description?.error?.code ?? error.description?.error?.message ?? error.description?.message;
    const why = [error.message, cause].filter(Boolean).join(': ');
    // Refused at the TCP level: nothing listened when it tried (its error may be handled after the new process said it listens).
    if (performance.now() >= listeningAt && cause !== 'ECONNREFUSED') refusedWhileUp.set(why, (refusedWhileUp.get(why) ?? 0) + 1);
    else refusedWhileDown++;
  };
  for (const customer of all) {
    customer.socket.on('message:new', ({ message }: { message: { id: number } }) => {
      customer.seen.add(message.id);
      customer.lastSeen = Math.max(customer.lastSeen, message.id);
    });
    customer.socket.on('connect_error', noteRefusal);
    customer.socket.on('connect', () => {
      if (!Number.isFinite(stoppedAt)) return;
      void customer.socket
        .timeout(60_000)
        .emitWithAck('messages:sync', { afterId: customer.lastSeen })
        .then((ack: Ack<{ messages: Array<{ id: number }> }>) => {
          if (!ack.ok) return;
          for (const message of ack.data?.messages ?? []) customer.seen.add(message.id);
          customer.syncedAt ??= since();
        })
        .catch(() => undefined);
    });
  }
  for (const socket of operatorSockets) socket.on('connect_error', noteRefusal);

  // Ours: every operator writes to each of its customers, and the stop comes while those are on their way.
  const acked: Array<{ sessionId: string; id: number }> = [];
  let unanswered = 0;
  if (rig.senders) {
    const sends = customers.map(async (c, i): Promise<void> => {
      const socket = socketOf.get(c.operatorId);
      if (!socket) {
        unanswered++;
        return;
      }
      await socket
        .timeout(20_000)
        .emitWithAck('message:send', { sessionId: c.sessionId, content: 'We are restarting for a moment; nothing you write is lost.', clientMessageId: `storm-${bench.suffix}-${mode}-${i}` })
        .then((ack: Ack<{ id: number }>) => {
          if (ack.ok && ack.data) acked.push({ sessionId: c.sessionId, id: ack.data.id });
          else unanswered++;
        })
        .catch(() => {
          unanswered++;
        });
    });
    const settled = Promise.all(sends);
    let allSettled = false;
    void settled.then(() => (allSettled = true));
    while (acked.length < customers.length / 2 && !allSettled) await sleep(5);
  }

  const statementsBefore = await questions();
  stoppedAt = performance.now();
  if (mode === 'graceful') await stopChild(started.child);
  else await kill(started.child);
  started = await rig.start(port);
  listeningAt = performance.now();
  const downSeconds = (listeningAt - stoppedAt) / 1000;

  const everyone = (): number => all.filter((c) => c.socket.connected).length + operatorSockets.filter((s) => s.connected).length;
  const clients = all.length + operatorSockets.length;
  let backAt = Number.NaN;
  while (since() < STORM_TIMEOUT_MS) {
    if (Number.isNaN(backAt) && everyone() === clients) backAt = since();
    if (!Number.isNaN(backAt) && all.every((c) => c.syncedAt !== null)) break;
    await sleep(50);
  }
  const syncedTimes = all.flatMap((c) => (c.syncedAt === null ? [] : [c.syncedAt])).sort((a, b) => a - b);
  const notSynced = all.length - syncedTimes.length;
  // "All synced" only when every customer did.
  const syncedMs = notSynced === 0 ? (syncedTimes[syncedTimes.length - 1] ?? Number.NaN) : Number.NaN;
  const dbStatements = (await questions()) - statementsBefore;
  // Answers still on their way when the server stopped are counted as unanswered by their timeout.
  await sleep(rig.senders ? 1000 : 0);
  const lost = acked.filter(({ sessionId, id }) => !bySession.get(sessionId)?.seen.has(id)).length;
  const notBack = clients - everyone();
  closeSockets([...all.map((c) => c.socket), ...operatorSockets]);
  await stopChild(started.child);
  const failures = new Map([...connected.failures, ...operators.failures]);
  if (failures.size > 0) console.log(`  first connections refused: ${describeFailures(failures)}`);
  return {
    server,
    mode,
    clients,
    downSeconds,
    backSeconds: backAt / 1000,
    syncedSeconds: syncedMs / 1000,
    syncedP50Seconds: (percentile(syncedTimes, 50) ?? Number.NaN) / 1000,
    syncedP90Seconds: (percentile(syncedTimes, 90) ?? Number.NaN) / 1000,
    notBack,
    notSynced,
    refusedWhileUp,
    refusedWhileDown,
    acked: acked.length,
    lost,
    unanswered,
    dbStatements,
  };
}

async function kill(child: ChildProcess): Promise<void> {
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await gone;
}

export async function scenarioStorm(): Promise<StormResult[]> {
  console.log(`\n== Scenario 3: reconnect storm, ${SOCKETS} customers ==`);
  const { customers, operatorEmails } = await insertIdleSessions(SOCKETS, 'storm', await hashPassword(OPERATOR_PASSWORD));
  const login = await startOurs('storm-login');
  const tokens = await operatorTokens(`http://127.0.0.1:${login.port}`, operatorEmails);
  await stopChild(login.child);
  // In the order they were inserted, as the emails (and so the tokens) are.
  const operatorIds = [...new Set(customers.map((c) => c.operatorId))];
  const ours: Rig = {
    start: (port) => startOurs('storm', port),
    customerAuth: (c) => ({ token: c.token }),
    operators: operatorIds.map((operatorId, i) => ({ operatorId, auth: { token: tokens[i] } })),
    senders: true,
  };
  const bare: Rig = {
    start: (port) => startRelay('storm', port),
    customerAuth: (c) => ({ sessionId: c.sessionId, operatorId: c.operatorId }),
    operators: operatorIds.map((operatorId) => ({ operatorId, auth: { operatorId } })),
    senders: false,
  };
  const results: StormResult[] = [];
  for (const mode of ['graceful', 'killed'] as const) {
    results.push(await storm('ours', mode, ours, customers));
    results.push(await storm('bare relay', mode, bare, customers));
  }
  const header = ['server', 'stop', 'clients', 'down s', 'all back s', 'synced p50 / p90 / all s', 'not back', 'not synced', 'refused while up', 'refused while down', 'acked', 'lost', 'unanswered', 'db statements'];
  const rows = results.map((r) => [
    r.server,
    r.mode,
    String(r.clients),
    r.downSeconds.toFixed(2),
    r.backSeconds.toFixed(2),
    `${r.syncedP50Seconds.toFixed(2)} / ${r.syncedP90Seconds.toFixed(2)} / ${r.syncedSeconds.toFixed(2)}`,
    String(r.notBack),
    String(r.notSynced),
    String([...r.refusedWhileUp.values()].reduce((a, b) => a + b, 0)),
    String(r.refusedWhileDown),
    String(r.acked),
    String(r.lost),
    String(r.unanswered),
    String(r.dbStatements),
  ]);
  console.log(`\n${table(header, rows, 2)}`);
  for (const r of results) if (r.refusedWhileUp.size > 0) console.log(`  ${r.server} (${r.mode}) refused while listening: ${describeFailures(r.refusedWhileUp)}`);
  return results;
}
