import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { io, type Socket } from 'socket.io-client';
import { BenchRun, UNLIMITED_ENV, api, formatMs, loadAverage, openLoop, percentile, retentionCounts, sleep, table, verdict } from './harness';
import { Corpus, writeCorpus } from './search/corpus';

/**
 * `npm run bench:retention`: MESSAGE_RETENTION_DAYS purging a backlog while customers chat, on two server
 * processes over MariaDB + Redis. BENCH_OLD_MESSAGES (100,000) messages in BENCH_OLD_SESSIONS (2,000) closed
 * sessions are written straight into the database, closed just now, so nothing has expired yet. Customers then
 * send text over their sockets at BENCH_TEXT_RATE msg/s: first for BENCH_DURATION seconds with nothing to purge
 * (the baseline), then while the backlog is purged (its sessions moved to 40 days ago, past the 30 days of the
 * setting), then again for BENCH_DURATION seconds once the purge is over. The message path's ack p99 during the
 * purge must stay within 1.5× of the baseline's; every old session must be erased exactly once, and the sessions
 * the two processes took into batches must add up to the backlog (a batch done twice would count more).
 *
 * Environment: BENCH_OLD_MESSAGES, BENCH_OLD_SESSIONS, BENCH_TEXT_RATE (100), BENCH_TEXT_SESSIONS (20),
 * BENCH_DURATION (15), BENCH_MYSQL_HOST/PORT/USER/PASSWORD, BENCH_REDIS_URL.
 */
const OLD_MESSAGES = Number(process.env.BENCH_OLD_MESSAGES ?? 100_000);
const OLD_SESSIONS = Number(process.env.BENCH_OLD_SESSIONS ?? 2_000);
const TEXT_RATE = Number(process.env.BENCH_TEXT_RATE ?? 100);
const TEXT_SESSIONS = Number(process.env.BENCH_TEXT_SESSIONS ?? 20);
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const RETENTION_DAYS = 30;
/** The longest a purge may take before the run gives up on it. */
const PURGE_LIMIT_MS = 15 * 60_000;

const sockets: Socket[] = [];
const bench = new BenchRun({ databaseStem: 'chat_bench_retention', redisStem: 'bench-retention', beforeStop: () => sockets.forEach((s) => s.close()) });

interface Phase {
  acks: number[];
  errors: number;
}

/** Text at TEXT_RATE for `seconds`, spread over the customers' sockets; acks timed from when each was due. */
async function textFor(seconds: number, into: Phase, label: string): Promise<void> {
  let pending = 0;
  await openLoop(TEXT_RATE, seconds, (index, scheduledAt) => {
    pending++;
    const socket = sockets[index % sockets.length] as Socket;
    socket.emit('message:send', { content: `${label} message ${index}`, clientMessageId: `${label}-${performance.now()}-${index}` }, (reply: { ok: boolean }) => {
      pending--;
      if (reply.ok) into.acks.push(performance.now() - scheduledAt);
      else into.errors++;
    });
  });
  for (let waited = 0; pending > 0 && waited < 30_000; waited += 20) await sleep(20);
  into.errors += pending;
}

const sorted = (phase: Phase): number[] => [...phase.acks].sort((a, b) => a - b);

async function main(): Promise<number> {
  console.log(
    `bench:retention — purging ${OLD_MESSAGES.toLocaleString('en')} messages in ${OLD_SESSIONS.toLocaleString('en')} closed sessions on two processes, text at ${TEXT_RATE} msg/s over ${TEXT_SESSIONS} sessions`,
  );
  console.log(`machine: ${os.cpus().length} CPUs, load average ${loadAverage()} (shared machine: compare ratios, not absolute numbers)`);
  await bench.createDatabase();
  const env = { ...bench.chatServerEnv(randomBytes(32).toString('hex')), LOG_LEVEL: 'error', ...UNLIMITED_ENV, MESSAGE_RETENTION_DAYS: String(RETENTION_DAYS) };
  const a = await bench.startChild('chatServer.js', env);
  const b = await bench.startChild('chatServer.js', env);
  const base = `http://127.0.0.1:${a.port}`;

  const db = await bench.connectDatabase();
  const seconds = await writeCorpus(db, new Corpus(5_000), OLD_SESSIONS, OLD_MESSAGES, () => undefined);
  const [counted] = (await db.query("SELECT COUNT(*) AS n FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id WHERE s.status = 'closed'")) as unknown as [Array<{ n: number }>];
  // Closed just now: nothing has expired until the purge phase moves them back.
  await db.query("UPDATE chat_sessions SET closed_at = NOW(3) WHERE status = 'closed'");
  console.log(`backlog written in ${seconds.toFixed(1)} s: ${Number(counted[0]?.n).toLocaleString('en')} messages`);

  const { token } = await api<{ token: string }>(base, 'POST', '/api/auth/login', { body: bench.admin });
  const op = await api<{ id: number }>(base, 'POST', '/api/operators', { token, body: { name: 'Retention bench', email: 'retention@example.com', password: 'bench-operator-password', maxConcurrentSessions: TEXT_SESSIONS + 1 } });
  await api(base, 'PUT', `/api/operators/${op.id}/status`, { token, body: { status: 'online' } });
  for (let i = 0; i < TEXT_SESSIONS; i++) {
    const customer = await api<{ customerToken: string }>(base, 'POST', '/api/chat/sessions', { body: { customerName: `Chatting ${i}` } });
    const socket = io(`${base}/customer`, { auth: { token: customer.customerToken }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('connect_error', reject));
  }

  await textFor(2, { acks: [], errors: 0 }, 'warm-up');
  const before: Phase = { acks: [], errors: 0 };
  await textFor(DURATION, before, 'baseline');

  // Past the retention period: each process's job finds them at its next look (every 10 s), one holding the lease.
  const [old] = (await db.query("SELECT COUNT(*) AS n FROM chat_sessions WHERE status = 'closed' AND erased_at IS NULL AND customer_id LIKE 'crm-%'")) as unknown as [Array<{ n: number }>];
  await db.query(`UPDATE chat_sessions SET closed_at = NOW(3) - INTERVAL ${RETENTION_DAYS + 10} DAY WHERE customer_id LIKE 'crm-%'`);
  const remaining = async (): Promise<number> => {
    const [rows] = (await db.query("SELECT COUNT(*) AS n FROM chat_sessions WHERE erased_at IS NULL AND customer_id LIKE 'crm-%'")) as unknown as [Array<{ n: number }>];
    return Number(rows[0]?.n ?? 0);
  };
  const waitStart = performance.now();
  while ((await remaining()) === Number(old[0]?.n) && performance.now() - waitStart < 20_000) await sleep(100);
  const purgeStart = performance.now();
  const during: Phase = { acks: [], errors: 0 };
  while ((await remaining()) > 0 && performance.now() - purgeStart < PURGE_LIMIT_MS) await textFor(3, during, 'purge');
  const purgeSeconds = (performance.now() - purgeStart) / 1000;
  const left = await remaining();

  const after: Phase = { acks: [], errors: 0 };
  await textFor(DURATION, after, 'after');

  const [countsA, countsB] = await Promise.all([retentionCounts(a.child), retentionCounts(b.child)]);
  const [events] = (await db.query(
    "SELECT COUNT(*) AS sessions, SUM(n) AS events, MAX(n) AS most FROM (SELECT e.session_id, COUNT(*) AS n FROM session_events e JOIN chat_sessions s ON s.id = e.session_id WHERE e.type = 'erased' GROUP BY e.session_id) t",
  )) as unknown as [Array<{ sessions: number; events: number | string; most: number }>];
  const [leftMessages] = (await db.query("SELECT COUNT(*) AS n FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id WHERE s.erased_at IS NOT NULL")) as unknown as [Array<{ n: number }>];
  await db.end();

  const oldSessions = Number(old[0]?.n);
  const p99 = (phase: Phase): number => percentile(sorted(phase), 99) ?? Number.NaN;
  console.log(
    `\n${table(
      ['phase', 'msgs', 'p50 ms', 'p99 ms', 'max ms', 'errors'],
      [
        ['baseline (nothing to purge)', before, 0],
        ['during the purge', during, 0],
        ['after the purge', after, 0],
      ].map(([label, phase]) => {
        const p = phase as Phase;
        const s = sorted(p);
        return [label as string, String(s.length), formatMs(percentile(s, 50)), formatMs(percentile(s, 99)), formatMs(s[s.length - 1]), String(p.errors)];
      }),
      1,
    )}\n`,
  );
  console.log(
    `purge: ${oldSessions.toLocaleString('en')} sessions (${Number(counted[0]?.n).toLocaleString('en')} messages) in ${purgeSeconds.toFixed(1)} s = ${(Number(counted[0]?.n) / purgeSeconds).toFixed(0)} messages/s; ${left} sessions left`,
  );
  console.log(`process A: ${countsA.batches} batches, ${countsA.selected} sessions taken, ${countsA.erased} erased; process B: ${countsB.batches} batches, ${countsB.selected} taken, ${countsB.erased} erased`);
  console.log(`load average after the runs: ${loadAverage()}`);
  const ratio = p99(during) / p99(before);
  const taken = countsA.selected + countsB.selected;
  const erasedOnce = Number(events[0]?.sessions) === oldSessions && Number(events[0]?.events) === oldSessions && Number(events[0]?.most) === 1;
  const checks: Array<[string, boolean]> = [
    [`message ack p99 during the purge ÷ baseline: ${ratio.toFixed(2)}× (target ≤ 1.5×)`, ratio <= 1.5],
    [`every old session erased, once: ${Number(events[0]?.events)} erased events over ${Number(events[0]?.sessions)} sessions of ${oldSessions}, at most ${Number(events[0]?.most)} each`, erasedOnce && left === 0],
    [`no batch done twice: the two processes took ${taken} sessions into batches for ${oldSessions}`, taken === oldSessions],
    [`no message left in an erased session: ${Number(leftMessages[0]?.n)}`, Number(leftMessages[0]?.n) === 0],
    [`no message refused: ${before.errors + during.errors + after.errors} errors`, before.errors + during.errors + after.errors === 0],
  ];
  for (const [line, ok] of checks) console.log(`${line}  ${verdict(ok)}`);
  return checks.every(([, ok]) => ok) ? 0 : 1;
}

main()
  .catch((error: unknown) => {
    console.error(`bench:retention failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  })
  .then(async (code) => {
    await bench.cleanup();
    process.exit(code);
  });
