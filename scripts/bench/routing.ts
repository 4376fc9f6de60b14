import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summarizeProfile } from './cpuProfile';
import { BenchRun, api, percentile, verdict } from './harness';
import { checkInvariants, violationsOf } from './invariants';

/**
 * `npm run bench:routing`: two server processes on one MariaDB + Redis (as under pm2), many operators, in phases.
 * Arrivals, once with 32 customers at a time and once with 256: a burst of customers spread over both processes,
 * each created and routed by its request (a fresh shift of operators with free seats for each burst). Backlog:
 * customers waiting while nobody is online, then a new shift comes online at once, and the queue drains.
 * Reports, with the targets of issue 20: arrivals per second (≥ 1,000) and the create + route request's p99
 * (≤ 100 ms) at each level; the backlog's drain rate (≥ 500/s); the time from arrival to assignment; and the
 * invariant violations found afterwards in the database (must be 0). The load average is printed beside them:
 * every process of the run shares this machine's cores.
 *
 * Environment: BENCH_SESSIONS (2000 per phase), BENCH_LEVELS (customers at a time, "32,256"), BENCH_OPERATORS
 * (40 per shift), BENCH_MYSQL_HOST/PORT/USER/PASSWORD (127.0.0.1:3306 root, no password), BENCH_REDIS_URL
 * (redis://127.0.0.1:6379), BENCH_CPU_PROF=1 (a V8 CPU profile of each server process, summarized at the end;
 * files in BENCH_CPU_PROF_DIR, default ./bench-profiles).
 */
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 2000);
const LEVELS = (process.env.BENCH_LEVELS ?? '32,256').split(',').map(Number);
const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 40);
const CAPACITY = Math.ceil((SESSIONS * 1.1) / OPERATORS);
const ARRIVALS_PER_SECOND = 1000;
const ARRIVAL_P99_MS = 100;
const DRAIN_PER_SECOND = 500;

const bench = new BenchRun({ databaseStem: 'chat_bench_routing', redisStem: 'bench-routing', quiet: true });

// One secret for both processes: a token signed by one is honoured by the other, as in a deployment.
const jwtSecret = randomBytes(32).toString('hex');
const profileDir = path.resolve(process.env.BENCH_CPU_PROF_DIR ?? 'bench-profiles');
const profiling = process.env.BENCH_CPU_PROF === '1';
const profiledPids: number[] = [];

async function startServer(): Promise<string> {
  const { port, child } = await bench.startChild('chatServer.js', {
    ...bench.chatServerEnv(jwtSecret),
    DB_POOL_MAX: '20',
    LOG_LEVEL: 'error',
    RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
    RATE_LIMIT_LOGINS_PER_MINUTE: '0',
    SESSION_IDLE_TIMEOUT_MINUTES: '0',
    // The operators here hold no socket; keep them present for the whole run.
    OPERATOR_PRESENCE_GRACE_SECONDS: '3600',
  }, profiling ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  if (profiling && child.pid !== undefined) profiledPids.push(child.pid);
  return `http://127.0.0.1:${port}`;
}

/** After the servers have stopped (V8 writes a profile at exit). */
function printProfiles(): void {
  for (const pid of profiledPids) {
    const file = fs.readdirSync(profileDir).find((name) => name.includes(`.${pid}.`) && name.endsWith('.cpuprofile'));
    if (!file) continue;
    console.log(`\n== CPU profile of server process ${pid} ==`);
    console.log(summarizeProfile(path.join(profileDir, file)));
  }
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
  console.log(`routing benchmark: ${SESSIONS} customers per phase over 2 processes; arrivals at ${LEVELS.join(' and ')} at a time; ${OPERATORS} operators × ${CAPACITY} seats per shift`);

  let failed = 0;
  /** `count` customers, `atOnce` requests in flight; each request's time (create + route) and how many came back assigned. */
  const arrive = async (count: number, atOnce: number): Promise<{ seconds: number; latencies: number[]; assignedAtOnce: number; created: number }> => {
    let next = 0;
    let assignedAtOnce = 0;
    let created = 0;
    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: atOnce }, async () => {
        while (next < count) {
          const n = next++;
          const sent = performance.now();
          try {
            // Alternate by the customer's number alone: a worker's numbers mostly step by `atOnce`, so mixing in the
            // worker's index sent nearly every request to the same process.
            const { session } = await api<{ session: { status: string } }>(bases[n % 2]!, 'POST', '/api/chat/sessions', { body: { customerName: `Customer ${n}` } });
            created++;
            if (session.status === 'active') assignedAtOnce++;
          } catch {
            failed++;
          }
          latencies.push(performance.now() - sent);
        }
      }),
    );
    return { seconds: (performance.now() - t0) / 1000, latencies: latencies.sort((a, b) => a - b), assignedAtOnce, created };
  };

  const db = await bench.connectDatabase();
  const count = async (sql: string, values: unknown[] = []): Promise<number> => {
    const [[row]] = (await db.query(sql, values)) as unknown as [[{ n: number | string }]];
    return Number(row.n);
  };
  const phases: Array<{ atOnce: number; rate: number; p50: string; p99: number; assignedAtOnce: number; waitMs: number[]; load: number }> = [];
  for (const [index, atOnce] of LEVELS.entries()) {
    // Each burst meets a shift with every seat free; the shift before leaves (its chats stay its own).
    const shift = await createOperators(`a${index}-`);
    await setStatus(shift, 'online');
    const run = await arrive(SESSIONS, atOnce);
    const load = os.loadavg()[0] ?? NaN;
    await setStatus(shift, 'offline');
    const [waits] = (await db.query(
      'SELECT TIMESTAMPDIFF(MICROSECOND, created_at, assigned_at) / 1000 AS ms FROM chat_sessions WHERE operator_id IN (?) ORDER BY ms',
      [shift],
    )) as unknown as [Array<{ ms: string }>];
    phases.push({ atOnce, rate: run.created / run.seconds, p50: msAt(run.latencies, 50), p99: percentile(run.latencies, 99) ?? NaN, assignedAtOnce: run.assignedAtOnce, waitMs: waits.map((w) => Number(w.ms)), load });
  }

  // Backlog: nobody is online, customers queue, then a new shift comes online all at once and the queue drains.
  const backlogOperators = await createOperators('b');
  await arrive(SESSIONS, LEVELS[0] ?? 32);
  const waitingNow = (): Promise<number> => count("SELECT COUNT(*) AS n FROM chat_sessions WHERE status = 'waiting'");
  const backlog = await waitingNow();
  const drainStarted = performance.now();
  await setStatus(backlogOperators, 'online');
  while ((await waitingNow()) > 0 && performance.now() - drainStarted < 120_000) await new Promise((resolve) => setTimeout(resolve, 20));
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  const drained = backlog - (await waitingNow());
  const drainLoad = os.loadavg()[0] ?? NaN;

  const [[totals]] = (await db.query(
    "SELECT SUM(status = 'active') AS active, SUM(status = 'waiting') AS waiting FROM chat_sessions",
  )) as unknown as [[{ active: string; waiting: string }]];
  const invariants = await checkInvariants(db);
  const [doubleAssigned] = (await db.query(
    "SELECT COUNT(*) AS n FROM (SELECT session_id FROM session_events WHERE type = 'assigned' GROUP BY session_id HAVING COUNT(*) > 1) d",
  )) as unknown as [[{ n: number }]];
  await db.end();

  const total = SESSIONS * (LEVELS.length + 1);
  const wrongCount = Number(totals.active) + Number(totals.waiting) === total ? 0 : 1;
  const violations = violationsOf(invariants) + Number(doubleAssigned[0].n) + wrongCount;
  const drainRate = drained / drainSeconds;
  const row = (label: string, value: string): string => `${label.padEnd(64)} ${value}`;
  console.log('');
  console.log(row('sessions created (failed requests)', `${total - failed} of ${total} (${failed})`));
  for (const phase of phases) {
    const at = `arrivals, ${phase.atOnce} at a time:`;
    console.log(row(`${at} per second (load average ${phase.load.toFixed(2)})`, `${phase.rate.toFixed(0)}  (target ≥ ${ARRIVALS_PER_SECOND}: ${verdict(phase.rate >= ARRIVALS_PER_SECOND)})`));
    console.log(row(`${at} create + route p50 / p99`, `${phase.p50} ms / ${phase.p99.toFixed(1)} ms  (target p99 ≤ ${ARRIVAL_P99_MS} ms: ${verdict(phase.p99 <= ARRIVAL_P99_MS)})`));
    console.log(row(`${at} assigned in the response`, `${phase.assignedAtOnce} of ${SESSIONS}`));
    console.log(row(`${at} arrival → assigned p50 / p99 (db times)`, `${msAt(phase.waitMs, 50)} ms / ${msAt(phase.waitMs, 99)} ms`));
  }
  console.log(row('backlog: drained of waiting', `${drained} of ${backlog} in ${drainSeconds.toFixed(2)} s`));
  console.log(row(`backlog: per second (load average ${drainLoad.toFixed(2)})`, `${drainRate.toFixed(0)}  (target ≥ ${DRAIN_PER_SECOND}: ${verdict(drainRate >= DRAIN_PER_SECOND)})`));
  console.log(row('invariant violations', `${violations} (over capacity ${invariants.overCapacity}, counter drift ${invariants.counterDrift}, two holders ${invariants.twoHolders}, inconsistent ${invariants.inconsistent}, assigned twice ${doubleAssigned[0].n}, sessions missing ${wrongCount})  (target 0: ${verdict(violations === 0)})`));
  return violations === 0 && failed === 0 && drained === backlog ? 0 : 1;
}

main()
  .catch((error: unknown) => {
    console.error(`bench:routing failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  })
  .then(async (code) => {
    await bench.cleanup();
    printProfiles();
    process.exit(code);
  });
