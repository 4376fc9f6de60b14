import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { BenchRun, UNLIMITED_ENV, cpuMs, formatMs, loadAverage, mysqlTarget, verdict } from './harness';
import { failures, fromAutocannon, pacedPosts, rowTable, type Figures, type Row } from './http/measuring';
import { seed } from './http/seed';

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
 *
 * The pieces, under scripts/bench/http/: seed.ts (the data the endpoints read and write), measuring.ts (the
 * figures of a run, the paced load generator beside autocannon, the table).
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
const { suffix, databaseName, redisPrefix } = bench;

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

  const seeded = await seed(base, bench);
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
    pacedPosts(`http://127.0.0.1:${bare.port}/api/messages`, { 'content-type': 'application/json' }, postBody, POST_RATE, seconds, CONNECTIONS),
  );
  const postRow = await measure('POST /api/chat/sessions/:id/messages', `paced ${POST_RATE} req/s`, true, (seconds) =>
    pacedPosts(`${base}${postPath}`, postHeaders, postBody, POST_RATE, seconds, CONNECTIONS),
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
