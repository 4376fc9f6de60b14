import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { BenchRun, UNLIMITED_ENV, api, loadAverage, sleep, vitals, type Started, type Vitals } from './harness';
import { OperatorBot, customerVisit, visibleTo, type Crowd } from './soak/actors';
import { checkInvariants } from './invariants';
import { PrivateRedis } from './privateRedis';
import { Recorder } from './soak/recorder';
import { report, type Fault, type Minute } from './soak/report';
import { verifyStored } from './storedCheck';

/**
 * `npm run bench:soak`: two server processes on MariaDB and a Redis of the run's own, under a realistic mix for
 * BENCH_SOAK_MINUTES (30): customers arriving (BENCH_SOAK_ARRIVALS a second, 10), each chatting for about 15 s
 * and leaving (closing, or leaving it to the operator, rating half the time); operator bots answering on their
 * sockets, writing notes, transferring, closing; an operator uploading an image every few seconds; a console
 * polling history and statistics. Redis is restarted once (at 40 % of the run) and emptied with FLUSHALL once
 * (at 70 %).
 *
 * Every minute: each process's RSS, heap and event-loop delay p99, the message ack p99, the create + route p99,
 * the errors. At the end, the targets of issue 20: after the warm-up (5 minutes, or a third of a shorter run) RSS
 * grows by ≤ 5 %, the p99s stay within 20 %, 0 errors, 0 messages lost, the database check clean; after each Redis
 * fault, the message p99 back to normal within 10 s.
 *
 * The default load is meant as about half of what this machine sustains: at 10 customers a second each server
 * process uses about a third of a core, and the machine's two cores (shared with MariaDB and the clients) stay
 * about half busy. Each minute's line shows both (CPU per process, load average).
 *
 * Exit code: 0 when it ran (targets met or not: it reports each), 1 when a message was lost or stored twice, the
 * database check found a violation, or the run could not go on.
 *
 * Environment: BENCH_SOAK_MINUTES (30), BENCH_SOAK_ARRIVALS (customers a second, 10), BENCH_SOAK_OPERATORS (40),
 * BENCH_SOAK_MINUTE_SECONDS (60: a shorter "minute" for a quick try of the script itself), BENCH_SOAK_FULLTEXT
 * (`off` drops the messages' full-text index once the servers have built the schema: what the index costs the
 * message path over time, measured; the soak does not search, which needs the index),
 * BENCH_MYSQL_HOST/PORT/USER/PASSWORD (127.0.0.1:3306 root, no password). Redis is a redis-server started by the
 * run on a free port.
 */
const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 30);
const ARRIVALS_PER_SECOND = Number(process.env.BENCH_SOAK_ARRIVALS ?? 10);
const OPERATORS = Number(process.env.BENCH_SOAK_OPERATORS ?? 40);
const CAPACITY = 12;
const UPLOAD_EVERY_MS = 5_000;
const POLL_EVERY_MS = 2_000;
const MINUTE_MS = Number(process.env.BENCH_SOAK_MINUTE_SECONDS ?? 60) * 1000;
const FULLTEXT = process.env.BENCH_SOAK_FULLTEXT !== 'off';

const bench = new BenchRun({ databaseStem: 'chat_bench_soak', redisStem: 'bench-soak', beforeStop: () => stopBots() });
const bots: OperatorBot[] = [];
const stopBots = (): void => bots.forEach((bot) => bot.stop());

async function main(): Promise<number> {
  const redis = await PrivateRedis.start();
  // Also when the run is interrupted (BenchRun cleans up and exits): no redis-server is left behind.
  process.once('exit', () => redis.kill());
  try {
    return await soak(redis);
  } finally {
    // The servers stop while their Redis is still there, then Redis.
    await bench.cleanup();
    redis.cleanup();
  }
}

async function flushAll(redis: PrivateRedis): Promise<void> {
  const client = redis.client();
  try {
    await client.flushall();
  } finally {
    client.disconnect();
  }
}

async function soak(redis: PrivateRedis): Promise<number> {
  await bench.createDatabase();
  const env = { ...bench.chatServerEnv(randomBytes(32).toString('hex')), REDIS_URL: redis.url, LOG_LEVEL: 'error', ...UNLIMITED_ENV };
  const servers: Started[] = [await bench.startChild('chatServer.js', env)];
  servers.push(await bench.startChild('chatServer.js', env));
  if (!FULLTEXT) {
    const db = await bench.connectDatabase();
    await db.query('ALTER TABLE chat_messages DROP INDEX chat_messages_content_ft');
    await db.end();
  }
  const bases = servers.map((s) => `http://127.0.0.1:${s.port}`);
  const base = (n: number): string => bases[n % bases.length] as string;
  const { token: adminToken } = await api<{ token: string }>(base(0), 'POST', '/api/auth/login', { body: bench.admin });

  const recorder = new Recorder();
  const crowd: Crowd = { recorder, keyPrefix: `soak-${bench.suffix}-`, operators: new Map(), visible: new Map(), refused: new Map() };
  for (let i = 0; i < OPERATORS; i++) {
    const email = `soak-operator-${i}@example.com`;
    const password = 'soak-operator-password';
    const { id } = await api<{ id: number }>(base(0), 'POST', '/api/operators', { token: adminToken, body: { name: `Operator ${i}`, email, password, maxConcurrentSessions: CAPACITY } });
    const { token } = await api<{ token: string }>(base(i), 'POST', '/api/auth/login', { body: { email, password } });
    const bot = await OperatorBot.start(base(i), id, token, crowd);
    bots.push(bot);
    crowd.operators.set(id, bot);
  }
  const image = await sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 40, g: 120, b: 200 } } }).png().toBuffer();
  console.log(
    `bench:soak — ${MINUTES} min, ${ARRIVALS_PER_SECOND} customers/s over 2 processes, ${OPERATORS} operators × ${CAPACITY} seats, MariaDB ${bench.databaseName}${FULLTEXT ? '' : ' (messages without their full-text index)'}, Redis on port ${redis.port}`,
  );

  const endAt = MINUTES * MINUTE_MS;
  const warmupMinutes = Math.min(5, Math.floor(MINUTES / 3));
  const faults: Fault[] = [
    { name: 'Redis restarted', atMinute: MINUTES * 0.4, run: () => redis.restart() },
    { name: 'Redis FLUSHALL', atMinute: MINUTES * 0.7, run: () => flushAll(redis) },
  ];
  const visits = new Set<Promise<void>>();
  const running = (): boolean => recorder.now() < endAt;

  const arrivals = (async () => {
    for (let n = 0; running(); n++) {
      const visit = customerVisit(base(n), n, crowd).catch((error: unknown) => recorder.error(`customer: ${String(error)}`));
      visits.add(visit);
      void visit.finally(() => visits.delete(visit));
      // Arrivals at random, as customers come: exponential gaps with the configured mean.
      await sleep((-Math.log(1 - Math.random()) * 1000) / ARRIVALS_PER_SECOND);
    }
  })();

  const uploads = (async () => {
    for (let n = 0; running(); n++) {
      await sleep(UPLOAD_EVERY_MS);
      const bot = bots[n % bots.length] as OperatorBot;
      const sessionId = bot.someHeld();
      if (sessionId) await upload(base(n), bot, sessionId, image, crowd);
    }
  })();

  const polls = (async () => {
    for (let n = 0; running(); n++) {
      await sleep(POLL_EVERY_MS);
      const path = n % 2 === 0 ? '/api/chat/sessions/history?limit=20' : '/api/operators/stats';
      try {
        await api(base(n), 'GET', path, { token: adminToken });
        recorder.polls++;
      } catch (error) {
        recorder.error(`console GET ${path.split('?')[0]}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();

  const faultsDone = (async () => {
    for (const fault of faults) {
      await sleep(Math.max(0, fault.atMinute * MINUTE_MS - recorder.now()));
      fault.at = recorder.now();
      await fault.run();
      console.log(`  ${fault.name} at ${(fault.at / 1000).toFixed(0)} s`);
    }
  })();

  const minutes: Minute[] = [];
  let cpuBefore = await Promise.all(servers.map((s) => vitals(s.child)));
  for (let minute = 1; minute <= MINUTES; minute++) {
    await sleep(Math.max(0, minute * MINUTE_MS - recorder.now()));
    const now = await Promise.all(servers.map((s) => vitals(s.child)));
    const from = (minute - 1) * MINUTE_MS;
    const to = minute * MINUTE_MS;
    const row: Minute = {
      minute,
      processes: now.map((v, i) => ({ rss: v.rss, heapUsed: v.heapUsed, heapTotal: v.heapTotal, external: v.external, loopDelayP99Ms: v.loopDelayP99Ms, cpuShare: cpuShare(cpuBefore[i] as Vitals, v, to - from) })),
      messages: recorder.messages.count(from, to),
      messageP99: recorder.messages.p99(from, to),
      routingP99: recorder.routing.p99(from, to),
      errors: recorder.errorsBetween(from, to),
      load: loadAverage(),
    };
    cpuBefore = now;
    minutes.push(row);
    report.minute(row);
  }

  await Promise.all([arrivals, uploads, polls, faultsDone]);
  // The visits under way finish (at most about a minute of chatting); none is cut short.
  await Promise.race([Promise.all([...visits]), sleep(120_000)]);
  stopBots();
  // As acknowledged up to now: an ack of a visit still under way must not arrive between the check's read and its count.
  const stored = await verifyStored(bench, crowd.keyPrefix, new Map(recorder.acked));
  const db = await bench.connectDatabase();
  const invariants = await checkInvariants(db).finally(() => db.end());
  return report.final({ minutes, warmupMinutes, faults, recorder, refused: crowd.refused, stored, invariants, unfinished: visits.size, minuteMs: MINUTE_MS });
}

/** The share of one core this process used over the minute. */
const cpuShare = (before: Vitals, after: Vitals, ms: number): number => (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000 / ms;

let uploadSequence = 0;

/** An operator sends the customer a picture: a multipart upload, kept for the database check and the customer's read-back. */
async function upload(base: string, bot: OperatorBot, sessionId: string, image: Buffer, crowd: Crowd): Promise<void> {
  const clientMessageId = `${crowd.keyPrefix}upload-${++uploadSequence}`;
  const body = new FormData();
  body.append('clientMessageId', clientMessageId);
  body.append('file', new Blob([image], { type: 'image/png' }), 'screenshot.png');
  try {
    const res = await fetch(`${base}/api/chat/sessions/${sessionId}/messages`, { method: 'POST', headers: { authorization: `Bearer ${bot.token}` }, body });
    const answer = (await res.json()) as { data?: { id: number }; error?: { code: string } };
    if (res.status === 201 && answer.data) {
      crowd.recorder.uploads++;
      crowd.recorder.acked.set(clientMessageId, { id: answer.data.id, sessionId });
      visibleTo(crowd, sessionId, answer.data.id);
    } else if (res.status === 409 || res.status === 403) {
      const key = `operator upload: ${answer.error?.code ?? res.status}`;
      crowd.refused.set(key, (crowd.refused.get(key) ?? 0) + 1);
    } else crowd.recorder.error(`operator upload: HTTP ${res.status} ${answer.error?.code ?? ''}`);
  } catch (error) {
    crowd.recorder.error(`operator upload: ${error instanceof Error ? error.message : String(error)}`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(`bench:soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  })
  .then(async (code) => {
    await bench.cleanup();
    process.exit(code);
  });
