import os from 'node:os';
import { MYSQL_INDEXES, NO_STOPWORDS, addIndexStatement } from '../../models/migrations/007-search';
import { api, formatMs, loadAverage, stopChild, table, verdict } from './harness';
import { closeSockets } from './realtime/sockets';
import { ackedKeyPrefix, ourAcked } from './realtime/messageRun';
import { ourRig } from './realtime/messagePath';
import { bench, ourEnv, printProfiles, startOurs } from './realtime/run';
import { verifyStored } from './storedCheck';
import { exercise, sustained } from './realtime/sustainedSearch';
import { Corpus, customerSurnames, writeCorpus } from './search/corpus';
import { closedLoop, type Latency } from './search/latency';

/**
 * `npm run bench:search` — a benchmark, not a test: it measures and reports (PROTOCOL.md "Search").
 *
 * On a fresh MariaDB database (removed at the end, also on failure or Ctrl-C):
 * 1. The corpus: BENCH_SEARCH_SESSIONS sessions (100,000) holding BENCH_SEARCH_MESSAGES messages (1,000,000),
 *    words drawn from a Zipf distribution over BENCH_SEARCH_VOCABULARY words (50,000; scripts/bench/search/corpus.ts),
 *    written without the full-text indexes, which are then built as migration 007 builds them (timed).
 * 2. Search: our server, BENCH_SEARCH_CONCURRENCY clients (20) each searching again as soon as answered, for
 *    BENCH_SEARCH_SECONDS (10) per kind of query: the commonest words (in most messages), everyday words, middling
 *    ones (a few thousand messages each), rare ones (a few dozen), a customer's surname, two words. Beside them,
 *    the same load on GET /api/chat/sessions/:id (one session read) as the run's baseline. Target: p99 ≤ 100 ms.
 * 3. The write path with the index and without it: bench:realtime's message scenario (its settings, BENCH_SESSIONS,
 *    BENCH_DURATION and the rest, apply) on the same database, its sustained maximum found with the message
 *    index in place, then with it dropped, then with it built again. Target: the index costs ≤ 25 % of the rate.
 *    BENCH_SEARCH_WRITES=0 leaves this out. Every acknowledged message is then checked in the database.
 *
 * The table gives each kind's CPU per request in our server and in the database server (read from /proc when
 * MariaDB runs on this host). BENCH_CPU_PROF=1 profiles our server as bench:realtime does.
 *
 * Exit code: 0 when it ran (targets met or not: it reports), 1 when it could not run or a search failed.
 */

const number = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 1) throw new Error(`${name} must be a number ≥ 1`);
  return Math.floor(value);
};
const SESSIONS = number('BENCH_SEARCH_SESSIONS', 100_000);
const MESSAGES = number('BENCH_SEARCH_MESSAGES', 1_000_000);
const VOCABULARY = number('BENCH_SEARCH_VOCABULARY', 50_000);
const CONCURRENCY = number('BENCH_SEARCH_CONCURRENCY', 20);
const SECONDS = number('BENCH_SEARCH_SECONDS', 10);
const WRITES = process.env.BENCH_SEARCH_WRITES !== '0';
const TARGET_P99_MS = 100;
const TARGET_WRITE_COST = 0.25;

const MESSAGE_INDEX = MYSQL_INDEXES.find(([table]) => table === 'chat_messages');
const FULLTEXT = MYSQL_INDEXES.filter(([, , definition]) => definition.startsWith('FULLTEXT'));

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`  ${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function buildCorpus(corpus: Corpus): Promise<void> {
  const db = await bench.connectDatabase();
  try {
    const [[pool]] = (await db.query('SELECT @@innodb_buffer_pool_size AS bytes')) as unknown as [[{ bytes: number }]];
    console.log(`  MariaDB innodb_buffer_pool_size: ${(Number(pool.bytes) / 2 ** 20).toFixed(0)} MB`);
    for (const [table, name] of FULLTEXT) await db.query(`ALTER TABLE ${table} DROP INDEX ${name}`);
    let reported = 0;
    const seconds = await writeCorpus(db, corpus, SESSIONS, MESSAGES, (done) => {
      if (done - reported >= 200_000) {
        reported = done;
        console.log(`  … ${done} messages`);
      }
    });
    console.log(`  corpus: ${SESSIONS} sessions, ${MESSAGES} messages written in ${seconds.toFixed(1)} s`);
    await db.query(NO_STOPWORDS);
    for (const [table, name, definition] of FULLTEXT) await timed(`building ${name} (as migration 007 does)`, () => db.query(addIndexStatement(table, definition)));
    const count = async (word: string): Promise<number> => {
      const [[row]] = (await db.query('SELECT COUNT(*) AS n FROM chat_messages WHERE MATCH (content) AGAINST (? IN BOOLEAN MODE)', [`+${word}*`])) as unknown as [[{ n: number }]];
      return Number(row.n);
    };
    for (const [kind, word] of [
      ['commonest', corpus.ranked(1, 1)[0]],
      ['everyday', corpus.ranked(20, 20)[0]],
      ['middling', corpus.ranked(350, 350)[0]],
      ['rare', corpus.ranked(35_000, 35_000)[0]],
    ] as const) {
      console.log(`  a ${kind} word, "${word}": in ${await count(word as string)} messages`);
    }
  } finally {
    await db.end();
  }
}

async function searchLatency(corpus: Corpus): Promise<Latency[]> {
  console.log(`\n== Search: ${CONCURRENCY} concurrent clients, ${SECONDS} s per kind of query ==`);
  const started = await startOurs('search');
  try {
    const base = `http://127.0.0.1:${started.port}`;
    const { token } = await api<{ token: string }>(base, 'POST', '/api/auth/login', { body: bench.admin });
    const db = await bench.connectDatabase();
    const [sessions] = (await db.query('SELECT id FROM chat_sessions ORDER BY created_at DESC LIMIT 50')) as unknown as [Array<{ id: string }>];
    await db.end();
    const query = (q: string) => `/api/chat/search?q=${encodeURIComponent(q)}`;
    const rare = corpus.ranked(30_000, VOCABULARY).filter((_, i) => i % 50 === 0);
    const kinds: Array<[string, string[]]> = [
      ['baseline: GET /api/chat/sessions/:id', sessions.map((s) => `/api/chat/sessions/${s.id}`)],
      ['commonest words (ranks 1–5)', corpus.ranked(1, 5).map(query)],
      ['everyday words (ranks 6–40)', corpus.ranked(6, 40).map(query)],
      ['middling words (ranks 300–400)', corpus.ranked(300, 400).map(query)],
      ['rare words (ranks 30,000+)', rare.map(query)],
      ['a customer’s surname', customerSurnames().map(query)],
      ['two words: everyday + middling', corpus.ranked(6, 40).map((w, i) => query(`${w} ${corpus.ranked(300, 400)[i % 100]}`))],
    ];
    const results: Latency[] = [];
    for (const [name, paths] of kinds) {
      const result = await closedLoop(started.child, name, base, token, paths, CONCURRENCY, SECONDS);
      console.log(`  ${name}: p50 ${formatMs(result.p50)} ms, p99 ${formatMs(result.p99)} ms, ${result.perSecond.toFixed(0)}/s`);
      results.push(result);
    }
    return results;
  } finally {
    await stopChild(started.child);
  }
}

async function writeCost(): Promise<{ withIndex: number[]; without: number; verified: boolean }> {
  console.log('\n== The write path with the message index and without it (bench:realtime’s message scenario) ==');
  if (!MESSAGE_INDEX) throw new Error('migration 007 names no message index');
  const [table, name, definition] = MESSAGE_INDEX;
  const rig = await ourRig();
  const db = await bench.connectDatabase();
  try {
    const first = sustained(await exercise(rig, ourAcked));
    await timed(`dropping ${name}`, () => db.query(`ALTER TABLE ${table} DROP INDEX ${name}`));
    const without = sustained(await exercise(rig, ourAcked));
    await db.query(NO_STOPWORDS);
    await timed(`building ${name} again`, () => db.query(addIndexStatement(table, definition)));
    const again = sustained(await exercise(rig, ourAcked));
    closeSockets([...rig.customers, ...rig.operators]);
    await stopChild(rig.child);
    const check = await verifyStored(bench, ackedKeyPrefix, ourAcked);
    const verified = check.missing + check.wrongId + check.wrongSession + check.duplicates === 0;
    console.log(`  stored check: ${check.acked} acknowledged, ${check.missing} missing, ${check.duplicates} duplicated, ${check.wrongId + check.wrongSession} wrong`);
    return { withIndex: [first, again], without, verified };
  } finally {
    await db.end();
  }
}

async function main(): Promise<number> {
  console.log(`bench:search — MariaDB ${bench.databaseName}`);
  console.log(`machine: ${os.cpus().length} CPUs, load average ${loadAverage()} (shared machine: compare with the run's baseline)`);
  await bench.createDatabase();
  const migrating = await bench.startChild('chatServer.js', ourEnv('migrate'));
  await stopChild(migrating.child);
  const corpus = new Corpus(VOCABULARY);
  console.log('\n== Corpus ==');
  await buildCorpus(corpus);
  const latencies = await searchLatency(corpus);
  const writes = WRITES ? await writeCost() : null;

  console.log('\n== Summary ==');
  const rows = latencies.map((l) => [
    l.name,
    String(l.requests),
    l.perSecond.toFixed(0),
    formatMs(l.p50),
    formatMs(l.p99),
    formatMs(l.max),
    l.averageResults.toFixed(1),
    String(l.failures),
    l.serverCpu.toFixed(2),
    l.databaseCpu === null ? '-' : l.databaseCpu.toFixed(2),
  ]);
  console.log(table(['query', 'requests', 'per s', 'p50 ms', 'p99 ms', 'max ms', 'results', 'failed', 'srv CPU ms/req', 'db CPU ms/req'], rows, 1));
  const searches = latencies.slice(1);
  const worst = Math.max(...searches.map((l) => l.p99 ?? Number.POSITIVE_INFINITY));
  console.log(`  ${verdict(worst <= TARGET_P99_MS)} search p99 ≤ ${TARGET_P99_MS} ms at ${CONCURRENCY} concurrent: worst ${formatMs(worst)} ms (baseline p99 ${formatMs(latencies[0]?.p99)} ms)`);
  let failed = searches.some((l) => l.failures > 0);
  if (writes) {
    const [first = 0, again = 0] = writes.withIndex;
    const withIndex = (first + again) / 2;
    const cost = writes.without > 0 ? 1 - withIndex / writes.without : 0;
    console.log(
      `  ${verdict(cost <= TARGET_WRITE_COST)} write path sustained: ${writes.withIndex.map((n) => n.toFixed(0)).join(' and ')} msg/s with the index, ${writes.without.toFixed(0)} without: the index costs ${(cost * 100).toFixed(1)} % (target ≤ ${TARGET_WRITE_COST * 100} %)`,
    );
    if (!writes.verified) failed = true;
  }
  console.log(`load average after the runs: ${loadAverage()}`);
  return failed ? 1 : 0;
}

main()
  .catch((error: unknown) => {
    console.error(`bench:search failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  })
  .then(async (code) => {
    await bench.cleanup();
    printProfiles();
    process.exit(code);
  });
