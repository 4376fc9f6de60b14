import { performance } from 'node:perf_hooks';
import type { Config, DatabaseConfig, RedisConfig } from '../config';
import {
  connectRedis,
  databaseVersion,
  describeDatabase,
  describeError,
  describeRedis,
  runMain,
  withDatabase,
  type Output,
} from './cli';

/** Checks every configured backing service; exit code 1 when any of them does not answer. */
export async function testConnections(config: Config, out: Output): Promise<number> {
  // Both at once, so an unreachable database does not delay the answer about Redis.
  const [database, redis] = await Promise.allSettled([
    checkDatabase(config.db),
    config.redis ? checkRedis(config.redis) : Promise.resolve('redis: not configured (in-process cache)'),
  ]);
  let down = 0;
  for (const result of [database, redis]) {
    if (result.status === 'fulfilled') {
      out.info(result.value);
    } else {
      down += 1;
      out.error(describeError(result.reason));
    }
  }
  return down > 0 ? 1 : 0;
}

async function checkDatabase(config: DatabaseConfig): Promise<string> {
  return withDatabase(config, async (db) => {
    const version = await databaseVersion(db);
    const latency = await roundTrip(() => db.ping());
    return `database: ok, ${describeDatabase(config)}, ${db.dialect} ${version}, ${latency}`;
  });
}

async function checkRedis(config: RedisConfig): Promise<string> {
  const redis = await connectRedis(config);
  try {
    const info = await redis.info('server');
    const version = /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown version';
    const latency = await roundTrip(() => redis.ping());
    return `redis: ok, ${describeRedis(config)}, redis ${version}, ${latency}`;
  } finally {
    redis.disconnect();
  }
}

/** The time of one request once connected: what a query costs, not what the handshake cost. */
async function roundTrip(call: () => Promise<unknown>): Promise<string> {
  const started = performance.now();
  await call();
  return `${(performance.now() - started).toFixed(1)} ms`;
}

if (require.main === module) runMain(testConnections);
