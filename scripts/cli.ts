import { config as loadDotenv } from 'dotenv';
import type Redis from 'ioredis';
import { QueryTypes } from 'sequelize';
import { SequelizeStorage } from 'umzug';
import { ConfigError, loadConfig, type Config, type DatabaseConfig, type RedisConfig } from '../config';
import { createSequelize } from '../config/database';
import { createRedis } from '../config/redis';
import { Db } from '../models/db';
import { createMigrator } from '../models/migrator';

/** Where a script talks to a person: results on stdout, problems on stderr (one line each). */
export interface Output {
  info(line: string): void;
  error(problem: string): void;
}

export const terminal: Output = {
  info: (line) => process.stdout.write(`${line}\n`),
  error: (problem) => process.stderr.write(`error: ${problem}\n`),
};

/** A failure the user can act on; its message is the whole story, so no stack trace is printed. */
export class CliError extends Error {
  override name = 'CliError';
}

/** The importable body of a script: takes a validated config, returns the process exit code. */
export type Script = (config: Config, out: Output) => Promise<number>;

/**
 * Reads the config and runs the script. Never rejects: a bad config prints one line per problem and any
 * thrown error prints its message as one line, both with exit code 1.
 */
export async function runScript(script: Script, env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  try {
    return await script(loadConfig(env), out);
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [describeError(error)];
    for (const problem of problems) out.error(problem);
    return 1;
  }
}

/** The runnable end of a compiled script. */
export function runMain(script: Script): void {
  // Loaded here rather than at import, so tests importing a script keep their own environment.
  loadDotenv({ quiet: true });
  // process.exit rather than waiting for the event loop to drain: a driver's stray timer must not keep a
  // finished command hanging in someone's terminal or CI job.
  void runScript(script, process.env, terminal).then((code) => process.exit(code));
}

/** An error as one readable line, digging into driver errors whose own message is empty. */
export function describeError(error: unknown): string {
  // Read by shape, not instanceof: errors made by Node's core fail instanceof Error inside jest's sandbox.
  if (typeof error !== 'object' || error === null) return String(error);
  const { message, parent, errors, code, name } = error as Partial<Record<'message' | 'parent' | 'errors' | 'code' | 'name', unknown>>;
  if (typeof message === 'string' && message.trim() !== '') return message.split('\n')[0];
  // mysql2 reports a refused connection to a name with several addresses (localhost: ::1 and 127.0.0.1)
  // as an AggregateError with an empty message; Sequelize copies that empty message into its own error.
  if (parent && parent !== error) return describeError(parent);
  if (Array.isArray(errors) && errors.length > 0) return [...new Set(errors.map(describeError))].join('; ');
  return String(code ?? name ?? 'unknown error');
}

/** Names a database for a person, without its password. */
export function describeDatabase(db: DatabaseConfig): string {
  return db.dialect === 'sqlite' ? `sqlite ${db.storage}` : `mysql ${db.name}@${db.host}:${db.port}`;
}

/** Names a Redis server for a person, without its password. */
export function describeRedis(redis: RedisConfig): string {
  if (!redis.url) return `${redis.host}:${redis.port}/${redis.db}`;
  const url = new URL(redis.url);
  if (url.password) url.password = '***';
  return url.toString();
}

/** Opens the database and proves it answers. */
export async function connectDatabase(config: DatabaseConfig): Promise<Db> {
  let db: Db | undefined;
  try {
    db = new Db(createSequelize(config));
    await db.sequelize.authenticate();
    return db;
  } catch (error) {
    await db?.close().catch(() => undefined);
    throw new CliError(`cannot connect to the database (${describeDatabase(config)}): ${describeError(error)}`);
  }
}

export async function withDatabase<T>(config: DatabaseConfig, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await connectDatabase(config);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** A connected client without the key prefix, so SCAN patterns and the keys they return mean the same. */
export async function connectRedis(config: RedisConfig): Promise<Redis> {
  // A script asks once: background reconnection would retry forever and hide the reason.
  const redis = createRedis(config, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let reason: string | undefined;
  redis.on('error', (error: Error) => {
    reason = describeError(error);
  });
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    // connect() only says "Connection is closed."; the cause arrived as an 'error' event.
    throw new CliError(`cannot connect to Redis (${describeRedis(config)}): ${reason ?? describeError(error)}`);
  }
}

export async function databaseVersion(db: Db): Promise<string> {
  const sql = db.dialect === 'sqlite' ? 'SELECT sqlite_version() AS version' : 'SELECT VERSION() AS version';
  const [row] = await db.sequelize.query<{ version: string }>(sql, { type: QueryTypes.SELECT });
  return row.version;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

/** Which migrations are applied, without creating umzug's bookkeeping table when it is missing. */
export async function migrationStatus(db: Db): Promise<MigrationStatus> {
  const migrator = createMigrator(db.sequelize);
  const queryInterface = db.sequelize.getQueryInterface();
  const storage = migrator.options.storage;
  if (storage instanceof SequelizeStorage && !(await queryInterface.tableExists(storage.model.tableName))) {
    const all = await migrator.migrations(queryInterface);
    return { applied: [], pending: all.map((m) => m.name) };
  }
  const [applied, pending] = await Promise.all([migrator.executed(), migrator.pending()]);
  return { applied: applied.map((m) => m.name), pending: pending.map((m) => m.name) };
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
