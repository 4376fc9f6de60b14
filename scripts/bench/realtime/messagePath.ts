import { randomUUID } from 'node:crypto';
import { api, formatMs, percentile, sleep, stopChild, table } from '../harness';
import type { LightSocket } from '../lightSocket';
import { DURATION, OPERATORS, SERVERS, SESSIONS } from './config';
import { ackedKeyPrefix, ourAcked, type Rig, type RunResult } from './messageRun';
import { bench, startOurs, startRelay } from './run';
import { closeSockets, connectAll, connectLight, describeFailures } from './sockets';
import { verifyStored, type Verification } from '../storedCheck';
import { exercise } from './sustainedSearch';

/** bench:realtime scenario 2: the message path, its operators and customers on our server and on the bare relay. */

function wireDelivery(rig: Rig): void {
  for (const socket of rig.operators) {
    socket.on('message:new', (payload) => {
      const { message } = (payload ?? {}) as { message?: { clientMessageId?: string; senderType?: string } };
      if (message?.senderType === 'customer') rig.onDelivered(message);
    });
  }
}

export async function ourRig(): Promise<Rig & { base: string; operatorIds: number[] }> {
  const started = await startOurs('messages');
  const base = `http://127.0.0.1:${started.port}`;
  const admin = await api<{ token: string }>(base, 'POST', '/api/auth/login', { body: bench.admin });
  const capacity = Math.ceil(SESSIONS / OPERATORS);
  if (capacity > 100) throw new Error(`BENCH_SESSIONS / BENCH_OPERATORS must be ≤ 100 (maxConcurrentSessions), is ${capacity}`);
  const operatorIds: number[] = [];
  const operators: LightSocket[] = [];
  for (let i = 1; i <= OPERATORS; i++) {
    const spec = { name: `Bench operator ${i}`, email: `rt-op${i}-${bench.suffix}@example.com`, password: `operator-${i}-${bench.suffix}`, maxConcurrentSessions: capacity };
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

export async function scenarioMessages(): Promise<{ ours: RunResult[]; bare: RunResult[]; verification: Verification }> {
  console.log(`\n== Scenario 2: message path, ${SESSIONS} sessions over ${OPERATORS} operators, ${DURATION} s per run ==`);
  let oursResults: RunResult[] = [];
  let bareResults: RunResult[] = [];
  if (SERVERS.has('ours')) {
    const ours = await ourRig();
    oursResults = await exercise(ours, ourAcked);
    closeSockets([...ours.customers, ...ours.operators]);
    await stopChild(ours.child);
  }
  const verification = await verifyStored(bench, ackedKeyPrefix, ourAcked);
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
