import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import type { RetentionCounts } from '../../services/jobs/RetentionJob';

/**
 * What the benchmarks share: server children, the MariaDB database and Redis keys a run creates and removes,
 * a small API client and the number formatting of their reports.
 *
 * Environment: BENCH_MYSQL_HOST/PORT/USER/PASSWORD (127.0.0.1:3306 root, no password), BENCH_REDIS_URL
 * (redis://127.0.0.1:6379).
 */

export const mysqlTarget = {
  host: process.env.BENCH_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.BENCH_MYSQL_PORT ?? 3306),
  user: process.env.BENCH_MYSQL_USER ?? 'root',
  password: process.env.BENCH_MYSQL_PASSWORD ?? '',
};
export const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Every limit off: the whole load comes from one address, and seeded operators hold no socket yet stay present. */
export const UNLIMITED_ENV: Readonly<Record<string, string>> = {
  RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
  RATE_LIMIT_LOGINS_PER_MINUTE: '0',
  RATE_LIMIT_MESSAGES_PER_10_SECONDS: '0',
  MAX_CONNECTIONS_PER_IP: '0',
  SESSION_IDLE_TIMEOUT_MINUTES: '0',
  OPERATOR_PRESENCE_GRACE_SECONDS: '86400',
};

export interface Started {
  child: ChildProcess;
  port: number;
}

export interface BenchRunOptions {
  /** The run's database is `${databaseStem}_${suffix}`. */
  databaseStem: string;
  /** The run's Redis keys start with `${redisStem}:${suffix}:`. */
  redisStem: string;
  /** Runs first: client sockets closed before the servers stop, so no server's shutdown waits on them. */
  beforeStop?: () => void;
  /** No summary line after cleaning up (bench:routing's output is its table alone). */
  quiet?: boolean;
}

/**
 * One benchmark run's resources: server children, a database and a Redis key prefix, all named after a random
 * suffix so that concurrent or aborted runs never meet. Constructing it arms Ctrl-C / SIGTERM to clean up, since
 * a benchmark is often interrupted and must not leave databases or servers behind.
 */
export class BenchRun {
  readonly suffix = randomBytes(4).toString('hex');
  readonly databaseName: string;
  readonly redisPrefix: string;
  readonly admin: { email: string; password: string };
  private readonly children = new Set<ChildProcess>();
  private databaseCreated = false;
  private cleaning: Promise<void> | null = null;

  constructor(private readonly options: BenchRunOptions) {
    this.databaseName = `${options.databaseStem}_${this.suffix}`;
    this.redisPrefix = `${options.redisStem}:${this.suffix}:`;
    this.admin = { email: 'bench-admin@example.com', password: `admin-${this.suffix}-password` };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        console.error(`\n${signal}: cleaning up`);
        void this.cleanup().finally(() => process.exit(130));
      });
    }
  }

  async createDatabase(): Promise<void> {
    const admin = await mysql.createConnection(mysqlTarget);
    await admin.query(`CREATE DATABASE \`${this.databaseName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    this.databaseCreated = true;
    await admin.end();
  }

  connectDatabase(options: mysql.ConnectionOptions = {}): Promise<mysql.Connection> {
    return mysql.createConnection({ ...mysqlTarget, database: this.databaseName, ...options });
  }

  /** Our server's connection to this run's database and Redis keys, and its bootstrap admin. */
  chatServerEnv(jwtSecret: string, redisKeyPrefix = this.redisPrefix): Record<string, string> {
    return {
      PORT: '0',
      DB_DIALECT: 'mysql',
      DB_HOST: mysqlTarget.host,
      DB_PORT: String(mysqlTarget.port),
      DB_USER: mysqlTarget.user,
      DB_PASSWORD: mysqlTarget.password,
      DB_NAME: this.databaseName,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      JWT_SECRET: jwtSecret,
      ADMIN_EMAIL: this.admin.email,
      ADMIN_PASSWORD: this.admin.password,
    };
  }

  /**
   * Forks a benchmark child (a compiled file beside this one) and waits for it to report its port. The child sees
   * only the environment given, not this process's, so a shell's DB_*, REDIS_* and the like cannot leak into a measurement.
   */
  startChild(entry: string, env: Record<string, string>, execArgv: string[] = []): Promise<Started> {
    const child = fork(path.join(__dirname, entry), [], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', ...env },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${entry} did not start within 60 s`)), 60_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited with code ${code} before listening`));
      });
      child.on('message', (message: { type?: string; port?: number }) => {
        if (message.type === 'listening' && typeof message.port === 'number') {
          clearTimeout(timer);
          resolve({ child, port: message.port });
        }
      });
    });
  }

  /** Runs once however often it is called; reports what failed instead of stopping at it, so the rest still goes. */
  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      const problems: string[] = [];
      try {
        this.options.beforeStop?.();
      } catch (error) {
        problems.push(`before stopping the servers: ${(error as Error).message}`);
      }
      await Promise.all([...this.children].map((child) => stopChild(child).catch((e: Error) => problems.push(`stopping a server: ${e.message}`))));
      if (this.databaseCreated) {
        try {
          const connection = await mysql.createConnection(mysqlTarget);
          await connection.query(`DROP DATABASE IF EXISTS \`${this.databaseName}\``);
          await connection.end();
        } catch (error) {
          problems.push(`dropping ${this.databaseName}: ${(error as Error).message}`);
        }
      }
      await deleteRedisKeys(this.redisPrefix).catch((e: Error) => problems.push(`deleting Redis keys ${this.redisPrefix}*: ${e.message}`));
      for (const problem of problems) console.error(`cleanup: ${problem}`);
      if (!this.options.quiet) console.log(`cleaned up: servers stopped, database ${this.databaseName} dropped, Redis keys ${this.redisPrefix}* deleted`);
    })();
    return this.cleaning;
  }
}

/** SIGKILL only as a last resort: our server's own shutdown deadline is 10 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** One IPC question to a child, answered with a message of the same type (see chatServer.ts). */
function ask<T>(child: ChildProcess, type: 'cpu' | 'memory' | 'retention' | 'vitals'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} reading from a server`)), 10_000);
    const listener = (message: { type?: string; usage?: T }): void => {
      if (message.type !== type || !message.usage) return;
      clearTimeout(timer);
      child.off('message', listener);
      resolve(message.usage);
    };
    child.on('message', listener);
    child.send({ type });
  });
}

/** The child's own user + system CPU time in ms: its cost per request, whatever else loads the machine. */
export async function cpuMs(child: ChildProcess): Promise<number> {
  const usage = await ask<NodeJS.CpuUsage>(child, 'cpu');
  return (usage.user + usage.system) / 1000;
}

/** Read after a full GC when the child runs with --expose-gc, so garbage is not counted as held memory. */
export const memoryUsage = (child: ChildProcess): Promise<NodeJS.MemoryUsage> => ask<NodeJS.MemoryUsage>(child, 'memory');

/** What the child's retention job has done so far (services/jobs/RetentionJob.ts). */
export const retentionCounts = (child: ChildProcess): Promise<RetentionCounts> => ask<RetentionCounts>(child, 'retention');

/** How a server child is doing (bench:soak, every minute): memory as it is (no GC first), the event loop's delay since the last ask, CPU time so far. */
export interface Vitals {
  rss: number;
  heapUsed: number;
  /** What V8 holds for its heap, used or not: RSS that heapUsed does not explain is either this or native memory. */
  heapTotal: number;
  /** Buffers and other memory outside V8's heap that JavaScript objects hold. */
  external: number;
  loopDelayP99Ms: number;
  cpu: NodeJS.CpuUsage;
}

export const vitals = (child: ChildProcess): Promise<Vitals> => ask<Vitals>(child, 'vitals');

export interface Envelope<T> {
  success: boolean;
  data: T;
  error?: { code: string; message: string };
}

export async function api<T>(base: string, method: string, url: string, options: { token?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const envelope = (await res.json()) as Envelope<T>;
  if (!res.ok || !envelope.success) throw new Error(`${method} ${url} → ${res.status} ${envelope.error?.code ?? ''} ${envelope.error?.message ?? ''}`);
  return envelope.data;
}

// ---------------------------------------------------------------------------------------------------------
// Reporting.

/** Nearest-rank; undefined when there is nothing to rank, so a report shows '-' instead of a made-up 0. */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Milliseconds with two decimals below 10, where they still mean something. */
export const formatMs = (n: number | undefined): string => (n === undefined ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1));

export const loadAverage = (): string => os.loadavg().map((n) => n.toFixed(2)).join(' / ');

export const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

/** Text columns (the first `leftColumns`) left-aligned, figures right-aligned. */
export function table(header: string[], rows: string[][], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]): string => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(format)].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Load.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An open-loop load at a steady rate: `fire(i, scheduledAt)` for the i-th message once its time
 * (start + i / rate) has come, checked every millisecond for `seconds`, whatever the answers' pace. A late tick
 * fires what it owes at once, and `scheduledAt` is when the message was due, so a latency measured from it
 * includes any lag of the load generator itself.
 */
export function openLoop(rate: number, seconds: number, fire: (index: number, scheduledAt: number) => void): Promise<void> {
  const start = performance.now();
  const total = Math.floor(rate * seconds);
  const dueAt = (index: number): number => start + (index * 1000) / rate;
  let sent = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      for (; sent < total && dueAt(sent) <= now; sent++) fire(sent, dueAt(sent));
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
}
