import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import Redis from 'ioredis';
import { mysqlTarget, redisUrl } from './realBackends';

export interface Backend {
  name: 'sqlite' | 'mariadb+redis';
  /** Creates a fresh, empty database (and Redis key space) and returns the env that points at it. */
  provision(): Promise<ProvisionedBackend>;
}

export interface ProvisionedBackend {
  env: Record<string, string>;
  /** Drops the database and the Redis keys it made. */
  dispose(): Promise<void>;
}

const uniqueSuffix = (): string => `${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`;

export const sqliteBackend: Backend = {
  name: 'sqlite',
  async provision() {
    return { env: { DB_DIALECT: 'sqlite', DB_STORAGE: ':memory:' }, dispose: async () => undefined };
  },
};

/** How the tests create their MariaDB databases, unless a test asks for another way. */
const TEST_DATABASE_OPTIONS = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci';

export async function createMysqlDatabase(options = TEST_DATABASE_OPTIONS): Promise<{ name: string; drop(): Promise<void> }> {
  const name = `chat_test_${uniqueSuffix()}`;
  const admin = await mysql.createConnection(mysqlTarget);
  await admin.query(`CREATE DATABASE \`${name}\` ${options}`);
  await admin.end();
  return {
    name,
    async drop() {
      const connection = await mysql.createConnection(mysqlTarget);
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}

/** Deletes every Redis key under a prefix (tests share one Redis, each under its own prefix). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A fresh MariaDB database, created with `options` (CREATE DATABASE's), and a Redis key space. */
export async function provisionMariadb(options = TEST_DATABASE_OPTIONS): Promise<ProvisionedBackend> {
  const database = await createMysqlDatabase(options);
  const prefix = `test:${uniqueSuffix()}:`;
  return {
    env: {
      DB_DIALECT: 'mysql',
      DB_HOST: mysqlTarget.host,
      DB_PORT: String(mysqlTarget.port),
      DB_USER: mysqlTarget.user,
      DB_PASSWORD: mysqlTarget.password,
      DB_NAME: database.name,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
    },
    async dispose() {
      await database.drop();
      await deleteRedisKeys(prefix);
    },
  };
}

export const mariadbRedisBackend: Backend = { name: 'mariadb+redis', provision: () => provisionMariadb() };

/** SQLite always; MariaDB + Redis when globalSetup found both (CI requires them). */
export function availableBackends(): Backend[] {
  const real = process.env.TEST_MYSQL_AVAILABLE === '1' && process.env.TEST_REDIS_AVAILABLE === '1';
  return real ? [sqliteBackend, mariadbRedisBackend] : [sqliteBackend];
}

/** `describe` once per available backend. */
export function describeEachBackend(title: string, body: (backend: Backend) => void): void {
  for (const backend of availableBackends()) {
    describe(`${title} [${backend.name}]`, () => body(backend));
  }
}

/** `describe` with MariaDB + Redis when globalSetup found both; otherwise the same tests, listed as skipped. */
export function describeRealBackend(title: string, body: (backend: Backend) => void): void {
  const real = availableBackends().includes(mariadbRedisBackend);
  (real ? describe : describe.skip)(`${title} [${mariadbRedisBackend.name}]`, () => body(mariadbRedisBackend));
}
