import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../config';
import { migrationStatus, withDatabase, type Output } from '../../scripts/cli';
import { initDatabase } from '../../scripts/dbInit';
import type { Backend, ProvisionedBackend } from './backends';

/**
 * What the suites of the database scripts (db:init, db:seed, db:test, test-connections) share: the compiled
 * scripts run as `npm run db:*` runs them, a captured output, fresh databases, and row counts.
 */

export const ROOT = path.resolve(__dirname, '../..');
export const UNREACHABLE_DB = { DB_HOST: '127.0.0.1', DB_PORT: '1', DB_USER: 'root', DB_NAME: 'chat' };

/** What a suite of the scripts works in; filled in by the hooks scriptsSuite registers. */
export interface ScriptsSuite {
  /** A directory holding no .env, where the scripts run. */
  scratch: string;
  /** Every migration the code knows, in order: what a new database gets. */
  migrations: string[];
}

/** Registers the suite's hooks; with `compiled`, builds what `npm run db:*` runs (dist/scripts) first. */
export function scriptsSuite(options: { compiled: boolean }): ScriptsSuite {
  const suite = {} as ScriptsSuite;
  beforeAll(() => {
    // The spawned tests run what `npm run db:*` runs: the compiled files.
    if (options.compiled) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    suite.scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-scripts-'));
  }, 120_000);
  beforeAll(async () => {
    ({ pending: suite.migrations } = await withDatabase(loadConfig({ DB_STORAGE: ':memory:' }).db, migrationStatus));
  });
  afterAll(() => {
    if (suite.scratch) fs.rmSync(suite.scratch, { recursive: true, force: true });
  });
  return suite;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs dist/scripts/<name>.js with only the given environment, from a directory holding no .env. */
export function runCompiled(suite: ScriptsSuite, name: string, env: Record<string, string>, args: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'dist', 'scripts', `${name}.js`), ...args],
      { cwd: suite.scratch, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, info: (line) => lines.push(line), error: (problem) => errors.push(problem) };
}

/** Like the shared backends, but SQLite lives in a file: the scripts and the test are separate connections. */
export async function provision(backend: Backend): Promise<ProvisionedBackend> {
  if (backend.name !== 'sqlite') return backend.provision();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-scripts-db-'));
  return {
    env: { DB_DIALECT: 'sqlite', DB_STORAGE: path.join(dir, 'chat.sqlite') },
    dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fresh database of the backend for each test, never initialized; `use` gets its environment and config. */
export function databasePerTest(backend: Backend, use: (database: { env: Record<string, string>; config: Config }) => void): void {
  let provisioned: ProvisionedBackend;
  beforeEach(async () => {
    provisioned = await provision(backend);
    use({ env: provisioned.env, config: loadConfig(provisioned.env) });
  });
  afterEach(async () => {
    await provisioned.dispose();
  });
}

/** A SQLite path under the suite's scratch directory that does not exist yet, fresh for each test. */
export function storagePerTest(suite: ScriptsSuite, use: (storage: string) => void): void {
  beforeEach(() => {
    use(path.join(fs.mkdtempSync(path.join(suite.scratch, 'db-')), 'chat.sqlite'));
  });
}

export async function rowCounts(config: Config): Promise<Record<string, number>> {
  return withDatabase(config.db, async (db) => {
    const { Operator, ChatSession, ChatMessage, SessionEvent } = db.models;
    return {
      operators: await Operator.count(),
      sessions: await ChatSession.count(),
      messages: await ChatMessage.count(),
      events: await SessionEvent.count(),
    };
  });
}

export const init = (config: Config, seed = false): Promise<number> => initDatabase(config, { force: false, seed }, capture());
