import { randomUUID } from 'node:crypto';
import { issueCustomerToken } from '../../../services/sessions/customerTokens';
import { memoryUsage, sleep, stopChild, table, type Started } from '../harness';
import { CONNECT_BATCH, HOLD_SECONDS, IDLE_SESSIONS_PER_OPERATOR, SOCKETS } from './config';
import { bench, startOurs, startRelay } from './run';
import { closeSockets, connect, connectAll, describeFailures } from './sockets';

/** bench:realtime scenario 1: held connections, on our server and on the bare relay. */

export interface IdleCustomer {
  sessionId: string;
  operatorId: number;
  token: string;
}

/**
 * Offline operators (100 sessions each, at their limit) and their active sessions, inserted with multi-row
 * INSERTs; each session's token hash is stored as the server stores it. Seconds instead of minutes of REST.
 * `stem` names the operators (`${stem}-op1-<run>@example.com`, …); with a `passwordHash` they can sign in,
 * otherwise they exist only to hold sessions.
 */
export async function insertIdleSessions(count: number, stem = 'idle', passwordHash = '!'): Promise<{ customers: IdleCustomer[]; operatorEmails: string[] }> {
  const db = await bench.connectDatabase({ timezone: 'Z' });
  try {
    const now = new Date();
    const operatorCount = Math.ceil(count / IDLE_SESSIONS_PER_OPERATOR);
    const operatorEmails = Array.from({ length: operatorCount }, (_, i) => `${stem}-op${i + 1}-${bench.suffix}@example.com`);
    const operatorRows = operatorEmails.map((email, i) => {
      const held = Math.min(IDLE_SESSIONS_PER_OPERATOR, count - i * IDLE_SESSIONS_PER_OPERATOR);
      return [`${stem} operator ${i + 1}`, email, passwordHash, 'operator', 'offline', IDLE_SESSIONS_PER_OPERATOR, '[]', held, now, now, now];
    });
    await db.query(
      'INSERT INTO operators (name, email, password_hash, role, status, max_concurrent_sessions, departments, active_sessions, last_assigned_at, created_at, updated_at) VALUES ?',
      [operatorRows],
    );
    const [ids] = (await db.query('SELECT id FROM operators WHERE email IN (?) ORDER BY id', [operatorEmails])) as unknown as [Array<{ id: number }>];
    const customers: IdleCustomer[] = [];
    for (let start = 0; start < count; start += 1000) {
      const rows: unknown[][] = [];
      for (let i = start; i < Math.min(count, start + 1000); i++) {
        const sessionId = randomUUID();
        const operatorId = ids[Math.floor(i / IDLE_SESSIONS_PER_OPERATOR)]?.id as number;
        const { token, hash } = issueCustomerToken(sessionId);
        customers.push({ sessionId, operatorId, token });
        rows.push([sessionId, 'active', `${stem} customer ${i + 1}`, operatorId, hash, now, now, now, now]);
      }
      await db.query(
        'INSERT INTO chat_sessions (id, status, customer_name, operator_id, customer_token_hash, assigned_at, last_message_at, created_at, updated_at) VALUES ?',
        [rows],
      );
    }
    return { customers, operatorEmails };
  } finally {
    await db.end();
  }
}

export interface HeldResult {
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
export const kbPer = (bytes: number, n: number): number => bytes / 1024 / Math.max(n, 1);

export async function scenarioConnections(): Promise<{ ours: HeldResult; bare: HeldResult }> {
  console.log(`\n== Scenario 1: ${SOCKETS} held customer connections ==`);
  const t0 = performance.now();
  const { customers } = await insertIdleSessions(SOCKETS);
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
