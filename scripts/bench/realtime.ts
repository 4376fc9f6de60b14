import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { issueCustomerToken } from '../../services/sessions/customerTokens';
import { summarizeProfile } from './cpuProfile';
import { LightSocket } from './lightSocket';
import {
  BenchRun,
  UNLIMITED_ENV,
  api,
  cpuMs,
  formatMs,
  loadAverage,
  memoryUsage,
  openLoop,
  percentile,
  redisUrl,
  stopChild,
  table,
  verdict,
  type Started,
} from './harness';

/**
 * `npm run bench:realtime` — a benchmark, not a test: it measures and reports.
 *
 * Two scenarios, each run against our server and against a bare Socket.IO relay (scripts/bench/socketRelay.ts:
 * same namespaces and rooms, stores nothing), each server in a child process of its own; the socket clients
 * run in this process (socket.io-client for the held connections, the lighter scripts/bench/lightSocket.ts on
 * the message path, where the generator's CPU competes with the server's). Our server runs on a fresh MariaDB database and a private Redis key prefix, both
 * removed at the end, also on failure or Ctrl-C.
 *
 * 1. Held connections: BENCH_SOCKETS idle customer sockets (sessions inserted straight into the database with
 *    tokens made as services/customerTokens.ts makes them), connected BENCH_CONNECT_BATCH handshakes at a time.
 *    Reports the time to connect them all and the server's RSS per connection (after a full GC).
 * 2. Message path: BENCH_SESSIONS sessions created through REST and assigned by routing to BENCH_OPERATORS
 *    operators, every operator and customer on a socket. Customers emit `message:send` at a fixed total rate
 *    (open loop); for each message, emit → ack (stored) and emit → the operator's socket gets `message:new`.
 *    First BENCH_RATE msg/s, then a search for the sustained maximum: the highest offer the server keeps up with
 *    (every message acked and delivered, ≥ 95 % of the offer delivered within the sending window, ack p99 ≤
 *    1 s). The offer grows by half while it keeps up, then is halved between the last rate kept up with and the
 *    first missed (BENCH_MAX_STEPS runs at most, never above BENCH_MAX_RATE). Afterwards every acknowledged message is checked
 *    against the database: stored exactly once, with the acknowledged id.
 *
 * Environment: BENCH_SOCKETS (10000), BENCH_CONNECT_BATCH (500), BENCH_HOLD (seconds the sockets are held
 * before memory is read, 5), BENCH_SESSIONS (200), BENCH_OPERATORS (10), BENCH_RATE (2000), BENCH_MAX_RATE
 * (12000), BENCH_MAX_STEPS (5), BENCH_DURATION (seconds per run, 10), BENCH_WARMUP (seconds, 2),
 * BENCH_DRAIN_TIMEOUT (seconds to wait for the last acks after a run, 60), BENCH_SCENARIOS
 * (`connections,messages`), BENCH_BARE_ADAPTER (`redis`, as ours, or `memory`), BENCH_MYSQL_HOST/PORT/USER/
 * PASSWORD (127.0.0.1:3306 root, no password), BENCH_REDIS_URL (redis://127.0.0.1:6379), BENCH_CPU_PROF=1
 * (V8 CPU profiles of our server to BENCH_CPU_PROF_DIR, default ./bench-profiles, summarised at the end).
 *
 * Exit code: 0 when it ran (targets met or not: it reports), 1 when it could not run, a socket failed to
 * connect, or an acknowledged message is not in the database exactly once.
 */

const number = (name: string, fallback: number, min = 1): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}`);
  return value;
};

const SOCKETS = Math.floor(number('BENCH_SOCKETS', 10_000));
const CONNECT_BATCH = Math.floor(number('BENCH_CONNECT_BATCH', 500));
const HOLD_SECONDS = number('BENCH_HOLD', 5, 0);
const SESSIONS = Math.floor(number('BENCH_SESSIONS', 200));
const OPERATORS = Math.floor(number('BENCH_OPERATORS', 10));
const RATE = number('BENCH_RATE', 2000);
const MAX_RATE = number('BENCH_MAX_RATE', 12_000);
const MAX_STEPS = Math.floor(number('BENCH_MAX_STEPS', 5));
/** A rate is kept up with only if acks come back within this (p99), besides the delivery criteria. */
const SUSTAIN_ACK_P99_MS = 1000;
const DURATION = number('BENCH_DURATION', 10);
const WARMUP = number('BENCH_WARMUP', 2, 0);
const DRAIN_TIMEOUT = number('BENCH_DRAIN_TIMEOUT', 60);
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'connections,messages').split(',').map((s) => s.trim()));
const BARE_ADAPTER = process.env.BENCH_BARE_ADAPTER === 'memory' ? 'memory' : 'redis';
/** Which servers scenario 2 exercises (both by default; one alone is for profiling). */
const SERVERS = new Set((process.env.BENCH_SERVERS ?? 'ours,bare').split(',').map((s) => s.trim()));
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const PROFILE_DIR = path.resolve(process.env.BENCH_CPU_PROF_DIR ?? 'bench-profiles');

const TARGET_KB_PER_CONNECTION = 20;
const TARGET_THROUGHPUT = 5000;
const TARGET_P99_MS = 50;
const TARGET_RATIO = 0.4;
/** Per operator, the routing limit (maxConcurrentSessions ≤ 100). */
const IDLE_SESSIONS_PER_OPERATOR = 100;
const CONTENT = 'Hi, I ordered a blue jacket last week and it has not arrived yet. Could you check it?';

const JWT_SECRET = randomBytes(32).toString('hex');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------
// Resources, and their cleanup (runs once, on success, failure or Ctrl-C).

/** socket.io-client sockets (held connections) and LightSockets (message path). */
interface AnySocket {
  disconnect(): unknown;
}
const openSockets = new Set<AnySocket>();
const profiledPids = new Map<number, string>();
const bench = new BenchRun({ databaseStem: 'chat_bench', redisStem: 'bench-realtime', beforeStop: () => closeSockets([...openSockets]) });
const { suffix, databaseName, redisPrefix, admin: ADMIN } = bench;

function closeSockets(sockets: Iterable<AnySocket>): void {
  for (const socket of sockets) {
    socket.disconnect();
    openSockets.delete(socket);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Servers.

function ourEnv(tag: string): Record<string, string> {
  // One Redis prefix per server process: each builds its cache from the database as it starts.
  return { ...bench.chatServerEnv(JWT_SECRET, `${redisPrefix}${tag}:`), LOG_LEVEL: 'error', ...UNLIMITED_ENV };
}

async function startOurs(tag: string): Promise<Started> {
  const execArgv = ['--expose-gc'];
  if (CPU_PROF) {
    fs.mkdirSync(PROFILE_DIR, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`);
  }
  const started = await bench.startChild('chatServer.js', ourEnv(tag), execArgv);
  if (CPU_PROF && started.child.pid !== undefined) profiledPids.set(started.child.pid, tag);
  return started;
}

function startRelay(tag: string): Promise<Started> {
  const env: Record<string, string> = BARE_ADAPTER === 'redis' ? { BENCH_RELAY_REDIS_URL: redisUrl, BENCH_RELAY_REDIS_PREFIX: `${redisPrefix}relay-${tag}:` } : {};
  return bench.startChild('socketRelay.js', env, ['--expose-gc']);
}

// ---------------------------------------------------------------------------------------------------------
// Sockets.

function connect(url: string, auth: Record<string, unknown>, timeoutMs = 60_000): Promise<ClientSocket> {
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
async function connectLight(origin: string, namespace: string, auth: Record<string, unknown>): Promise<LightSocket> {
  const socket = await LightSocket.connect(origin, namespace, auth);
  openSockets.add(socket);
  return socket;
}

/** Connects every handshake with `open`, `batch` at a time; failures are counted, not thrown. */
async function connectAll<S>(
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

const describeFailures = (failures: Map<string, number>): string => [...failures.entries()].map(([message, n]) => `${n}× ${message}`).join(', ') || 'none';

// ---------------------------------------------------------------------------------------------------------
// Scenario 1: held connections.

interface IdleCustomer {
  sessionId: string;
  operatorId: number;
  token: string;
}

/**
 * Offline operators (100 sessions each, at their limit) and their active sessions, inserted with multi-row
 * INSERTs; each session's token hash is stored as the server stores it. Seconds instead of minutes of REST.
 */
async function insertIdleSessions(count: number): Promise<IdleCustomer[]> {
  const db = await bench.connectDatabase({ timezone: 'Z' });
  try {
    const now = new Date();
    const operatorCount = Math.ceil(count / IDLE_SESSIONS_PER_OPERATOR);
    const operatorRows = Array.from({ length: operatorCount }, (_, i) => {
      const held = Math.min(IDLE_SESSIONS_PER_OPERATOR, count - i * IDLE_SESSIONS_PER_OPERATOR);
      // No valid password hash: these operators exist to hold sessions, never to sign in.
      return [`Idle operator ${i + 1}`, `idle-op${i + 1}-${suffix}@example.com`, '!', 'operator', 'offline', IDLE_SESSIONS_PER_OPERATOR, '[]', held, now, now, now];
    });
    await db.query(
      'INSERT INTO operators (name, email, password_hash, role, status, max_concurrent_sessions, departments, active_sessions, last_assigned_at, created_at, updated_at) VALUES ?',
      [operatorRows],
    );
    const [ids] = (await db.query("SELECT id FROM operators WHERE email LIKE 'idle-op%' ORDER BY id")) as unknown as [Array<{ id: number }>];
    const customers: IdleCustomer[] = [];
    for (let start = 0; start < count; start += 1000) {
      const rows: unknown[][] = [];
      for (let i = start; i < Math.min(count, start + 1000); i++) {
        const sessionId = randomUUID();
        const operatorId = ids[Math.floor(i / IDLE_SESSIONS_PER_OPERATOR)]?.id as number;
        const { token, hash } = issueCustomerToken(sessionId);
        customers.push({ sessionId, operatorId, token });
        rows.push([sessionId, 'active', `Idle customer ${i + 1}`, operatorId, hash, now, now, now, now]);
      }
      await db.query(
        'INSERT INTO chat_sessions (id, status, customer_name, operator_id, customer_token_hash, assigned_at, last_message_at, created_at, updated_at) VALUES ?',
        [rows],
      );
    }
    return customers;
  } finally {
    await db.end();
  }
}

interface HeldResult {
  server: string;
  connected: number;
  failures: Map<string, number>;
  seconds: number;
  dropped: number;
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
}

async function holdConnections(server: string, started: Started, auths: Array<Record<string, unknown>>): Promise<HeldResult> {
  await sleep(1000);
  const before = await memoryUsage(started.child);
  process.stdout.write(`  ${server}: connecting ${auths.length} sockets, ${CONNECT_BATCH} handshakes at a time ... `);
  const { sockets, failures, seconds } = await connectAll(auths, CONNECT_BATCH, (auth) => connect(`http://127.0.0.1:${started.port}/customer`, auth));
  console.log(`${sockets.length} in ${seconds.toFixed(1)} s`);
  let dropped = 0;
  for (const socket of sockets) socket.once('disconnect', () => dropped++);
  // Let the connect-time work (our server reads each session) finish before reading the memory.
  await sleep(HOLD_SECONDS * 1000);
  const after = await memoryUsage(started.child);
  const stillDropped = dropped;
  closeSockets(sockets);
  return { server, connected: sockets.length, failures, seconds, dropped: stillDropped, before, after };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const kbPer = (bytes: number, n: number): number => bytes / 1024 / Math.max(n, 1);

async function scenarioConnections(): Promise<{ ours: HeldResult; bare: HeldResult }> {
  console.log(`\n== Scenario 1: ${SOCKETS} held customer connections ==`);
  const t0 = performance.now();
  const customers = await insertIdleSessions(SOCKETS);
  console.log(`  inserted ${SOCKETS} active sessions (${Math.ceil(SOCKETS / IDLE_SESSIONS_PER_OPERATOR)} offline operators) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const oursServer = await startOurs('held');
  const ours = await holdConnections('ours', oursServer, customers.map((c) => ({ token: c.token })));
  await stopChild(oursServer.child);

  const relay = await startRelay('held');
  const bare = await holdConnections('bare relay', relay, customers.map((c) => ({ sessionId: c.sessionId, operatorId: c.operatorId })));
  await stopChild(relay.child);

  const header = ['server', 'connected', 'failed', 'connect s', 'conn/s', 'RSS idle', 'RSS held', 'RSS KB/conn', 'heap used KB/conn', 'heap total KB/conn', 'external KB/conn', 'dropped'];
  const rows = [ours, bare].map((r) => [
    r.server,
    String(r.connected),
    String([...r.failures.values()].reduce((a, b) => a + b, 0)),
    r.seconds.toFixed(1),
    (r.connected / r.seconds).toFixed(0),
    mb(r.before.rss),
    mb(r.after.rss),
    kbPer(r.after.rss - r.before.rss, r.connected).toFixed(1),
    kbPer(r.after.heapUsed - r.before.heapUsed, r.connected).toFixed(1),
    kbPer(r.after.heapTotal - r.before.heapTotal, r.connected).toFixed(1),
    kbPer(r.after.external - r.before.external, r.connected).toFixed(1),
    String(r.dropped),
  ]);
  console.log(`\n${table(header, rows, 1)}`);
  for (const r of [ours, bare]) if (r.failures.size > 0) console.log(`  ${r.server} connection failures: ${describeFailures(r.failures)}`);
  return { ours, bare };
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 2: the message path.

interface Rig {
  server: string;
  child: ChildProcess;
  customers: LightSocket[];
  /** Each customer socket's session. */
  sessionOf: string[];
  operators: LightSocket[];
  /** Told of every `message:new` an operator socket receives. */
  onDelivered: (message: { clientMessageId?: string }) => void;
}

interface Sample {
  t0: number;
  ack: number;
  delivered: number;
  ok: boolean;
  id: number;
  sessionId: string;
}

interface RunResult {
  server: string;
  label: string;
  offered: number;
  seconds: number;
  sent: number;
  acked: number;
  errors: Map<string, number>;
  delivered: number;
  /** Delivered within the sending window, per second: the sustained rate under this offer. */
  deliveredPerSecond: number;
  /** Every delivery ÷ the time from the first emit to the last delivery (backlog included): the processing rate. */
  completedPerSecond: number;
  ackPerSecond: number;
  ack: number[];
  deliver: number[];
  unanswered: number;
  undelivered: number;
  serverCpuPerMessage: number;
  generatorCpuPerMessage: number;
  generatorLagP99: number;
}

/** Every acknowledged message of our server, for the database check: clientMessageId → sample. */
const ourAcked = new Map<string, Sample>();
let sequence = 0;

async function runAtRate(rig: Rig, label: string, rate: number, seconds: number, keep: Map<string, Sample> | null): Promise<RunResult> {
  const samples = new Map<string, Sample>();
  const errors = new Map<string, number>();
  let acked = 0;
  let answered = 0;
  let delivered = 0;
  rig.onDelivered = (message) => {
    const sample = message.clientMessageId === undefined ? undefined : samples.get(message.clientMessageId);
    if (sample && sample.delivered === 0) {
      sample.delivered = performance.now();
      delivered++;
    }
  };
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const cpuBefore = await cpuMs(rig.child);
  const ownCpuBefore = process.cpuUsage();

  const start = performance.now();
  const windowMs = seconds * 1000;
  let sent = 0;
  // Latencies from when each message was due, so a lagging load generator shows in them rather than hiding.
  await openLoop(rate, seconds, (index, scheduledAt) => {
    const customer = index % rig.customers.length;
    const clientMessageId = `rt-${suffix}-${++sequence}`;
    const sample: Sample = { t0: scheduledAt, ack: 0, delivered: 0, ok: false, id: 0, sessionId: rig.sessionOf[customer] as string };
    samples.set(clientMessageId, sample);
    (rig.customers[customer] as LightSocket).emit('message:send', { content: CONTENT, clientMessageId }, (answer) => {
      const reply = answer as { ok?: boolean; data?: { id: number }; error?: { code: string } } | null;
      sample.ack = performance.now();
      answered++;
      if (reply?.ok) {
        sample.ok = true;
        sample.id = reply.data?.id ?? 0;
        acked++;
        keep?.set(clientMessageId, sample);
      } else {
        const code = reply?.error?.code ?? 'malformed ack';
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    });
    sent++;
  });
  const end = start + windowMs;
  // Wait for the backlog: every ack, and a delivery for every stored message.
  const deadline = performance.now() + DRAIN_TIMEOUT * 1000;
  while ((answered < sent || delivered < acked) && performance.now() < deadline) await sleep(20);
  lag.disable();
  const serverCpu = (await cpuMs(rig.child)) - cpuBefore;
  const ownCpu = process.cpuUsage(ownCpuBefore);

  const ack: number[] = [];
  const deliver: number[] = [];
  let deliveredInWindow = 0;
  let ackedInWindow = 0;
  let lastDelivery = start;
  for (const sample of samples.values()) {
    lastDelivery = Math.max(lastDelivery, sample.delivered);
    if (sample.ok) {
      ack.push(sample.ack - sample.t0);
      if (sample.ack <= end) ackedInWindow++;
    }
    if (sample.delivered > 0) {
      deliver.push(sample.delivered - sample.t0);
      if (sample.delivered <= end) deliveredInWindow++;
    }
  }
  ack.sort((a, b) => a - b);
  deliver.sort((a, b) => a - b);
  return {
    server: rig.server,
    label,
    offered: rate,
    seconds,
    sent,
    acked,
    errors,
    delivered,
    deliveredPerSecond: deliveredInWindow / seconds,
    completedPerSecond: delivered / Math.max((lastDelivery - start) / 1000, seconds),
    ackPerSecond: ackedInWindow / seconds,
    ack,
    deliver,
    unanswered: sent - answered,
    undelivered: acked - delivered,
    serverCpuPerMessage: serverCpu / Math.max(sent, 1),
    generatorCpuPerMessage: (ownCpu.user + ownCpu.system) / 1000 / Math.max(sent, 1),
    generatorLagP99: lag.percentile(99) / 1e6,
  };
}

/** Whether the server kept up with a run's offer (see the search in the header). */
function keptUp(run: RunResult): boolean {
  const ackP99 = percentile(run.ack, 99) ?? Number.POSITIVE_INFINITY;
  return run.errors.size === 0 && run.unanswered + run.undelivered === 0 && run.deliveredPerSecond >= 0.95 * run.offered && ackP99 <= SUSTAIN_ACK_P99_MS;
}

/** The highest offer kept up with among the runs, as delivered per second (0: none). */
const sustained = (runs: RunResult[]): number => Math.max(0, ...runs.filter(keptUp).map((r) => r.deliveredPerSecond));

/** Warm-up, the fixed rate, then the search for the highest rate kept up with. */
async function exercise(rig: Rig, keep: Map<string, Sample> | null): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const run = async (offered: number, label: string): Promise<RunResult> => {
    const result = await runAtRate(rig, label, offered, DURATION, keep);
    results.push(result);
    console.log(
      `  ${rig.server} ${result.label}: ${result.deliveredPerSecond.toFixed(0)} delivered/s, deliver p99 ${formatMs(percentile(result.deliver, 99))} ms, ack p99 ${formatMs(percentile(result.ack, 99))} ms` +
        (result.errors.size > 0 ? `, ack errors ${describeFailures(result.errors)}` : '') +
        (keptUp(result) ? '' : ' (not kept up)'),
    );
    return result;
  };
  if (WARMUP > 0) await runAtRate(rig, 'warm-up', RATE, WARMUP, keep);
  let best = keptUp(await run(RATE, `${RATE}/s`)) ? RATE : 0;
  let missed = best === 0 ? RATE : Number.POSITIVE_INFINITY;
  for (let step = 0; step < MAX_STEPS; step++) {
    const offered = Math.round(Number.isFinite(missed) ? (best + missed) / 2 : best * 1.5);
    // Within 5 % of the answer, or past the cap: another run would not tell more.
    if (offered > MAX_RATE || (Number.isFinite(missed) && missed - best <= 0.05 * missed)) break;
    if (keptUp(await run(offered, `${offered}/s offered`))) best = offered;
    else missed = offered;
  }
  return results;
}

function wireDelivery(rig: Rig): void {
  for (const socket of rig.operators) {
    socket.on('message:new', (payload) => {
      const { message } = (payload ?? {}) as { message?: { clientMessageId?: string; senderType?: string } };
      if (message?.senderType === 'customer') rig.onDelivered(message);
    });
  }
}

async function ourRig(): Promise<Rig & { base: string; operatorIds: number[] }> {
  const started = await startOurs('messages');
  const base = `http://127.0.0.1:${started.port}`;
  const admin = await api<{ token: string }>(base, 'POST', '/api/auth/login', { body: ADMIN });
  const capacity = Math.ceil(SESSIONS / OPERATORS);
  if (capacity > 100) throw new Error(`BENCH_SESSIONS / BENCH_OPERATORS must be ≤ 100 (maxConcurrentSessions), is ${capacity}`);
  const operatorIds: number[] = [];
  const operators: LightSocket[] = [];
  for (let i = 1; i <= OPERATORS; i++) {
    const spec = { name: `Bench operator ${i}`, email: `rt-op${i}-${suffix}@example.com`, password: `operator-${i}-${suffix}`, maxConcurrentSessions: capacity };
    const created = await api<{ id: number }>(base, 'POST', '/api/operators', { token: admin.token, body: spec });
    const { token } = await api<{ token: string }>(base, 'POST', '/api/auth/login', { body: { email: spec.email, password: spec.password } });
    const socket = await connectLight(base, '/operator', { token });
    const reply = (await socket.emitWithAck('status:set', { status: 'online' }, 10_000)) as { ok: boolean; error?: { code: string } };
    if (!reply.ok) throw new Error(`status:set online → ${reply.error?.code}`);
    operatorIds.push(created.id);
    operators.push(socket);
  }

  const tickets: Array<{ sessionId: string; token: string }> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < SESSIONS) {
        const n = ++next;
        const ticket = await api<{ session: { id: string; status: string }; customerToken: string }>(base, 'POST', '/api/chat/sessions', {
          body: { customerName: `Bench customer ${n}` },
        });
        tickets.push({ sessionId: ticket.session.id, token: ticket.customerToken });
      }
    }),
  );
  // The operators must really hold them: read the assignment back from the database. Concurrent arrivals
  // may leave one queued for a moment; the routing sweep hands it its seat within a second.
  const db = await bench.connectDatabase();
  let held: Array<{ operatorId: number; n: number }> = [];
  let counts: number[] = [];
  for (let attempt = 0; attempt < 50; attempt++) {
    [held] = (await db.query(
      "SELECT operator_id AS operatorId, COUNT(*) AS n FROM chat_sessions WHERE status = 'active' AND id IN (?) GROUP BY operator_id",
      [tickets.map((t) => t.sessionId)],
    )) as unknown as [Array<{ operatorId: number; n: number }>];
    counts = held.map((h) => Number(h.n));
    if (counts.reduce((a, b) => a + b, 0) === SESSIONS) break;
    await sleep(200);
  }
  await db.end();
  if (held.length !== OPERATORS || held.some((h) => !operatorIds.includes(h.operatorId)) || counts.reduce((a, b) => a + b, 0) !== SESSIONS) {
    throw new Error(`the sessions are not held by the bench operators: ${JSON.stringify(held)}`);
  }
  console.log(`  ours: ${OPERATORS} operators online on /operator, ${SESSIONS} sessions routed to them (database: ${Math.min(...counts)}–${Math.max(...counts)} each)`);

  const { sockets: customers, failures } = await connectAll(tickets.map((t) => ({ token: t.token })), 100, (auth) => connectLight(base, '/customer', auth));
  if (failures.size > 0) throw new Error(`customer sockets failed to connect: ${describeFailures(failures)}`);
  const rig = { server: 'ours', child: started.child, customers, sessionOf: tickets.map((t) => t.sessionId), operators, onDelivered: () => undefined, base, operatorIds };
  wireDelivery(rig);
  return rig;
}

async function relayRig(): Promise<Rig> {
  const started = await startRelay('messages');
  const base = `http://127.0.0.1:${started.port}`;
  const operators: LightSocket[] = [];
  for (let i = 1; i <= OPERATORS; i++) operators.push(await connectLight(base, '/operator', { operatorId: i }));
  const sessionOf = Array.from({ length: SESSIONS }, () => randomUUID());
  const { sockets: customers, failures } = await connectAll(
    sessionOf.map((sessionId, i) => ({ sessionId, operatorId: 1 + (i % OPERATORS) })),
    100,
    (auth) => connectLight(base, '/customer', auth),
  );
  if (failures.size > 0) throw new Error(`relay customer sockets failed to connect: ${describeFailures(failures)}`);
  const rig = { server: 'bare relay', child: started.child, customers, sessionOf, operators, onDelivered: () => undefined };
  wireDelivery(rig);
  return rig;
}

interface Verification {
  acked: number;
  rows: number;
  missing: number;
  wrongId: number;
  wrongSession: number;
  duplicates: number;
  storedUnacked: number;
}

/** Every acknowledged message is in the database exactly once, with the id and session it was acked with. */
async function verifyStored(acked: Map<string, Sample>): Promise<Verification> {
  const db = await bench.connectDatabase();
  try {
    const [rows] = (await db.query('SELECT id, session_id AS sessionId, client_message_id AS clientMessageId FROM chat_messages WHERE client_message_id LIKE ?', [
      `rt-${suffix}-%`,
    ])) as unknown as [Array<{ id: number; sessionId: string; clientMessageId: string }>];
    const [[dup]] = (await db.query(
      'SELECT COUNT(*) AS n FROM (SELECT client_message_id FROM chat_messages WHERE client_message_id LIKE ? GROUP BY client_message_id HAVING COUNT(*) > 1) d',
      [`rt-${suffix}-%`],
    )) as unknown as [[{ n: number }]];
    const byKey = new Map(rows.map((row) => [row.clientMessageId, row]));
    let missing = 0;
    let wrongId = 0;
    let wrongSession = 0;
    for (const [key, sample] of acked) {
      const row = byKey.get(key);
      if (!row) missing++;
      else if (Number(row.id) !== sample.id) wrongId++;
      else if (row.sessionId !== sample.sessionId) wrongSession++;
    }
    const storedUnacked = rows.filter((row) => !acked.has(row.clientMessageId)).length;
    return { acked: acked.size, rows: rows.length, missing, wrongId, wrongSession, duplicates: Number(dup.n), storedUnacked };
  } finally {
    await db.end();
  }
}

async function scenarioMessages(): Promise<{ ours: RunResult[]; bare: RunResult[]; verification: Verification }> {
  console.log(`\n== Scenario 2: message path, ${SESSIONS} sessions over ${OPERATORS} operators, ${DURATION} s per run ==`);
  let oursResults: RunResult[] = [];
  let bareResults: RunResult[] = [];
  if (SERVERS.has('ours')) {
    const ours = await ourRig();
    oursResults = await exercise(ours, ourAcked);
    closeSockets([...ours.customers, ...ours.operators]);
    await stopChild(ours.child);
  }
  const verification = await verifyStored(ourAcked);
  if (SERVERS.has('bare')) {
    const bare = await relayRig();
    bareResults = await exercise(bare, null);
    closeSockets([...bare.customers, ...bare.operators]);
    await stopChild(bare.child);
  }

  const header = ['server', 'run', 'sent/s', 'delivered/s', 'completed/s', 'ack p50', 'ack p99', 'deliver p50', 'deliver p99', 'deliver max', 'ack errors', 'lost', 'srv CPU ms/msg', 'gen CPU ms/msg', 'gen lag p99'];
  const rows = [...oursResults, ...bareResults].map((r) => [
    r.server,
    r.label,
    (r.sent / r.seconds).toFixed(0),
    r.deliveredPerSecond.toFixed(0),
    r.completedPerSecond.toFixed(0),
    formatMs(percentile(r.ack, 50)),
    formatMs(percentile(r.ack, 99)),
    formatMs(percentile(r.deliver, 50)),
    formatMs(percentile(r.deliver, 99)),
    formatMs(r.deliver[r.deliver.length - 1]),
    String([...r.errors.values()].reduce((a, b) => a + b, 0)),
    String(r.unanswered + r.undelivered),
    r.serverCpuPerMessage.toFixed(3),
    r.generatorCpuPerMessage.toFixed(3),
    formatMs(r.generatorLagP99),
  ]);
  console.log(`\n${table(header, rows, 2)}`);
  console.log('  (latencies in ms from the moment each emit was due; delivered/s = operator deliveries within the sending window; completed/s = all deliveries ÷ (last delivery − first emit),');
  console.log('   backlog included; lost = unanswered + undelivered after the drain;');
  console.log('   srv CPU = server process CPU per message sent; gen = this load generator (its CPU per message, its event-loop delay p99 in ms): it shares the machine)');
  for (const r of [...oursResults, ...bareResults]) if (r.errors.size > 0) console.log(`  ${r.server} ${r.label} ack errors: ${describeFailures(r.errors)}`);
  return { ours: oursResults, bare: bareResults, verification };
}

async function main(): Promise<number> {
  console.log(`bench:realtime — MariaDB ${databaseName}, Redis prefix ${redisPrefix}, bare relay adapter: ${BARE_ADAPTER}`);
  console.log(`machine: ${os.cpus().length} CPUs, load average ${loadAverage()} (shared machine: compare ratios, not absolute numbers)`);

  await bench.createDatabase();
  // A first start migrates the schema and bootstraps the admin; each scenario then starts its own server.
  const migrating = await bench.startChild('chatServer.js', ourEnv('migrate'));
  await stopChild(migrating.child);

  let exitCode = 0;
  const verdicts: string[] = [];
  if (SCENARIOS.has('connections')) {
    const { ours, bare } = await scenarioConnections();
    const oursKb = kbPer(ours.after.rss - ours.before.rss, ours.connected);
    const bareKb = kbPer(bare.after.rss - bare.before.rss, bare.connected);
    verdicts.push(
      `held connections: ${ours.connected}/${SOCKETS} connected in ${ours.seconds.toFixed(1)} s (bare ${bare.seconds.toFixed(1)} s, ${(ours.seconds / bare.seconds).toFixed(2)}×)`,
      `RSS per connection: ours ${oursKb.toFixed(1)} KB, bare ${bareKb.toFixed(1)} KB (${(oursKb / Math.max(bareKb, 0.001)).toFixed(2)}×; target ours ≤ ${TARGET_KB_PER_CONNECTION} KB)  ${verdict(oursKb <= TARGET_KB_PER_CONNECTION && ours.connected === SOCKETS)}`,
    );
    if (ours.connected !== SOCKETS || ours.dropped > 0) exitCode = 1;
  }
  if (SCENARIOS.has('messages')) {
    const { ours, bare, verification } = await scenarioMessages();
    const [oursFixed, ...oursMax] = ours;
    const [, ...bareMax] = bare;
    const oursBest = sustained(ours);
    const bareBest = sustained(bare);
    const bareSaturated = bare.some((r) => !keptUp(r));
    const p99Deliver = percentile(oursFixed?.deliver ?? [], 99) ?? Number.POSITIVE_INFINITY;
    const p99Ack = percentile(oursFixed?.ack ?? [], 99) ?? Number.POSITIVE_INFINITY;
    const fixedClean = oursFixed !== undefined && oursFixed.errors.size === 0 && oursFixed.unanswered + oursFixed.undelivered === 0;
    const ratio = oursBest / Math.max(bareBest, 1);
    const completed = (runs: RunResult[]): number => Math.max(0, ...runs.map((r) => r.completedPerSecond));
    const completedRatio = completed(oursMax) / Math.max(completed(bareMax), 1);
    const mismatches = verification.missing + verification.wrongId + verification.wrongSession + verification.duplicates;
    verdicts.push(
      `sustained stored-and-delivered: ours ${oursBest.toFixed(0)} msg/s (target ≥ ${TARGET_THROUGHPUT})  ${verdict(oursBest >= TARGET_THROUGHPUT)}`,
      `p99 at ${RATE} msg/s: emit→delivered ${formatMs(p99Deliver)} ms, emit→ack ${formatMs(p99Ack)} ms (target ≤ ${TARGET_P99_MS} ms, every message answered)  ${verdict(p99Deliver <= TARGET_P99_MS && p99Ack <= TARGET_P99_MS && fixedClean)}`,
      `throughput vs bare relay: ${oursBest.toFixed(0)} ÷ ${bareBest.toFixed(0)}${bareSaturated ? '' : ' (bare not saturated: its maximum is higher)'} = ${(ratio * 100).toFixed(1)}% (target ≥ ${TARGET_RATIO * 100}%)  ${verdict(ratio >= TARGET_RATIO)}`,
      `processing rate over all runs, backlog included (completed/s, best): ours ${completed(oursMax).toFixed(0)}, bare ${completed(bareMax).toFixed(0)} = ${(completedRatio * 100).toFixed(1)}% (for information)`,
      `server CPU per message at ${RATE} msg/s: ours ${oursFixed?.serverCpuPerMessage.toFixed(3)} ms, bare ${bare[0]?.serverCpuPerMessage.toFixed(3)} ms (${((oursFixed?.serverCpuPerMessage ?? 0) / Math.max(bare[0]?.serverCpuPerMessage ?? 1, 0.0001)).toFixed(1)}×)`,
      `database check: ${verification.acked} acked, ${verification.rows} rows; missing ${verification.missing}, wrong id ${verification.wrongId}, wrong session ${verification.wrongSession}, duplicated ${verification.duplicates}; ` +
        `stored but never acked ${verification.storedUnacked}  → mismatches ${mismatches}  ${verdict(mismatches === 0)}`,
    );
    if (mismatches > 0) exitCode = 1;
  }
  console.log('\n== Summary ==');
  for (const line of verdicts) console.log(`  ${line}`);
  console.log(`load average after the runs: ${loadAverage()}`);
  return exitCode;
}

function printProfiles(): void {
  if (!CPU_PROF || !fs.existsSync(PROFILE_DIR)) return;
  for (const [pid, tag] of profiledPids) {
    const file = fs.readdirSync(PROFILE_DIR).find((name) => name.includes(`.${pid}.`) && name.endsWith('.cpuprofile'));
    if (!file) continue;
    console.log(`\n== CPU profile of our server (${tag}, pid ${pid}) ==`);
    console.log(summarizeProfile(path.join(PROFILE_DIR, file)));
  }
}

main()
  .catch((error: unknown) => {
    console.error(`bench:realtime failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  })
  .then(async (code) => {
    await bench.cleanup();
    printProfiles();
    process.exit(code);
  });
