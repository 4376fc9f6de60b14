import fs from 'node:fs';
import Redis from 'ioredis';
import type { Config } from '../../config';
import { verifyPassword } from '../../services/operators/passwords';
import { migrationStatus, withDatabase } from '../../scripts/cli';
import { runSeed, SEED_OPERATORS, SEED_SESSIONS } from '../../scripts/dbSeed';
import { testDatabase } from '../../scripts/dbTest';
import { deleteRedisKeys, describeEachBackend } from '../helpers/backends';
import { redisUrl } from '../helpers/realBackends';
import { UNREACHABLE_DB, capture, databasePerTest, init, rowCounts, runCompiled, scriptsSuite, storagePerTest } from '../helpers/scripts';

/**
 * The database scripts as a person runs them (`npm run db:init`, `db:seed`, `db:test`, `test-connections`):
 * the compiled files, as processes with only the environment given, from a directory holding no .env.
 */

const suite = scriptsSuite({ compiled: true });

describeEachBackend('database scripts', (backend) => {
  let env: Record<string, string>;
  let config: Config;
  databasePerTest(backend, (database) => ({ env, config } = database));

  it('db:init migrates a new database, db:test then passes every check, and a second db:init applies nothing', async () => {
    const first = await runCompiled(suite, 'dbInit', env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(new RegExp(`^migrated (sqlite|mysql) .+: ${suite.migrations.length} applied \\(${suite.migrations.join(', ')}\\)$`, 'm'));

    const test = await runCompiled(suite, 'dbTest', env);
    expect(test).toMatchObject({ code: 0, stderr: '' });
    for (const check of ['migrations', 'Operator → sessions', 'ChatSession → operator', 'ChatSession → messages',
      'ChatMessage → session', 'ChatSession → events', 'SessionEvent → session', 'active session counts']) {
      expect(test.stdout).toContain(`ok    ${check}: `);
    }
    expect(test.stdout).not.toContain('FAIL');
    expect(test.stdout).toMatch(/^all 10 checks passed$/m);

    const again = await runCompiled(suite, 'dbInit', env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`is up to date: ${suite.migrations.length} migrations? already applied$`, 'm'));
  });

  it('db:test exits 1 when an operator’s active count disagrees with its sessions', async () => {
    await init(config, true);
    await withDatabase(config.db, (db) => db.models.Operator.update({ activeSessions: 0 }, { where: { email: 'alice@example.com' } }));
    const run = await runCompiled(suite, 'dbTest', env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAIL  active session counts: alice@example.com records 0 active but has 1');
    expect(run.stderr).toMatch(/^error: 1 of 10 checks failed on /);
  });

  it('db:seed creates the demo accounts and consistent sessions', async () => {
    await init(config);
    const run = await runCompiled(suite, 'dbSeed', env);
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

    const second = await runCompiled(suite, 'dbSeed', env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('operators: 0 created, 4 already there');
    expect(second.stdout).toContain('sessions: 0 created, 5 already there');
    expect(await rowCounts(config)).toEqual(before);
    expect(await testDatabase(config, capture())).toBe(0);
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

    const run = await runCompiled(suite, 'dbInit', env, ['--force']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^dropped ${tables.length} tables on .+ \\(${tables.join(', ')}\\)$`, 'm'));
    expect(run.stdout).toContain(`: ${suite.migrations.length} applied (${suite.migrations.join(', ')})`);
    expect(await rowCounts(config)).toEqual({ operators: 0, sessions: 0, messages: 0, events: 0 });
    expect(await withDatabase(config.db, migrationStatus)).toEqual({ applied: suite.migrations, pending: [] });

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

  it('test-connections reports each configured service with its version and latency, and exits 0', async () => {
    const run = await runCompiled(suite, 'testConnections', env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^database: ok, (sqlite|mysql) .+, (sqlite|mysql) \d+\.\d+\.\d+\S*, \d+\.\d ms$/m);
    if (config.redis) expect(run.stdout).toMatch(/^redis: ok, .+, redis \d+\.\d+\.\d+, \d+\.\d ms$/m);
    else expect(run.stdout).toMatch(/^redis: not configured \(in-process cache\)$/m);
  });
});

describe('script failures', () => {
  let storage: string;
  storagePerTest(suite, (path) => (storage = path));

  it('test-connections exits 1 with one clear line when the database is unreachable', async () => {
    const run = await runCompiled(suite, 'testConnections', UNREACHABLE_DB);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: cannot connect to the database (mysql chat@127.0.0.1:1): connect ECONNREFUSED 127.0.0.1:1\n');
    expect(run.stdout).toBe('redis: not configured (in-process cache)\n');
  });

  it('test-connections exits 1 when a configured Redis is unreachable, still reporting the database', async () => {
    const run = await runCompiled(suite, 'testConnections', { DB_STORAGE: storage, REDIS_HOST: '127.0.0.1', REDIS_PORT: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: cannot connect to Redis (127.0.0.1:1/0): connect ECONNREFUSED 127.0.0.1:1\n');
    expect(run.stdout).toMatch(/^database: ok, sqlite /);
  });

  it.each(['dbInit', 'dbSeed', 'dbTest', 'testConnections'])('%s stops on a bad config with one line and no stack trace', async (name) => {
    const run = await runCompiled(suite, name, { DB_DIALECT: 'oracle', DB_STORAGE: storage });
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: DB_DIALECT must be one of sqlite, mysql, got "oracle"\n' });
    expect(fs.existsSync(storage)).toBe(false);
  });

  it('db:init refuses an unknown option before touching the database', async () => {
    const run = await runCompiled(suite, 'dbInit', { DB_STORAGE: storage }, ['--froce']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: unknown option --froce (db:init takes --force and --seed)\n' });
    expect(fs.existsSync(storage)).toBe(false);
  });
});
