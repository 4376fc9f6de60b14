import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { loadConfig, type Config } from '../../config';
import { verifyPassword } from '../../services/operators/passwords';
import { migrationStatus, runScript, withDatabase, type Output, type Script } from '../../scripts/cli';
import { initDatabase } from '../../scripts/dbInit';
import { runSeed, SEED_OPERATORS, SEED_SESSIONS } from '../../scripts/dbSeed';
import { testDatabase } from '../../scripts/dbTest';
import { deleteRedisKeys, describeEachBackend, type Backend, type ProvisionedBackend } from '../helpers/backends';
import { redisUrl } from '../helpers/realBackends';

const ROOT = path.resolve(__dirname, '../..');
const UNREACHABLE_DB = { DB_HOST: '127.0.0.1', DB_PORT: '1', DB_USER: 'root', DB_NAME: 'chat' };
let scratch: string;
/** Every migration the code knows, in order: what a new database gets. */
let migrations: string[];

beforeAll(() => {
  // The spawned tests run what `npm run db:*` runs: the compiled files.
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-scripts-'));
}, 120_000);

beforeAll(async () => {
  ({ pending: migrations } = await withDatabase(loadConfig({ DB_STORAGE: ':memory:' }).db, migrationStatus));
});

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs dist/scripts/<name>.js with only the given environment, from a directory holding no .env. */
function runCompiled(name: string, env: Record<string, string>, args: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'dist', 'scripts', `${name}.js`), ...args],
      { cwd: scratch, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, info: (line) => lines.push(line), error: (problem) => errors.push(problem) };
}

/** Like the shared backends, but SQLite lives in a file: the scripts and the test are separate connections. */
async function provision(backend: Backend): Promise<ProvisionedBackend> {
  if (backend.name !== 'sqlite') return backend.provision();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-scripts-db-'));
  return {
    env: { DB_DIALECT: 'sqlite', DB_STORAGE: path.join(dir, 'chat.sqlite') },
    dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function rowCounts(config: Config): Promise<Record<string, number>> {
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

const init = (config: Config, seed = false): Promise<number> => initDatabase(config, { force: false, seed }, capture());

describeEachBackend('database scripts', (backend) => {
  let provisioned: ProvisionedBackend;
  let env: Record<string, string>;
  let config: Config;

  beforeEach(async () => {
    provisioned = await provision(backend);
    env = provisioned.env;
    config = loadConfig(env);
  });

  afterEach(async () => {
    await provisioned.dispose();
  });

  it('db:init migrates a new database, db:test then passes every check, and a second db:init applies nothing', async () => {
    const first = await runCompiled('dbInit', env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(new RegExp(`^migrated (sqlite|mysql) .+: ${migrations.length} applied \\(${migrations.join(', ')}\\)$`, 'm'));

    const test = await runCompiled('dbTest', env);
    expect(test).toMatchObject({ code: 0, stderr: '' });
    for (const check of ['migrations', 'Operator → sessions', 'ChatSession → operator', 'ChatSession → messages',
      'ChatMessage → session', 'ChatSession → events', 'SessionEvent → session', 'active session counts']) {
      expect(test.stdout).toContain(`ok    ${check}: `);
    }
    expect(test.stdout).not.toContain('FAIL');
    expect(test.stdout).toMatch(/^all 10 checks passed$/m);

    const again = await runCompiled('dbInit', env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`is up to date: ${migrations.length} migrations? already applied$`, 'm'));
  });

  it('db:test on a seeded database samples each association through a real join', async () => {
    await init(config, true);
    const out = capture();
    expect(await testDatabase(config, out)).toBe(0);
    expect(out.lines).toContainEqual(expect.stringMatching(/^ok {4}Operator → sessions: Operator \d+ has [1-9]\d* sessions$/));
    expect(out.lines).toContainEqual(expect.stringMatching(/^ok {4}ChatMessage → session: ChatMessage \d+ → session [0-9a-f-]{36}$/));
    expect(out.lines).toContainEqual('ok    active session counts: 4 operators, 2 active sessions, counters match');
  });

  it('db:test fails with a clear line on a database that was never initialized, and creates nothing', async () => {
    const out = capture();
    expect(await runScript(testDatabase, env, out)).toBe(1);
    if (config.db.dialect === 'sqlite') {
      expect(out.errors).toEqual([`sqlite ${config.db.storage} does not exist: run npm run db:init first`]);
      expect(fs.existsSync(config.db.storage)).toBe(false);
    } else {
      expect(out.lines).toContain(`FAIL  migrations: ${migrations.length} pending (${migrations.join(', ')}): run npm run db:init`);
      expect(out.errors).toEqual([expect.stringMatching(/^10 of 10 checks failed on mysql /)]);
      const tables = await withDatabase(config.db, (db) => db.sequelize.getQueryInterface().showAllTables());
      expect(tables).toEqual([]);
    }
  });

  it('db:test exits 1 when an operator’s active count disagrees with its sessions', async () => {
    await init(config, true);
    await withDatabase(config.db, (db) => db.models.Operator.update({ activeSessions: 0 }, { where: { email: 'alice@example.com' } }));
    const run = await runCompiled('dbTest', env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAIL  active session counts: alice@example.com records 0 active but has 1');
    expect(run.stderr).toMatch(/^error: 1 of 10 checks failed on /);
  });

  it('db:seed creates the demo accounts and consistent sessions', async () => {
    await init(config);
    const run = await runCompiled('dbSeed', env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('operators: 4 created, 0 already there');
    expect(run.stdout).toContain('sessions: 5 created, 0 already there');

    await withDatabase(config.db, async (db) => {
      const { Operator, ChatSession, ChatMessage } = db.models;
      for (const spec of SEED_OPERATORS) {
        const operator = await Operator.findOne({ where: { email: spec.email } });
        expect(operator).toMatchObject({ role: spec.role, status: 'offline', departments: spec.departments, maxConcurrentSessions: spec.maxConcurrentSessions });
        expect(await verifyPassword(spec.password, operator!.passwordHash)).toBe(true);
        const active = await ChatSession.count({ where: { operatorId: operator!.id, status: 'active' } });
        expect(operator!.activeSessions).toBe(active);
      }
      expect(await Operator.findOne({ where: { email: 'alice@example.com' } })).toMatchObject({ departments: ['sales'], maxConcurrentSessions: 3, activeSessions: 1 });

      const sessions = await ChatSession.findAll();
      expect(sessions.filter((s) => s.status === 'closed').every((s) => s.rating !== null && s.closedAt !== null)).toBe(true);
      expect(sessions.filter((s) => s.status === 'active')).toHaveLength(2);
      for (const session of sessions) {
        expect(session.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(session.customerTokenHash).toMatch(/^[0-9a-f]{64}$/);
        expect(session.metadata).toEqual({ seed: true });
      }
      const active = sessions.find((s) => s.status === 'active')!;
      const messages = await ChatMessage.findAll({ where: { sessionId: active.id }, order: [['id', 'ASC']] });
      expect(new Set(messages.map((m) => m.senderType))).toEqual(new Set(['customer', 'operator', 'system']));
      const times = messages.map((m) => m.createdAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });
  });

  it('db:seed run twice changes nothing and creates no duplicates', async () => {
    await init(config);
    expect(await runSeed(config, capture())).toBe(0);
    const before = await rowCounts(config);
    expect(before).toMatchObject({ operators: SEED_OPERATORS.length, sessions: SEED_SESSIONS.length });

    const second = await runCompiled('dbSeed', env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('operators: 0 created, 4 already there');
    expect(second.stdout).toContain('sessions: 0 created, 5 already there');
    expect(await rowCounts(config)).toEqual(before);
    expect(await testDatabase(config, capture())).toBe(0);
  });

  it('db:seed skips an active demo session rather than push an operator over capacity', async () => {
    await init(config);
    await withDatabase(config.db, (db) =>
      db.models.Operator.create({ name: 'Alice', email: 'alice@example.com', passwordHash: 'x', departments: ['sales'], maxConcurrentSessions: 0 }),
    );
    const out = capture();
    expect(await runSeed(config, out)).toBe(0);
    expect(out.lines).toContain('operators: 3 created, 1 already there (admin@example.com, alice@example.com, bob@example.com, carol@example.com)');
    expect(out.lines).toContain('skipped active session seed-customer-5: alice@example.com is at capacity');
    expect(await rowCounts(config)).toMatchObject({ sessions: SEED_SESSIONS.length - 1 });
    expect(await testDatabase(config, capture())).toBe(0);
  });

  it('db:seed refuses a database that is not migrated', async () => {
    const out = capture();
    expect(await runScript(runSeed, env, out)).toBe(1);
    expect(out.errors).toEqual([`the schema is not up to date (${migrations.join(', ')} pending): run npm run db:init first`]);
  });

  it('db:init --force wipes the data and the cache, even tables no migration record accounts for', async () => {
    await init(config, true);
    const tables = await withDatabase(config.db, async (db) => {
      const queryInterface = db.sequelize.getQueryInterface();
      await queryInterface.dropTable('schema_migrations');
      return (await queryInterface.showAllTables()).sort();
    });
    expect(tables).toContain('operators');
    const prefix = config.redis?.keyPrefix;
    const staleKeys = [`${prefix}built`, `${prefix}operators`];
    const unrelatedKey = `unrelated:${prefix}keep`;
    if (prefix) {
      const redis = new Redis(redisUrl);
      await redis.set(staleKeys[0], 'stale');
      await redis.hset(staleKeys[1], '1', '{"version":9}');
      await redis.set(unrelatedKey, 'not ours');
      redis.disconnect();
    }

    const run = await runCompiled('dbInit', env, ['--force']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^dropped ${tables.length} tables on .+ \\(${tables.join(', ')}\\)$`, 'm'));
    expect(run.stdout).toContain(`: ${migrations.length} applied (${migrations.join(', ')})`);
    expect(await rowCounts(config)).toEqual({ operators: 0, sessions: 0, messages: 0, events: 0 });
    expect(await withDatabase(config.db, migrationStatus)).toEqual({ applied: migrations, pending: [] });

    if (prefix) {
      expect(run.stdout).toContain(`cleared the Redis cache: 2 keys under "${prefix}"`);
      const redis = new Redis(redisUrl);
      expect(await redis.exists(...staleKeys)).toBe(0);
      expect(await redis.get(unrelatedKey)).toBe('not ours');
      redis.disconnect();
      await deleteRedisKeys(unrelatedKey);
    } else {
      expect(run.stdout).not.toContain('Redis');
    }
  });

  it('db:reset (--force --seed) leaves exactly the seed, whatever was there', async () => {
    await init(config, true);
    const seeded = await rowCounts(config);
    await withDatabase(config.db, (db) =>
      db.models.Operator.create({ name: 'Extra', email: 'extra@example.com', passwordHash: 'x', departments: [] }),
    );
    const out = capture();
    expect(await initDatabase(config, { force: true, seed: true }, out)).toBe(0);
    expect(out.lines).toContain('operators: 4 created, 0 already there (admin@example.com, alice@example.com, bob@example.com, carol@example.com)');
    expect(await rowCounts(config)).toEqual(seeded);
  });

  it('test-connections reports each configured service with its version and latency, and exits 0', async () => {
    const run = await runCompiled('testConnections', env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^database: ok, (sqlite|mysql) .+, (sqlite|mysql) \d+\.\d+\.\d+\S*, \d+\.\d ms$/m);
    if (config.redis) expect(run.stdout).toMatch(/^redis: ok, .+, redis \d+\.\d+\.\d+, \d+\.\d ms$/m);
    else expect(run.stdout).toMatch(/^redis: not configured \(in-process cache\)$/m);
  });
});

describe('script failures', () => {
  let storage: string;
  beforeEach(() => {
    storage = path.join(fs.mkdtempSync(path.join(scratch, 'db-')), 'chat.sqlite');
  });

  it('test-connections exits 1 with one clear line when the database is unreachable', async () => {
    const run = await runCompiled('testConnections', UNREACHABLE_DB);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: cannot connect to the database (mysql chat@127.0.0.1:1): connect ECONNREFUSED 127.0.0.1:1\n');
    expect(run.stdout).toBe('redis: not configured (in-process cache)\n');
  });

  it('test-connections exits 1 when a configured Redis is unreachable, still reporting the database', async () => {
    const run = await runCompiled('testConnections', { DB_STORAGE: storage, REDIS_HOST: '127.0.0.1', REDIS_PORT: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: cannot connect to Redis (127.0.0.1:1/0): connect ECONNREFUSED 127.0.0.1:1\n');
    expect(run.stdout).toMatch(/^database: ok, sqlite /);
  });

  it.each<[string, Script]>([
    ['db:init', (config, out) => initDatabase(config, { force: false, seed: false }, out)],
    ['db:seed', runSeed],
    ['db:test', testDatabase],
  ])('%s exits 1 with one line when the database is unreachable', async (_name, script) => {
    const out = capture();
    expect(await runScript(script, UNREACHABLE_DB, out)).toBe(1);
    expect(out.errors).toEqual(['cannot connect to the database (mysql chat@127.0.0.1:1): connect ECONNREFUSED 127.0.0.1:1']);
    expect(out.lines).toEqual([]);
  });

  it('db:init --force drops nothing when the configured Redis cannot be cleared', async () => {
    const config = loadConfig({ DB_STORAGE: storage });
    await init(config, true);
    const seeded = await rowCounts(config);
    const out = capture();
    expect(await runScript((c, o) => initDatabase(c, { force: true, seed: false }, o), { DB_STORAGE: storage, REDIS_HOST: '127.0.0.1', REDIS_PORT: '1' }, out)).toBe(1);
    expect(out.errors).toEqual(['cannot connect to Redis (127.0.0.1:1/0): connect ECONNREFUSED 127.0.0.1:1']);
    expect(await rowCounts(config)).toEqual(seeded);
  });

  it.each(['dbInit', 'dbSeed', 'dbTest', 'testConnections'])('%s stops on a bad config with one line and no stack trace', async (name) => {
    const run = await runCompiled(name, { DB_DIALECT: 'oracle', DB_STORAGE: storage });
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: DB_DIALECT must be one of sqlite, mysql, got "oracle"\n' });
    expect(fs.existsSync(storage)).toBe(false);
  });

  it('lists every config problem, one line each', async () => {
    const out = capture();
    expect(await runScript(testDatabase, { DB_DIALECT: 'oracle', REDIS_PORT: 'abc' }, out)).toBe(1);
    expect(out.errors).toEqual(['DB_DIALECT must be one of sqlite, mysql, got "oracle"', 'REDIS_PORT must be an integer, got "abc"']);
  });

  it('db:init refuses an unknown option before touching the database', async () => {
    const run = await runCompiled('dbInit', { DB_STORAGE: storage }, ['--froce']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: unknown option --froce (db:init takes --force and --seed)\n' });
    expect(fs.existsSync(storage)).toBe(false);
  });
});
