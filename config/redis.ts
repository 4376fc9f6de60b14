import Redis, { type RedisOptions } from 'ioredis';
import type { RedisConfig } from './index';

/**
 * A Redis client that never hangs a request: commands time out after a second, nothing queues while the
 * connection is down (callers fall back to the database), and reconnection goes on in the background.
 * The client starts unconnected; call `connect()`.
 */
export function createRedis(config: RedisConfig, overrides: RedisOptions = {}): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: 1_000,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // Commands issued in one tick (a routing pass's cache writes, a burst of room broadcasts) leave in one
    // write instead of one system call each.
    enableAutoPipelining: true,
    ...overrides,
  };
  if (config.url) return new Redis(config.url, options);
  return new Redis({ host: config.host, port: config.port, password: config.password, db: config.db, ...options });
}

/**
 * Closes a client for good: a polite QUIT when Redis answers (within the deadline), then the connection is
 * dropped whatever happened, so that no reconnect timer of a client whose Redis is down outlives the stop.
 */
export async function closeRedis(client: Redis, deadlineMs = 1_000): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([client.quit().then(() => undefined, () => undefined), deadline]);
    clearTimeout(timer);
  }
  client.disconnect();
}
