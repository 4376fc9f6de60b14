import os from 'node:os';
import { loadAverage, stopChild } from './harness';
import { BARE_ADAPTER, SCENARIOS } from './realtime/config';
import { scenarioConnections } from './realtime/heldConnections';
import { scenarioMessages } from './realtime/messagePath';
import { scenarioStorm } from './realtime/reconnectStorm';
import { bench, ourEnv, printProfiles } from './realtime/run';
import { connectionsSummary, messagesSummary, stormSummary } from './realtime/summary';

/**
 * `npm run bench:realtime` — a benchmark, not a test: it measures and reports.
 *
 * Three scenarios, each run against our server and against a bare Socket.IO relay (scripts/bench/socketRelay.ts:
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
 * 3. Reconnect storm: BENCH_SOCKETS customers and one operator per hundred, on socket.io-client with its default
 *    reconnection; the server stopped gracefully and started again, then killed (SIGKILL) and started again;
 *    the time until every client is back and every customer has synced, the handshakes refused while the
 *    server listened, the messages lost, the database's statements (realtime/reconnectStorm.ts).
 *
 * Environment: BENCH_SOCKETS (10000), BENCH_CONNECT_BATCH (500), BENCH_HOLD (seconds the sockets are held
 * before memory is read, 5), BENCH_SESSIONS (200), BENCH_OPERATORS (10), BENCH_RATE (2000), BENCH_MAX_RATE
 * (12000), BENCH_MAX_STEPS (5), BENCH_DURATION (seconds per run, 10), BENCH_WARMUP (seconds, 2),
 * BENCH_DRAIN_TIMEOUT (seconds to wait for the last acks after a run, 60), BENCH_SCENARIOS
 * (`connections,messages,storm`), BENCH_BARE_ADAPTER (`redis`, as ours, or `memory`), BENCH_MYSQL_HOST/PORT/USER/
 * PASSWORD (127.0.0.1:3306 root, no password), BENCH_REDIS_URL (redis://127.0.0.1:6379), BENCH_MESSAGE_LIMIT
 * (our server's RATE_LIMIT_MESSAGES_PER_10_SECONDS, default 0: off; set it far above the offer, e.g. 1000000, to
 * time the per-session limiter), BENCH_CPU_PROF=1
 * (V8 CPU profiles of our server to BENCH_CPU_PROF_DIR, default ./bench-profiles, summarised at the end).
 *
 * Exit code: 0 when it ran (targets met or not: it reports), 1 when it could not run, a socket failed to
 * connect, or an acknowledged message is not in the database exactly once.
 *
 * The pieces, under scripts/bench/realtime/: config.ts (the environment above), run.ts (the run's database,
 * Redis prefix and servers), sockets.ts (the client sockets), heldConnections.ts (scenario 1), messagePath.ts
 * (scenario 2), reconnectStorm.ts (scenario 3), messageRun.ts (one run at a fixed rate), sustainedSearch.ts (the search for the sustained
 * maximum), summary.ts (the figures against the targets).
 */

async function main(): Promise<number> {
  console.log(`bench:realtime — MariaDB ${bench.databaseName}, Redis prefix ${bench.redisPrefix}, bare relay adapter: ${BARE_ADAPTER}`);
  console.log(`machine: ${os.cpus().length} CPUs, load average ${loadAverage()} (shared machine: compare ratios, not absolute numbers)`);

  await bench.createDatabase();
  // A first start migrates the schema and bootstraps the admin; each scenario then starts its own server.
  const migrating = await bench.startChild('chatServer.js', ourEnv('migrate'));
  await stopChild(migrating.child);

  let exitCode = 0;
  const verdicts: string[] = [];
  if (SCENARIOS.has('connections')) {
    const summary = connectionsSummary(await scenarioConnections());
    verdicts.push(...summary.lines);
    if (summary.failed) exitCode = 1;
  }
  if (SCENARIOS.has('messages')) {
    const summary = messagesSummary(await scenarioMessages());
    verdicts.push(...summary.lines);
    if (summary.failed) exitCode = 1;
  }
  if (SCENARIOS.has('storm')) {
    const summary = stormSummary(await scenarioStorm());
    verdicts.push(...summary.lines);
    if (summary.failed) exitCode = 1;
  }
  console.log('\n== Summary ==');
  for (const line of verdicts) console.log(`  ${line}`);
  console.log(`load average after the runs: ${loadAverage()}`);
  return exitCode;
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
