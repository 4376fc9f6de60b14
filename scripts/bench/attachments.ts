import { randomBytes } from 'node:crypto';
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import type { UploadOrder, UploadReport } from './uploadClients';
import { uploadPhoto } from './uploadPhoto';
import { BenchRun, UNLIMITED_ENV, api, formatMs, loadAverage, openLoop, percentile, sleep, table, verdict } from './harness';

/**
 * `npm run bench:attachments`: image uploads beside the text message path, on one server process over MariaDB +
 * Redis. BENCH_UPLOADERS customers (50) each upload ~1 MB JPEG photos one after another for BENCH_DURATION
 * seconds, while BENCH_TEXT_SESSIONS other customers send text messages over their sockets at BENCH_TEXT_RATE
 * msg/s in all. The text path is measured first alone, then with the uploads, in the same run: its ack p99 with
 * uploads must stay within 2× of its p99 without them. Reports uploads per second, their latency, and the server's
 * peak RSS (VmHWM), which must stay bounded: images are re-encoded one at a time, never 50 at once. One upload and
 * two seconds of text go first, unmeasured, so that both phases see the server as it runs all day.
 *
 * Environment: BENCH_STORAGE (`database`, the default store, or `disk`), BENCH_UPLOADERS (50), BENCH_DURATION (seconds per phase, 15), BENCH_TEXT_SESSIONS (5),
 * BENCH_TEXT_RATE (50), BENCH_MYSQL_HOST/PORT/USER/PASSWORD (127.0.0.1:3306 root), BENCH_REDIS_URL, BENCH_CPU_PROF=1 (a V8
 * CPU profile of the server to BENCH_CPU_PROF_DIR, default ./bench-profiles).
 */
const UPLOADERS = Number(process.env.BENCH_UPLOADERS ?? 50);
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const TEXT_SESSIONS = Number(process.env.BENCH_TEXT_SESSIONS ?? 5);
const TEXT_RATE = Number(process.env.BENCH_TEXT_RATE ?? 50);
const STORAGE = process.env.BENCH_STORAGE === 'disk' ? 'disk' : 'database';
const OPERATORS = 10;

const bench = new BenchRun({ databaseStem: 'chat_bench_files', redisStem: 'bench-files' });
const sockets: Socket[] = [];

/** A photo-like JPEG of about 1 MB: noise, so that it compresses no better than a real photo's detail. */
async function photo(): Promise<Buffer> {
  const side = 1100;
  const pixels = randomBytes(side * side * 3);
  for (let quality = 90; ; quality -= 5) {
    const jpeg = await sharp(pixels, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality }).toBuffer();
    if (jpeg.length <= 1.1 * 1024 * 1024 || quality <= 40) return jpeg;
  }
}

/** The server's resident and peak resident memory, from /proc (kB → MB). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

interface Customer {
  session: { id: string };
  customerToken: string;
}

async function textPhase(customers: Socket[], seconds: number): Promise<{ acks: number[]; errors: number }> {
  const acks: number[] = [];
  let errors = 0;
  let pending = 0;
  await openLoop(TEXT_RATE, seconds, (index, scheduledAt) => {
    pending++;
    (customers[index % customers.length] as Socket).emit('message:send', { content: `text ${index}`, clientMessageId: `t-${bench.suffix}-${seconds}-${index}-${performance.now()}` }, (reply: { ok: boolean }) => {
      pending--;
      if (reply.ok) acks.push(performance.now() - scheduledAt);
      else errors++;
    });
  });
  for (let waited = 0; pending > 0 && waited < 30_000; waited += 50) await sleep(50);
  return { acks: acks.sort((a, b) => a - b), errors: errors + pending };
}

/** Runs the uploads in a child process (scripts/bench/uploadClients.ts) and waits for its report. */
function uploadsFrom(order: UploadOrder): Promise<UploadReport> {
  const child = fork(path.join(__dirname, 'uploadClients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (report: UploadReport) => resolve(report));
    child.once('exit', (code) => reject(new Error(`the upload clients exited with code ${code} before reporting`)));
    child.send(order);
  });
}

async function main(): Promise<number> {
  console.log(`bench:attachments — files stored in the ${STORAGE}; ${UPLOADERS} uploaders of ~1 MB photos, text at ${TEXT_RATE} msg/s over ${TEXT_SESSIONS} sessions, ${DURATION} s per phase`);
  console.log(`machine: ${os.cpus().length} CPUs, load average ${loadAverage()} (shared machine: compare ratios, not absolute numbers)`);
  await bench.createDatabase();
  const files: Record<string, string> = STORAGE === 'disk' ? { ATTACHMENT_STORAGE: 'disk', ATTACHMENT_DIR: mkdtempSync(path.join(os.tmpdir(), 'bench-files-')) } : { ATTACHMENT_STORAGE: 'database' };
  const profileDir = path.resolve(process.env.BENCH_CPU_PROF_DIR ?? 'bench-profiles');
  const execArgv = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const { child, port } = await bench.startChild('chatServer.js', { ...bench.chatServerEnv(randomBytes(32).toString('hex')), LOG_LEVEL: 'error', ...UNLIMITED_ENV, ...files }, execArgv);
  const base = `http://127.0.0.1:${port}`;
  const pid = child.pid as number;
  const { token } = await api<{ token: string }>(base, 'POST', '/api/auth/login', { body: bench.admin });
  const capacity = Math.ceil((UPLOADERS + TEXT_SESSIONS) / OPERATORS) + 1;
  for (let i = 0; i < OPERATORS; i++) {
    const op = await api<{ id: number }>(base, 'POST', '/api/operators', { token, body: { name: `Files ${i}`, email: `files-${i}@example.com`, password: 'bench-operator-password', maxConcurrentSessions: capacity } });
    await api(base, 'PUT', `/api/operators/${op.id}/status`, { token, body: { status: 'online' } });
  }
  const newCustomer = (): Promise<Customer> => api<Customer>(base, 'POST', '/api/chat/sessions', { body: { customerName: 'Bench customer' } });
  const texters = await Promise.all(Array.from({ length: TEXT_SESSIONS }, newCustomer));
  const uploaders = await Promise.all(Array.from({ length: UPLOADERS }, newCustomer));
  for (const customer of texters) {
    const socket = io(`${base}/customer`, { auth: { token: customer.customerToken }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('connect_error', reject));
  }
  const image = await photo();
  console.log(`image: ${(image.length / 1024).toFixed(0)} KB JPEG, 1100 × 1100 px; server RSS before: ${memoryOf(pid).rss.toFixed(0)} MB`);

  // Warm-up: what a process does once, at its first image (libvips loaded: about 70 ms of the event loop; the
  // file statements prepared), is paid before the measures, as the text path's is by the sessions' creation.
  const [first] = uploaders;
  if (!first || (await uploadPhoto(base, { sessionId: first.session.id, token: first.customerToken }, image, `warm-up-${bench.suffix}`)) !== 201) throw new Error('the warm-up upload was refused');
  await textPhase(sockets, 2);
  const alone = await textPhase(sockets, DURATION);
  const rssBefore = memoryOf(pid).rss;

  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, memoryOf(pid).rss)), 100);
  const order: UploadOrder = { base, customers: uploaders.map((c) => ({ sessionId: c.session.id, token: c.customerToken })), image: image.toString('base64'), seconds: DURATION };
  const [withUploads, report] = await Promise.all([textPhase(sockets, DURATION), uploadsFrom(order)]);
  clearInterval(sampler);
  const { peak } = memoryOf(pid);
  const latencies = report.latencies.sort((a, b) => a - b);
  const failures = new Map(Object.entries(report.failures));
  const uploadSeconds = report.seconds;

  const textP99Alone = percentile(alone.acks, 99) ?? Number.NaN;
  const textP99With = percentile(withUploads.acks, 99) ?? Number.NaN;
  console.log(
    `\n${table(
      ['phase', 'text msgs', 'text p50 ms', 'text p99 ms', 'uploads', 'uploads/s', 'MB/s in', 'upload p50 ms', 'upload p99 ms', 'failed'],
      [
        ['text alone', String(alone.acks.length), formatMs(percentile(alone.acks, 50)), formatMs(textP99Alone), '-', '-', '-', '-', '-', String(alone.errors)],
        [
          'text + uploads',
          String(withUploads.acks.length),
          formatMs(percentile(withUploads.acks, 50)),
          formatMs(textP99With),
          String(latencies.length),
          (latencies.length / uploadSeconds).toFixed(1),
          ((latencies.length * image.length) / uploadSeconds / 1024 / 1024).toFixed(1),
          formatMs(percentile(latencies, 50)),
          formatMs(percentile(latencies, 99)),
          `${withUploads.errors}${failures.size > 0 ? ` (uploads: ${[...failures].map(([s, n]) => `${n}× ${s}`).join(', ')})` : ''}`,
        ],
      ],
      1,
    )}\n`,
  );
  console.log(`server RSS: ${rssBefore.toFixed(0)} MB before the uploads, peak ${peakRss.toFixed(0)} MB sampled during them (VmHWM ${peak.toFixed(0)} MB)`);
  console.log(`load average after the runs: ${loadAverage()}`);
  const ratio = textP99With / textP99Alone;
  console.log(`text p99 with uploads ÷ without: ${ratio.toFixed(2)}× (target ≤ 2×)  ${verdict(ratio <= 2)}`);
  console.log(`peak RSS during ${UPLOADERS} concurrent uploads: ${peak.toFixed(0)} MB (target ≤ 512 MB)  ${verdict(peak <= 512)}`);
  return failures.size > 0 || latencies.length === 0 ? 1 : 0;
}

main()
  .catch((error: unknown) => {
    console.error(`bench:attachments failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  })
  .then(async (code) => {
    for (const socket of sockets) socket.close();
    await bench.cleanup();
    process.exit(code);
  });
