import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { BenchRun, UNLIMITED_ENV, api, cpuMs, formatMs, loadAverage, mysqlTarget, openLoop, percentile, table, verdict, type Envelope } from './harness';

/**
 * `npm run bench:http` — a benchmark, not a test: it measures and reports.
 *
 * Our server and a bare Express server each run in a child process of their own (autocannon's load generator
 * runs in this process, so both servers compete with it for the CPU in the same way). Our server runs on a
 * fresh MariaDB database and a private Redis key prefix, both removed at the end, even on failure.
 *
 * Environment: BENCH_DURATION (seconds per throughput run, 10), BENCH_WARMUP (seconds, 2), BENCH_CONNECTIONS (50),
 * BENCH_POST_RATE (offered req/s for the message POST, 500), BENCH_MYSQL_HOST/PORT/USER/PASSWORD
 * (127.0.0.1:3306 root, no password), BENCH_REDIS_URL (redis://127.0.0.1:6379), BENCH_CPU_PROF=1 (write a
 * V8 CPU profile of our server to BENCH_CPU_PROF_DIR, default ./bench-profiles).
 *
 * Exit code: 0 when it ran (targets met or not: it reports), 1 when a request to one of our endpoints failed
 * (a non-2xx answer or a connection error) or the benchmark could not run.
 */

const positive = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const DURATION = positive('BENCH_DURATION', 10);
const WARMUP = positive('BENCH_WARMUP', 2);
const CONNECTIONS = positive('BENCH_CONNECTIONS', 50);
const POST_RATE = positive('BENCH_POST_RATE', 500);
const TARGET_RATIO = 0.5;
const TARGET_POST_P99_MS = 25;

const bench = new BenchRun({ databaseStem: 'chat_bench', redisStem: 'bench' });
const { suffix, databaseName, redisPrefix, admin: ADMIN } = bench;

// ---------------------------------------------------------------------------------------------------------
// Seeding.

interface Seeded {
  operatorToken: string;
  sessionId: string;
  afterId: number;
  pageSize: number;
  availableBody: string;
  availableCount: number;
}

/** An admin (bootstrapped), 10 operators (6 online with room, 1 busy, 3 offline), a session assigned to one. */
async function seed(base: string): Promise<Seeded> {
  const admin = await api<{ token: string }>(base, 'POST', '/api/auth/login', { body: ADMIN });
  const operators: Array<{ id: number; email: string; password: string }> = [];
  for (let i = 1; i <= 10; i++) {
    const spec = {
      name: `Bench Operator ${i}`,
      email: `bench-op${i}@example.com`,
      password: `operator-${i}-${suffix}`,
      maxConcurrentSessions: 3 + (i % 3),
      departments: i % 2 === 0 ? ['sales'] : ['support', 'sales'],
    };
    const created = await api<{ id: number }>(base, 'POST', '/api/operators', { token: admin.token, body: spec });
    operators.push({ id: created.id, email: spec.email, password: spec.password });
  }
  for (const [index, operator] of operators.entries()) {
    const status = index < 6 ? 'online' : index === 6 ? 'busy' : 'offline';
    if (status !== 'offline') await api(base, 'PUT', `/api/operators/${operator.id}/status`, { token: admin.token, body: { status } });
  }
  const ticket = await api<{ session: { id: string; status: string; operatorId: number | null } }>(base, 'POST', '/api/chat/sessions', {
    body: { customerName: 'Bench Customer', customerEmail: 'bench-customer@example.com', message: 'Hello, I need help with my order.' },
  });
  const assigned = operators.find((o) => o.id === ticket.session.operatorId);
  if (ticket.session.status !== 'active' || !assigned) throw new Error(`the seed session was not assigned (status ${ticket.session.status})`);
  const { token: operatorToken } = await api<{ token: string }>(base, 'POST', '/api/auth/login', {
    body: { email: assigned.email, password: assigned.password },
  });
  const sessionId = ticket.session.id;
  for (let i = 1; i <= 50; i++) {
    await api(base, 'POST', `/api/chat/sessions/${sessionId}/messages`, {
      token: operatorToken,
      body: { content: `Seed message ${i}: a line of ordinary chat text, about as long as most are.`, clientMessageId: `seed-${i}` },
    });
  }
  const all = await api<Array<{ id: number }>>(base, 'GET', `/api/chat/messages/${sessionId}?limit=200`, { token: operatorToken });
  const pageSize = 10;
  const afterId = all[all.length - pageSize - 1]?.id;
  if (afterId === undefined) throw new Error('seeding stored fewer messages than expected');
  const res = await fetch(`${base}/api/operators/available`, { headers: { authorization: `Bearer ${operatorToken}` } });
  const availableBody = await res.text();
  const available = (JSON.parse(availableBody) as Envelope<unknown[]>).data;
  if (!res.ok || available.length === 0) throw new Error(`GET /api/operators/available → ${res.status}, ${available?.length ?? 0} operators`);
  return { operatorToken, sessionId, afterId, pageSize, availableBody, availableCount: available.length };
}

// ---------------------------------------------------------------------------------------------------------
// Measuring.

/** What one run measured, whichever load generator made it. */
interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Status code → count, for the failure report. */
  codes: Record<string, number>;
}

interface Row {
  name: string;
  mode: string;
  ours: boolean;
  figures: Figures;
  /** Server CPU time per answered request, ms. */
  cpuPerRequest: number;
}

const fromAutocannon = (r: autocannon.Result): Figures => ({
  requestsPerSecond: r.requests.average,
  p50: r.latency.p50,
  p99: r.latency.p99,
  max: r.latency.max,
  ok: r['2xx'],
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
  codes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, stats]) => [code, stats?.count ?? 0])),
});

/**
 * POSTs at a steady rate, open loop (harness openLoop), over up to CONNECTIONS keep-alive connections. Latency
 * runs from the moment each request was due, so a request that waited for a free connection counts its wait.
 * autocannon's own rate limit cannot do this: each connection sends its share of the second back to back and
 * then pauses until the next second, so "500 req/s" arrives as one burst of 500 at the start of every second.
 */
async function pacedPosts(url: string, headers: Record<string, string>, body: () => string, rate: number, seconds: number): Promise<Figures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let errors = 0;
  const answers: Array<Promise<void>> = [];
  const started = performance.now();
  await openLoop(rate, seconds, (_index, scheduledAt) => {
    answers.push(
      new Promise((resolve) => {
        const request = http.request(url, { method: 'POST', agent, headers }, (response) => {
          response.resume();
          response.on('error', () => {
            errors++;
            resolve();
          });
          response.on('end', () => {
            latencies.push(performance.now() - scheduledAt);
            const code = String(response.statusCode);
            codes[code] = (codes[code] ?? 0) + 1;
            resolve();
          });
        });
        request.on('error', () => {
          errors++;
          resolve();
        });
        request.end(body());
      }),
    );
  });
  await Promise.all(answers);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((x, y) => x - y);
  const ok = Object.entries(codes).reduce((sum, [code, count]) => (code.startsWith('2') ? sum + count : sum), 0);
  return {
    requestsPerSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50) ?? Number.NaN,
    p99: percentile(latencies, 99) ?? Number.NaN,
    max: latencies[latencies.length - 1] ?? Number.NaN,
    ok,
    non2xx: latencies.length - ok,
    errors,
    codes,
  };
}

const failures = (f: Figures): number => f.non2xx + f.errors;

function rowTable(rows: Row[]): string {
  const header = ['endpoint', 'load', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'server CPU ms/req', '2xx', 'non-2xx', 'errors'];
  const lines = rows.map(({ name, mode, figures: f, cpuPerRequest }) => [
    name,
    mode,
    f.requestsPerSecond.toFixed(0),
    formatMs(f.p50),
    formatMs(f.p99),
    formatMs(f.max),
    cpuPerRequest.toFixed(3),
    String(f.ok),
    String(f.non2xx),
    String(f.errors),
  ]);
  return table(header, lines, 2);
}

async function main(): Promise<number> {
  console.log(`bench:http — ${DURATION} s per run after ${WARMUP} s of warm-up, ${CONNECTIONS} connections, message POST at ${POST_RATE} req/s`);
  console.log(`machine: ${os.cpus().length} CPUs, load average ${loadAverage()} (numbers are only comparable on an otherwise idle machine)`);

  await bench.createDatabase();

  const profileDir = path.resolve(process.env.BENCH_CPU_PROF_DIR ?? 'bench-profiles');
  const ours = await bench.startChild(
    'chatServer.js',
    { ...bench.chatServerEnv(randomBytes(32).toString('hex')), LOG_LEVEL: 'silent', ...UNLIMITED_ENV },
    process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  const base = `http://127.0.0.1:${ours.port}`;
  console.log(`our server (child pid ${ours.child.pid}) on ${base}, MariaDB ${databaseName}, Redis prefix ${redisPrefix}`);

  const seeded = await seed(base);
  console.log(`seeded: admin, 10 operators (6 online, 1 busy, 3 offline; ${seeded.availableCount} available), session ${seeded.sessionId} with 51 messages`);

  const bare = await bench.startChild('bareServer.js', {
    BENCH_BARE_BODY: JSON.stringify(JSON.parse(seeded.availableBody)),
    BENCH_BARE_MYSQL: JSON.stringify({ ...mysqlTarget, database: databaseName }),
    BENCH_BARE_SESSION: seeded.sessionId,
  });
  console.log(`bare Express server (child pid ${bare.child.pid}) on port ${bare.port}, answering the same ${Buffer.byteLength(seeded.availableBody)}-byte body`);

  const auth = { authorization: `Bearer ${seeded.operatorToken}` };
  const rows: Row[] = [];
  /** Runs `load` once as warm-up and once measured, with the server's CPU time read around the measured run. */
  const measure = async (name: string, mode: string, isOurs: boolean, load: (seconds: number) => Promise<Figures>): Promise<Row> => {
    process.stdout.write(`running ${name} (${mode}) ... `);
    const server = isOurs ? ours.child : bare.child;
    if (WARMUP > 0) await load(WARMUP);
    const cpuBefore = await cpuMs(server);
    const figures = await load(DURATION);
    const cpuPerRequest = ((await cpuMs(server)) - cpuBefore) / Math.max(1, figures.ok + figures.non2xx);
    const row = { name, mode, ours: isOurs, figures, cpuPerRequest };
    rows.push(row);
    console.log(`${figures.requestsPerSecond.toFixed(0)} req/s, p99 ${formatMs(figures.p99)} ms`);
    return row;
  };
  const run = (name: string, mode: string, isOurs: boolean, options: autocannon.Options): Promise<Row> =>
    measure(name, mode, isOurs, async (duration) => fromAutocannon(await autocannon({ ...options, duration })));

  const throughput = { connections: CONNECTIONS };
  const bareRow = await run('bare Express: same body', `max, ${CONNECTIONS} conn`, false, { ...throughput, url: `http://127.0.0.1:${bare.port}/api/operators/available` });
  const availableRow = await run('GET /api/operators/available', `max, ${CONNECTIONS} conn`, true, { ...throughput, url: `${base}/api/operators/available`, headers: auth });
  await run(`GET /api/chat/messages/:id?after (${seeded.pageSize} msgs)`, `max, ${CONNECTIONS} conn`, true, {
    ...throughput,
    url: `${base}/api/chat/messages/${seeded.sessionId}?after=${seeded.afterId}`,
    headers: auth,
  });

  // A fresh clientMessageId for every request: each one stores a row (no idempotent replays).
  let sequence = 0;
  const postPath = `/api/chat/sessions/${seeded.sessionId}/messages`;
  const postHeaders = { ...auth, 'content-type': 'application/json' };
  const postBody = (): string => JSON.stringify({ content: 'Thanks, I will check that and get back to you shortly.', clientMessageId: `bench-${suffix}-${++sequence}` });
  const barePostRow = await measure('bare Express + mysql2: one INSERT', `paced ${POST_RATE} req/s`, false, (seconds) =>
    pacedPosts(`http://127.0.0.1:${bare.port}/api/messages`, { 'content-type': 'application/json' }, postBody, POST_RATE, seconds),
  );
  const postRow = await measure('POST /api/chat/sessions/:id/messages', `paced ${POST_RATE} req/s`, true, (seconds) =>
    pacedPosts(`${base}${postPath}`, postHeaders, postBody, POST_RATE, seconds),
  );
  // autocannon's rate limit, for comparison: the second's 500 requests sent in one burst as it starts.
  await run('POST /api/chat/sessions/:id/messages', `bursts, ${POST_RATE}/s`, true, {
    url: base,
    connections: CONNECTIONS,
    overallRate: POST_RATE,
    requests: [{ method: 'POST', path: postPath, headers: postHeaders, setupRequest: (req) => ({ ...req, body: postBody() }) }],
  });

  // The comparison is fair only if ours still answered the body the bare server was given.
  const after = await fetch(`${base}/api/operators/available`, { headers: auth }).then((r) => r.text());
  if (after !== seeded.availableBody) console.warn('note: GET /api/operators/available changed during the run; the bare body no longer matches');

  console.log(`\n${rowTable(rows)}\n`);
  console.log(`load average after the runs: ${loadAverage()}`);

  const ratio = availableRow.figures.requestsPerSecond / bareRow.figures.requestsPerSecond;
  const postP99 = postRow.figures.p99;
  console.log(`available ÷ bare throughput: ${(ratio * 100).toFixed(1)}% (target ≥ ${TARGET_RATIO * 100}%)  ${verdict(ratio >= TARGET_RATIO)}`);
  console.log(
    `message POST p99 at ${POST_RATE} req/s offered, paced (${postRow.figures.requestsPerSecond.toFixed(0)} req/s served): ${formatMs(postP99)} ms (target ≤ ${TARGET_POST_P99_MS} ms)  ${verdict(postP99 <= TARGET_POST_P99_MS)}`,
  );
  console.log(`message POST p99 ÷ bare INSERT p99 (${formatMs(barePostRow.figures.p99)} ms): ${(postP99 / barePostRow.figures.p99).toFixed(2)}× (for information)`);

  const failed = rows.filter((r) => r.ours && failures(r.figures) > 0);
  for (const row of failed) {
    const codes = Object.entries(row.figures.codes)
      .map(([code, count]) => `${code}×${count}`)
      .join(', ');
    console.error(`FAILED REQUESTS on ${row.name} (${row.mode}): ${row.figures.non2xx} non-2xx (${codes}), ${row.figures.errors} errors or timeouts`);
  }
  return failed.length > 0 ? 1 : 0;
}

main()
  .catch((error: unknown) => {
    console.error(`bench:http failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  })
  .then(async (code) => {
    await bench.cleanup();
    process.exit(code);
  });
