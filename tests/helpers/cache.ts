import Redis from 'ioredis';
import type { CachedOperator } from '../../services/cache/CacheStore';
import { redisUrl } from './realBackends';
import type { TestServer } from './testServer';

/** What the state-cache suites look at: the service endpoints, the cached operators, and Redis itself. */

/** GET a service endpoint; never waits more than 5 s (a hang fails the test instead of stalling it). */
export async function probe(url: string): Promise<{ status: number; body: { data?: Record<string, { ok: boolean }>; error?: { code: string; details?: Array<{ field: string; message: string }> } }; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as Awaited<ReturnType<typeof probe>>['body'];
  return { status: res.status, body, ms: performance.now() - started };
}

export const ids = (operators: CachedOperator[] | null): number[] => (operators ?? []).map((o) => o.id).sort((a, b) => a - b);

export function cachedOperator(overrides: Partial<CachedOperator> = {}): CachedOperator {
  return {
    id: 1,
    name: 'Ada',
    email: 'ada@example.com',
    role: 'operator',
    status: 'online',
    activeSessions: 0,
    maxConcurrentSessions: 5,
    departments: [],
    lastAssignedAt: null,
    lastSeenAt: null,
    disabled: false,
    version: 1,
    ...overrides,
  };
}

/** A plain client of the shared test Redis, to look at what the server wrote under its prefix. */
export function sharedRedis(): Redis {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return client;
}

/** The operator ids stored under the server's prefix, read straight from Redis, and whether it is marked built. */
export async function inRedis(server: TestServer): Promise<{ operators: number[]; built: boolean }> {
  const prefix = server.config.redis!.keyPrefix;
  const redis = sharedRedis();
  try {
    const operators = Object.keys(await redis.hgetall(`${prefix}operators:v2`)).map(Number).sort((a, b) => a - b);
    return { operators, built: (await redis.exists(`${prefix}built:v2`)) === 1 };
  } finally {
    redis.disconnect();
  }
}
