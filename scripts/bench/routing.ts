import { randomBytes } from 'node:crypto';
import { BenchRun, api, percentile } from './harness';

/**
 * `npm run bench:routing`: two server processes on one MariaDB + Redis (as under pm2), many operators, in two
 * phases. Arrivals: a burst of customers spread over both processes, each routed as it is created. Backlog:
 * customers waiting while nobody is online, then every operator comes online at once, and the queue drains.
 * Reports assignments per second for each, the latency of a session's creation + claim, the time from
 * arrival to assignment, and the invariant violations found afterwards in the database (must be 0).
 * Target: ≥ 500 assignments/s.
 *
 * Environment: BENCH_SESSIONS (2000), BENCH_CONCURRENCY (32), BENCH_OPERATORS (40), BENCH_MYSQL_HOST/PORT/USER/
 * PASSWORD (127.0.0.1:3306 root, no password), BENCH_REDIS_URL (redis://127.0.0.1:6379).
 */
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 40);
const CAPACITY = Math.ceil((SESSIONS * 1.1) / OPERATORS);
const TARGET_PER_SECOND = 500;

const bench = new BenchRun({ databaseStem: 'chat_bench_routing', redisStem: 'bench-routing', quiet: true });

// One secret for both processes: a token signed by one is honoured by the other, as in a deployment.
const jwtSecret = randomBytes(32).toString('hex');

async function startServer(): Promise<string> {
  const { port } = await bench.startChild('chatServer.js', {
    ...bench.chatServerEnv(jwtSecret),
    DB_POOL_MAX: '20',
    LOG_LEVEL: 'error',
    RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
    RATE_LIMIT_LOGINS_PER_MINUTE: '0',
    SESSION_IDLE_TIMEOUT_MINUTES: '0',
    // The operators here hold no socket; keep them present for the whole run.
    OPERATOR_PRESENCE_GRACE_SECONDS: '3600',
  });
  return `http://127.0.0.1:${port}`;
}

/** NaN, printed as such, when there was nothing to measure. */
const msAt = (sorted: number[], p: number): string => (percentile(sorted, p) ?? NaN).toFixed(1);

async function main(): Promise<number> {
  await bench.createDatabase();
  // The first process migrates and bootstraps the admin; the second starts on the ready schema.
  const first = await startServer();
  const bases = [first, await startServer()];

  const { token } = await api<{ token: string }>(first, 'POST', '/api/auth/login', { body: bench.admin });
  const createOperators = async (group: string): Promise<number[]> => {
    const ids: number[] = [];
    for (let i = 0; i < OPERATORS; i++) {
      const operator = await api<{ id: number }>(first, 'POST', '/api/operators', {
        token,
        body: { name: `Bench operator ${group}${i}`, email: `bench-${group}${i}@example.com`, password: 'bench-operator-password', maxConcurrentSessions: CAPACITY },
      });
      ids.push(operator.id);
    }
    return ids;
  };
  const setStatus = (ids: number[], status: string): Promise<unknown> =>
    Promise.all(ids.map((id, i) => api(bases[i % 2]!, 'PUT', `/api/operators/${id}/status`, { token, body: { status } })));
  const arrivalOperators = await createOperators('a');
  await setStatus(arrivalOperators, 'online');
  console.log(`routing benchmark: ${SESSIONS} customers, ${CONCURRENCY} at a time over 2 processes, ${OPERATORS} operators × ${CAPACITY} seats`);

  const latencies: number[] = [];
  let assignedAtOnce = 0;
  let failed = 0;
  const arrive = async (count: number, collect: boolean): Promise<number> => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        while (next < count) {
          const n = next++;
          const sent = performance.now();
          try {
            const { session } = await api<{ session: { status: string } }>(bases[(n + worker) % 2]!, 'POST', '/api/chat/sessions', { body: { customerName: `Customer ${n}` } });
            if (collect && session.status === 'active') assignedAtOnce++;
          } catch {
            failed++;
          }
          if (collect) latencies.push(performance.now() - sent);
        }
      }),
    );
    return (performance.now() - t0) / 1000;
  };
  const seconds = await arrive(SESSIONS, true);

  // Backlog: the first operators leave (their chats stay theirs), customers queue, then a new shift comes
  // online all at once and the queue drains.
  await setStatus(arrivalOperators, 'offline');
  const backlogOperators = await createOperators('b');
  await arrive(SESSIONS, false);
  const probe = await bench.connectDatabase();
  const waitingNow = async (): Promise<number> => {
    const [[row]] = (await probe.query("SELECT COUNT(*) AS n FROM chat_sessions WHERE status = 'waiting'")) as unknown as [[{ n: number }]];
    return Number(row.n);
  };
  const backlog = await waitingNow();
  const drainStarted = performance.now();
  await setStatus(backlogOperators, 'online');
  while ((await waitingNow()) > 0 && performance.now() - drainStarted < 120_000) await new Promise((resolve) => setTimeout(resolve, 20));
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  const drained = backlog - (await waitingNow());
  await probe.end();

  const db = await bench.connectDatabase();
  const [[totals]] = (await db.query(
    "SELECT SUM(status = 'active') AS active, SUM(status = 'waiting') AS waiting FROM chat_sessions",
  )) as unknown as [[{ active: string; waiting: string }]];
  const [overCapacity] = (await db.query(
    'SELECT COUNT(*) AS n FROM operators WHERE active_sessions > max_concurrent_sessions',
  )) as unknown as [[{ n: number }]];
  const [counterDrift] = (await db.query(
    `SELECT COUNT(*) AS n FROM operators o
       WHERE o.active_sessions <> (SELECT COUNT(*) FROM chat_sessions s WHERE s.operator_id = o.id AND s.status = 'active')`,
  )) as unknown as [[{ n: number }]];
  const [doubleAssigned] = (await db.query(
    "SELECT COUNT(*) AS n FROM (SELECT session_id FROM session_events WHERE type = 'assigned' GROUP BY session_id HAVING COUNT(*) > 1) d",
  )) as unknown as [[{ n: number }]];
  const [waits] = (await db.query(
    'SELECT TIMESTAMPDIFF(MICROSECOND, created_at, assigned_at) / 1000 AS ms FROM chat_sessions WHERE operator_id IN (?) ORDER BY ms',
    [arrivalOperators],
  )) as unknown as [Array<{ ms: string }>];
  await db.end();

  const active = Number(totals.active);
  const violations = Number(overCapacity[0].n) + Number(counterDrift[0].n) + Number(doubleAssigned[0].n) + (active + Number(totals.waiting) === 2 * SESSIONS ? 0 : 1);
  const sorted = [...latencies].sort((a, b) => a - b);
  const waitMs = waits.map((w) => Number(w.ms));
  const rate = (active - drained) / seconds;
  const drainRate = drained / drainSeconds;
  const row = (label: string, value: string): string => `${label.padEnd(44)} ${value}`;
  console.log('');
  console.log(row('sessions created (failed requests)', `${SESSIONS - failed} (${failed})`));
  console.log(row('arrivals: assigned (at once, in the response)', `${active - drained} (${assignedAtOnce})`));
  console.log(row('arrivals: wall time', `${seconds.toFixed(2)} s`));
  console.log(row('arrivals: assignments per second', `${rate.toFixed(0)}  (target ≥ ${TARGET_PER_SECOND}: ${rate >= TARGET_PER_SECOND ? 'PASS' : 'FAIL'})`));
  console.log(row('arrivals: create + claim request p50 / p99', `${msAt(sorted, 50)} ms / ${msAt(sorted, 99)} ms`));
  console.log(row('backlog: drained of waiting', `${drained} of ${backlog} in ${drainSeconds.toFixed(2)} s`));
  console.log(row('backlog: assignments per second', `${drainRate.toFixed(0)}  (target ≥ ${TARGET_PER_SECOND}: ${drainRate >= TARGET_PER_SECOND ? 'PASS' : 'FAIL'})`));
  console.log(row('arrivals: arrival → assigned p50 / p99 (db times)', `${msAt(waitMs, 50)} ms / ${msAt(waitMs, 99)} ms`));
  console.log(row('invariant violations', `${violations} (over capacity ${overCapacity[0].n}, counter drift ${counterDrift[0].n}, double assignment ${doubleAssigned[0].n})`));
  return violations === 0 && failed === 0 && drained === backlog ? 0 : 1;
}

main()
  .catch((error: unknown) => {
    console.error(`bench:routing failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  })
  .then(async (code) => {
    await bench.cleanup();
    process.exit(code);
  });
