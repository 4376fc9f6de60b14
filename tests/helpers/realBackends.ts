import mysql from 'mysql2/promise';
import Redis from 'ioredis';

/** Where the tests look for MariaDB/MySQL and Redis; override with TEST_MYSQL_* / TEST_REDIS_URL. */
export const mysqlTarget = {
  host: process.env.TEST_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_MYSQL_PORT ?? 3306),
  user: process.env.TEST_MYSQL_USER ?? 'root',
  password: process.env.TEST_MYSQL_PASSWORD ?? '',
};
export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function mysqlReachable(): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ ...mysqlTarget, connectTimeout: 2_000 });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

export async function redisReachable(): Promise<boolean> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
