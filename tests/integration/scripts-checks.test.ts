import fs from 'node:fs';
import { loadConfig, type Config } from '../../config';
import { runScript, withDatabase, type Script } from '../../scripts/cli';
import { initDatabase } from '../../scripts/dbInit';
import { runSeed, SEED_SESSIONS } from '../../scripts/dbSeed';
import { testDatabase } from '../../scripts/dbTest';
import { describeEachBackend } from '../helpers/backends';
import { UNREACHABLE_DB, capture, databasePerTest, init, rowCounts, scriptsSuite, storagePerTest } from '../helpers/scripts';

/**
 * What the database scripts check and refuse, called in process: db:test's checks, db:seed's rules, db:reset,
 * and each script's one clear line when the database, Redis or the configuration is wrong.
 */

const suite = scriptsSuite({ compiled: false });

describeEachBackend('database scripts', (backend) => {
  let env: Record<string, string>;
  let config: Config;
  databasePerTest(backend, (database) => ({ env, config } = database));

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
      expect(out.lines).toContain(`FAIL  migrations: ${suite.migrations.length} pending (${suite.migrations.join(', ')}): run npm run db:init`);
      expect(out.errors).toEqual([expect.stringMatching(/^10 of 10 checks failed on mysql /)]);
      const tables = await withDatabase(config.db, (db) => db.sequelize.getQueryInterface().showAllTables());
      expect(tables).toEqual([]);
    }
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
    expect(out.errors).toEqual([`the schema is not up to date (${suite.migrations.join(', ')} pending): run npm run db:init first`]);
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
});

describe('script failures', () => {
  let storage: string;
  storagePerTest(suite, (path) => (storage = path));

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

  it('lists every config problem, one line each', async () => {
    const out = capture();
    expect(await runScript(testDatabase, { DB_DIALECT: 'oracle', REDIS_PORT: 'abc' }, out)).toBe(1);
    expect(out.errors).toEqual(['DB_DIALECT must be one of sqlite, mysql, got "oracle"', 'REDIS_PORT must be an integer, got "abc"']);
  });
});
