import path from 'node:path';

/** bench:realtime's settings, read from the environment once (see the header of scripts/bench/realtime.ts). */

const number = (name: string, fallback: number, min = 1): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}`);
  return value;
};

export const SOCKETS = Math.floor(number('BENCH_SOCKETS', 10_000));
export const CONNECT_BATCH = Math.floor(number('BENCH_CONNECT_BATCH', 500));
export const HOLD_SECONDS = number('BENCH_HOLD', 5, 0);
export const SESSIONS = Math.floor(number('BENCH_SESSIONS', 200));
export const OPERATORS = Math.floor(number('BENCH_OPERATORS', 10));
export const RATE = number('BENCH_RATE', 2000);
export const MAX_RATE = number('BENCH_MAX_RATE', 12_000);
export const MAX_STEPS = Math.floor(number('BENCH_MAX_STEPS', 5));
/** A rate is kept up with only if acks come back within this (p99), besides the delivery criteria. */
export const SUSTAIN_ACK_P99_MS = 1000;
export const DURATION = number('BENCH_DURATION', 10);
export const WARMUP = number('BENCH_WARMUP', 2, 0);
export const DRAIN_TIMEOUT = number('BENCH_DRAIN_TIMEOUT', 60);
export const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'connections,messages,storm').split(',').map((s) => s.trim()));
export const BARE_ADAPTER = process.env.BENCH_BARE_ADAPTER === 'memory' ? 'memory' : 'redis';
/** Which servers scenario 2 exercises (both by default; one alone is for profiling). */
export const SERVERS = new Set((process.env.BENCH_SERVERS ?? 'ours,bare').split(',').map((s) => s.trim()));
export const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
/** RATE_LIMIT_MESSAGES_PER_10_SECONDS for our server (0: off, as every other limit): set it high to time the limiter's own work. */
export const MESSAGE_LIMIT = Math.floor(number('BENCH_MESSAGE_LIMIT', 0, 0));
export const PROFILE_DIR = path.resolve(process.env.BENCH_CPU_PROF_DIR ?? 'bench-profiles');

export const TARGET_KB_PER_CONNECTION = 20;
/** Issue 20: a held connection costs at most this many times the bare relay's. */
export const TARGET_HELD_RATIO = 1.3;
/** Issue 20: after a restart, every client back and synced within this many times the bare relay's time. */
export const TARGET_STORM_RATIO = 2;
export const TARGET_THROUGHPUT = 5000;
export const TARGET_P99_MS = 50;
export const TARGET_RATIO = 0.4;
/** Per operator, the routing limit (maxConcurrentSessions ≤ 100). */
export const IDLE_SESSIONS_PER_OPERATOR = 100;
export const CONTENT = 'Hi, I ordered a blue jacket last week and it has not arrived yet. Could you check it?';
