import type Redis from 'ioredis';
import type { Config } from '../config';
import type { Db } from '../models/db';
import { createMigrator } from '../models/migrator';
import { CliError, connectRedis, describeDatabase, plural, runMain, withDatabase, type Output } from './cli';
import { seedDatabase } from './dbSeed';

export interface InitOptions {
  /** Drop every table (and the cache) first. */
  force: boolean;
  /** Seed the demo data afterwards. */
  seed: boolean;
}

const FLAGS = ['--force', '--seed'];

export function parseInitOptions(args: readonly string[]): InitOptions {
  const unknown = args.filter((arg) => !FLAGS.includes(arg));
  if (unknown.length > 0) throw new CliError(`unknown option ${unknown.join(' ')} (db:init takes ${FLAGS.join(' and ')})`);
  return { force: args.includes('--force'), seed: args.includes('--seed') };
}

export async function initDatabase(config: Config, options: InitOptions, out: Output): Promise<number> {
  // Connected before anything is dropped, so that an unreachable Redis stops a reset while it can still be
  // undone. Clearing it matters: the cache keeps operators by id and version, the new rows reuse the ids with
  // version 0, and a rebuild keeps whichever copy has the higher version — the stale one.
  const cache = options.force && config.redis ? { redis: await connectRedis(config.redis), prefix: config.redis.keyPrefix } : null;
  try {
    await withDatabase(config.db, async (db) => {
      if (options.force) out.info(await dropAllTables(db, describeDatabase(config.db)));
      out.info(await migrate(db, describeDatabase(config.db)));
      if (options.seed) await seedDatabase(db, out);
    });
    if (cache) {
      const deleted = await deleteKeys(cache.redis, cache.prefix);
      out.info(`cleared the Redis cache: ${plural(deleted, 'key')} under "${cache.prefix}"`);
    }
  } finally {
    cache?.redis.disconnect();
  }
  return 0;
}

/** Drops every table, including ones no migration record accounts for, so the migrations start clean. */
async function dropAllTables(db: Db, where: string): Promise<string> {
  const queryInterface = db.sequelize.getQueryInterface();
  const tables = (await queryInterface.showAllTables()).sort();
  // Drops foreign keys first on MySQL and turns them off around the drops on SQLite.
  await queryInterface.dropAllTables();
  return tables.length > 0 ? `dropped ${plural(tables.length, 'table')} on ${where} (${tables.join(', ')})` : `${where} had no tables to drop`;
}

async function migrate(db: Db, where: string): Promise<string> {
  const migrator = createMigrator(db.sequelize);
  const applied = await migrator.up();
  if (applied.length > 0) return `migrated ${where}: ${applied.length} applied (${applied.map((m) => m.name).join(', ')})`;
  const executed = await migrator.executed();
  return `${where} is up to date: ${plural(executed.length, 'migration')} already applied`;
}

/** SCAN + UNLINK: never KEYS or FLUSHDB, which would block or wipe a Redis shared with other prefixes. */
async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

if (require.main === module) runMain((config, out) => initDatabase(config, parseInitOptions(process.argv.slice(2)), out));
