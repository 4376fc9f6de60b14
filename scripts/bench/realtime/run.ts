import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { summarizeProfile } from '../cpuProfile';
import { BenchRun, UNLIMITED_ENV, redisUrl, type Started } from '../harness';
import { BARE_ADAPTER, CPU_PROF, MESSAGE_LIMIT, PROFILE_DIR } from './config';
import { closeSockets, openSockets } from './sockets';

/**
 * bench:realtime's resources and servers: the run (database, Redis prefix, children; cleaned up once, on
 * success, failure or Ctrl-C), our server and the bare relay, and the CPU profiles of ours.
 */

const JWT_SECRET = randomBytes(32).toString('hex');

const profiledPids = new Map<number, string>();
export const bench = new BenchRun({ databaseStem: 'chat_bench', redisStem: 'bench-realtime', beforeStop: () => closeSockets([...openSockets]) });

export function ourEnv(tag: string): Record<string, string> {
  // One Redis prefix per server process: each builds its cache from the database as it starts.
  return { ...bench.chatServerEnv(JWT_SECRET, `${bench.redisPrefix}${tag}:`), LOG_LEVEL: 'error', ...UNLIMITED_ENV, RATE_LIMIT_MESSAGES_PER_10_SECONDS: String(MESSAGE_LIMIT) };
}

/** Our server; on `port` when given (a restart must come back where its clients reconnect), else any free port. */
export async function startOurs(tag: string, port = 0): Promise<Started> {
  const execArgv = ['--expose-gc'];
  if (CPU_PROF) {
    fs.mkdirSync(PROFILE_DIR, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`);
  }
  const started = await bench.startChild('chatServer.js', { ...ourEnv(tag), PORT: String(port) }, execArgv);
  if (CPU_PROF && started.child.pid !== undefined) profiledPids.set(started.child.pid, tag);
  return started;
}

export function startRelay(tag: string, port = 0): Promise<Started> {
  const env: Record<string, string> = BARE_ADAPTER === 'redis' ? { BENCH_RELAY_REDIS_URL: redisUrl, BENCH_RELAY_REDIS_PREFIX: `${bench.redisPrefix}relay-${tag}:` } : {};
  env.BENCH_RELAY_PORT = String(port);
  return bench.startChild('socketRelay.js', env, ['--expose-gc']);
}

export function printProfiles(): void {
  if (!CPU_PROF || !fs.existsSync(PROFILE_DIR)) return;
  for (const [pid, tag] of profiledPids) {
    const file = fs.readdirSync(PROFILE_DIR).find((name) => name.includes(`.${pid}.`) && name.endsWith('.cpuprofile'));
    if (!file) continue;
    console.log(`\n== CPU profile of our server (${tag}, pid ${pid}) ==`);
    console.log(summarizeProfile(path.join(PROFILE_DIR, file)));
  }
}
