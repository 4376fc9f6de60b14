import Redis from 'ioredis';
import { loadConfig } from '../../config';
import { createRedis } from '../../config/redis';
import type { CachedOperator } from '../../services/cache/CacheStore';
import { RedisStore } from '../../services/cache/RedisStore';
import { toCachedOperator } from '../../services/cache/snapshot';
import { createAdmin, getOperator } from '../helpers/api';
import { availableBackends, deleteRedisKeys, describeEachBackend, type ProvisionedBackend } from '../helpers/backends';
import { openTestDatabase, operatorRow, provisionShared, sessionRow } from '../helpers/database';
import { redisUrl } from '../helpers/realBackends';
import { PrivateRedis } from '../helpers/redisServer';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { sleep, waitFor, within } from '../helpers/wait';

/** GET a service endpoint; never waits more than 5 s (a hang fails the test instead of stalling it). */
async function probe(url: string): Promise<{ status: number; body: { data?: Record<string, { ok: boolean }>; error?: { code: string; details?: Array<{ field: string; message: string }> } }; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as Awaited<ReturnType<typeof probe>>['body'];
  return { status: res.status, body, ms: performance.now() - started };
}

const ids = (operators: CachedOperator[] | null): number[] => (operators ?? []).map((o) => o.id).sort((a, b) => a - b);

function cachedOperator(overrides: Partial<CachedOperator> = {}): CachedOperator {
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
function sharedRedis(): Redis {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return client;
}

describeEachBackend('state cache', (backend) => {
  describe('built from the database, the truth', () => {
    let provisioned: ProvisionedBackend;
    let server: TestServer;
    let seeded: { grace: number; linus: number; disabled: number; sessionId: string };

    beforeAll(async () => {
      // Rows written before the server starts, by another connection: the server must find them, not make them.
      provisioned = await provisionShared(backend);
      const seeding = await openTestDatabase(backend, { provisioned });
      const { Operator, ChatSession } = seeding.db.models;
      // Offline, so that nothing the server does at start (the presence sweep) changes them under the test.
      const grace = await Operator.create(operatorRow({ name: 'Grace 👩🏽‍💻', status: 'offline', departments: ['sales'] }));
      const linus = await Operator.create(operatorRow({ name: 'Linus', status: 'offline', departments: [] }));
      const disabled = await Operator.create({ ...operatorRow({ name: 'Gone' }), disabled: true });
      const session = await ChatSession.create(sessionRow({ status: 'active', operatorId: grace.id }));
      await Operator.update({ activeSessions: 1, version: 3 }, { where: { id: grace.id } });
      await seeding.close();
      seeded = { grace: grace.id, linus: linus.id, disabled: disabled.id, sessionId: session.id };
      server = await startTestServer(backend, { provisioned });
    });
    afterAll(async () => {
      await server?.close();
      await provisioned?.dispose();
    });

    it('holds, right after start, every enabled operator and every active session\'s operator', async () => {
      const operators = await server.server.cache.getOperators();
      expect(ids(operators)).toEqual([seeded.grace, seeded.linus]);
      expect(operators?.find((o) => o.id === seeded.grace)).toEqual({
        id: seeded.grace,
        name: 'Grace 👩🏽‍💻',
        email: expect.stringMatching(/@example\.com$/),
        role: 'operator',
        status: 'offline',
        activeSessions: 1,
        maxConcurrentSessions: 5,
        departments: ['sales'],
        lastAssignedAt: null,
        lastSeenAt: null,
        disabled: false,
        version: 3,
      });
      // An empty list stays a list (a JSON round trip through Lua would turn [] into {}).
      expect((await server.server.cache.getOperator(seeded.linus))?.departments).toEqual([]);
      expect(await server.server.cache.getOperator(seeded.disabled)).toBeNull();
      expect(await server.server.cache.getSessionOperator(seeded.sessionId)).toBe(seeded.grace);
    });

    it('holds operators created later once rebuilt', async () => {
      const created = await server.server.db.models.Operator.create(operatorRow({ name: 'Later' }));
      await server.server.cache.rebuild();
      expect((await server.server.cache.getOperator(created.id))?.name).toBe('Later');
      expect(ids(await server.server.cache.getOperators())).toContain(seeded.grace);
    });

    it('never lets an older copy of an operator replace a newer one', async () => {
      const cache = server.server.cache;
      const current = (await cache.getOperator(seeded.grace))!;
      expect(current.version).toBeGreaterThanOrEqual(3);
      await cache.putOperator({ ...current, name: 'older', version: current.version - 1 });
      await cache.putOperator({ ...current, name: 'same version', version: current.version });
      expect((await cache.getOperator(seeded.grace))?.name).toBe(current.name);
      await cache.putOperator({ ...current, name: 'newer', status: 'busy', version: current.version + 1 });
      expect(await cache.getOperator(seeded.grace)).toMatchObject({ name: 'newer', status: 'busy', version: current.version + 1 });
    });

    if (backend.name !== 'mariadb+redis') return;

    it('lives in Redis under the deployment\'s key prefix, where every process sees it', async () => {
      const prefix = server.config.redis!.keyPrefix;
      const redis = sharedRedis();
      try {
        const stored = await redis.hgetall(`${prefix}operators:v2`);
        expect(Object.keys(stored).map(Number)).toEqual(expect.arrayContaining([seeded.grace, seeded.linus]));
        expect(JSON.parse(stored[String(seeded.grace)])).toEqual(await server.server.cache.getOperator(seeded.grace));
        expect(JSON.parse(stored[String(seeded.linus)])).toMatchObject({ name: 'Linus', departments: [] });
        expect(await redis.exists(`${prefix}built:v2`)).toBe(1);
      } finally {
        redis.disconnect();
      }
    });

    /** The operator ids stored under the server's prefix, read straight from Redis, and whether it is marked built. */
    async function inRedis(): Promise<{ operators: number[]; built: boolean }> {
      const prefix = server.config.redis!.keyPrefix;
      const redis = sharedRedis();
      try {
        const operators = Object.keys(await redis.hgetall(`${prefix}operators:v2`)).map(Number).sort((a, b) => a - b);
        return { operators, built: (await redis.exists(`${prefix}built:v2`)) === 1 };
      } finally {
        redis.disconnect();
      }
    }

    it('after its keys are wiped (FLUSHDB), ensureBuilt() rebuilds it from the database, even if a write came first', async () => {
      const cache = server.server.cache;
      const before = ids(await cache.getOperators());
      expect(before.length).toBeGreaterThanOrEqual(2);
      const linusCopy = await cache.getOperator(seeded.linus);
      await deleteRedisKeys(server.config.redis!.keyPrefix);
      // A write-through landing in the empty Redis must not make it look built.
      await cache.putOperator(linusCopy!);
      expect(await inRedis()).toEqual({ operators: [seeded.linus], built: false });

      await cache.ensureBuilt();
      expect(await inRedis()).toEqual({ operators: before, built: true });
      expect(ids(await cache.getOperators())).toEqual(before);
      expect(await cache.getSessionOperator(seeded.sessionId)).toBe(seeded.grace);
    });

    it('right after a wipe, never passes the empty Redis off as "no operators" (null: ask the database)', async () => {
      const cache = server.server.cache;
      const before = ids(await cache.getOperators());
      await deleteRedisKeys(server.config.redis!.keyPrefix);
      const read = await cache.getOperators();
      expect(read === null ? 'null: read the database' : ids(read)).not.toEqual([]);
      if (read !== null) expect(ids(read)).toEqual(before);
      await cache.ensureBuilt();
      expect(ids(await cache.getOperators())).toEqual(before);
    });

    it('the periodic check rebuilds a wiped cache by itself (within 5 s)', async () => {
      await server.server.cache.ensureBuilt();
      const before = (await inRedis()).operators;
      expect(before.length).toBeGreaterThanOrEqual(2);
      await deleteRedisKeys(server.config.redis!.keyPrefix);
      const started = Date.now();
      // Watched from outside (raw Redis), so that nothing but the server's own check can trigger the rebuild.
      await waitFor(async () => (await inRedis()).built, 8_000, 'the periodic rebuild', 100);
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(await inRedis()).toEqual({ operators: before, built: true });
    });
  });

  if (backend.name !== 'mariadb+redis') return;

  describe('RedisStore', () => {
    let provisioned: ProvisionedBackend;
    let store: RedisStore;
    let prefix: string;

    beforeAll(async () => {
      provisioned = await backend.provision();
      const config = loadConfig(provisioned.env);
      prefix = config.redis!.keyPrefix;
      const redis = createRedis(config.redis!, { keyPrefix: prefix });
      await redis.connect();
      store = new RedisStore(redis);
    });
    afterAll(async () => {
      await store?.close();
      await provisioned?.dispose();
    });

    it('putOperator never replaces a newer version with an older or equal one', async () => {
      await store.putOperator(cachedOperator({ id: 7, name: 'v2', version: 2 }));
      await store.putOperator(cachedOperator({ id: 7, name: 'v1', version: 1 }));
      expect((await store.getOperator(7))?.name).toBe('v2');
      await store.putOperator(cachedOperator({ id: 7, name: 'v2 again', version: 2 }));
      expect((await store.getOperator(7))?.name).toBe('v2');
      await store.putOperator(cachedOperator({ id: 7, name: 'v10', version: 10 }));
      // 10 > 2 as numbers, not as strings.
      expect(await store.getOperator(7)).toMatchObject({ name: 'v10', version: 10 });
      await store.putOperator(cachedOperator({ id: 7, name: 'v9', version: 9 }));
      expect((await store.getOperator(7))?.name).toBe('v10');
    });

    it('many concurrent writes of different versions end with the newest', async () => {
      const versions = Array.from({ length: 50 }, (_, i) => i + 100).sort(() => Math.random() - 0.5);
      await Promise.all(versions.map((version) => store.putOperator(cachedOperator({ id: 8, name: `v${version}`, version }))));
      expect(await store.getOperator(8)).toMatchObject({ name: 'v149', version: 149 });
    });

    it('replaceAll merges by version, drops operators gone from the database, replaces sessions, marks it built', async () => {
      await store.putOperator(cachedOperator({ id: 20, name: 'newer in cache', version: 5 }));
      await store.putOperator(cachedOperator({ id: 21, name: 'deleted since', version: 1 }));
      await store.setSessionOperator('stale-session', 21);
      await store.replaceAll({
        operators: [cachedOperator({ id: 20, name: 'older snapshot', version: 4 }), cachedOperator({ id: 22, name: 'new', version: 0, departments: [] })],
        sessions: [{ sessionId: 'live-session', operatorId: 22 }],
      });
      expect((await store.getOperator(20))?.name).toBe('newer in cache');
      expect(await store.getOperator(21)).toBeNull();
      expect(await store.getOperator(22)).toMatchObject({ name: 'new', departments: [] });
      expect(await store.getSessionOperator('stale-session')).toBeNull();
      expect(await store.getSessionOperator('live-session')).toBe(22);
      expect(await store.isBuilt()).toBe(true);
      await deleteRedisKeys(prefix);
      expect(await store.isBuilt()).toBe(false);
    });

    it('caches what the database row says (toCachedOperator)', async () => {
      const t = await openTestDatabase(backend, { provisioned });
      try {
        const row = await t.db.models.Operator.create(operatorRow({ name: 'Row', email: 'row@example.com', role: 'admin', departments: ['a', 'b'] }));
        await row.update({ lastAssignedAt: new Date('2025-01-02T03:04:05.678Z'), lastSeenAt: new Date('2025-01-02T03:05:00.000Z'), version: 6 });
        await store.putOperator(toCachedOperator(row));
        expect(await store.getOperator(row.id)).toEqual({
          id: row.id,
          name: 'Row',
          email: 'row@example.com',
          role: 'admin',
          status: 'offline',
          activeSessions: 0,
          maxConcurrentSessions: 5,
          departments: ['a', 'b'],
          lastAssignedAt: '2025-01-02T03:04:05.678Z',
          lastSeenAt: '2025-01-02T03:05:00.000Z',
          disabled: false,
          version: 6,
        });
      } finally {
        await t.db.close();
      }
    });
  });

  describe('when Redis fails', () => {
    let redis: PrivateRedis;
    let server: TestServer;
    let operatorIds: number[];

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      server = await startTestServer(backend, { env: { REDIS_URL: redis.url } });
      const { Operator } = server.server.db.models;
      const a = await Operator.create(operatorRow({ name: 'Anna' }));
      const b = await Operator.create(operatorRow({ name: 'Bo' }));
      operatorIds = [a.id, b.id].sort((x, y) => x - y);
      await server.server.cache.rebuild();
    });
    afterAll(async () => {
      try {
        redis?.thaw();
        await server?.close();
      } finally {
        redis?.cleanup();
      }
    });

    it('is ready, with the operators in its own Redis, to begin with', async () => {
      expect(ids(await server.server.cache.getOperators())).toEqual(operatorIds);
      const ready = await probe(`${server.url}/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.data?.cache).toMatchObject({ ok: true, kind: 'redis' });
    });

    it('Redis killed: /ready turns 503 naming the cache within 2 s, /health stays 200, reads give null at once', async () => {
      await redis.crash();
      const killedAt = Date.now();
      const notReady = await waitFor(async () => {
        const res = await probe(`${server.url}/ready`);
        return res.status === 503 ? res : undefined;
      }, 2_000, '/ready turning 503');
      expect(Date.now() - killedAt).toBeLessThan(2_000);
      expect(notReady.ms).toBeLessThan(1_500);
      expect(notReady.body.error?.code).toBe('SERVICE_UNAVAILABLE');
      expect(notReady.body.error?.details?.map((d) => d.field)).toEqual(['cache']);
      expect(notReady.body.data?.database).toMatchObject({ ok: true });
      expect(notReady.body.data?.cache).toMatchObject({ ok: false, kind: 'redis' });

      const health = await probe(`${server.url}/health`);
      expect(health.status).toBe(200);

      const reads: Array<() => Promise<unknown>> = [
        () => server.server.cache.getOperators(),
        () => server.server.cache.getOperator(operatorIds[0]),
        () => server.server.cache.getSessionOperator('x'),
      ];
      for (const read of reads) {
        const started = performance.now();
        expect(await within(read(), 3_000, 'a cache read with Redis down')).toBeNull();
        expect(performance.now() - started).toBeLessThan(1_500);
      }
      // Writes are dropped without an error: the database has the truth.
      await expect(server.server.cache.putOperator(cachedOperator({ id: operatorIds[0], version: 100 }))).resolves.toBeUndefined();
    });

    it('Redis restarted (empty): the cache is rebuilt from the database and /ready is 200 again', async () => {
      await redis.start();
      const restartedAt = Date.now();
      await waitFor(async () => (await probe(`${server.url}/ready`)).status === 200, 10_000, '/ready back to 200');
      await waitFor(async () => ids(await server.server.cache.getOperators()).length === operatorIds.length, 5_000, 'the rebuild');
      expect(Date.now() - restartedAt).toBeLessThan(10_000);
      expect(ids(await server.server.cache.getOperators())).toEqual(operatorIds);
      // The dropped write did not survive: the copy is the database's.
      expect((await server.server.cache.getOperator(operatorIds[0]))?.version).toBe(0);

      const client = redis.client();
      try {
        const stored = await client.hgetall(`${server.config.redis!.keyPrefix}operators:v2`);
        expect(Object.keys(stored).map(Number).sort((a, b) => a - b)).toEqual(operatorIds);
      } finally {
        client.disconnect();
      }
    });

    it('Redis frozen (connected, never answering): nothing hangs, and it recovers when Redis answers again', async () => {
      redis.freeze();
      const started = performance.now();
      expect(await within(server.server.cache.getOperators(), 3_000, 'a cache read with Redis frozen')).toBeNull();
      expect(performance.now() - started).toBeLessThan(1_500);

      const notReady = await probe(`${server.url}/ready`);
      expect(notReady.status).toBe(503);
      expect(notReady.ms).toBeLessThan(2_500);
      expect(notReady.body.error?.details?.map((d) => d.field)).toEqual(['cache']);
      expect((await probe(`${server.url}/health`)).status).toBe(200);

      redis.thaw();
      await waitFor(async () => (await probe(`${server.url}/ready`)).status === 200, 10_000, '/ready back to 200 after the freeze');
      expect(ids(await server.server.cache.getOperators())).toEqual(operatorIds);
    });
  });

  describe('when Redis is down at start', () => {
    let redis: PrivateRedis;
    let server: TestServer;

    beforeAll(async () => {
      redis = await PrivateRedis.reserve();
      server = await startTestServer(backend, {
        env: { REDIS_URL: redis.url, ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'admin-password-1' },
      });
    });
    afterAll(async () => {
      try {
        await server?.close();
      } finally {
        redis?.cleanup();
      }
    });

    it('the server still starts and serves /health; /ready says the cache is missing', async () => {
      expect((await probe(`${server.url}/health`)).status).toBe(200);
      const ready = await probe(`${server.url}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.error?.details?.map((d) => d.field)).toEqual(['cache']);
      expect(await server.server.cache.getOperators()).toBeNull();
    });

    it('once Redis starts, the cache is built from the database and the server becomes ready', async () => {
      await sleep(200);
      await redis.start();
      await waitFor(async () => (await probe(`${server.url}/ready`)).status === 200, 10_000, '/ready turning 200 once Redis is up');
      const admin = await server.server.db.models.Operator.findOne({ where: { email: 'admin@example.com' } });
      expect(admin).not.toBeNull();
      await waitFor(async () => (await server.server.cache.getOperator(admin!.id)) !== null, 5_000, 'the admin in the cache');
      expect((await server.server.cache.getOperator(admin!.id))?.name).toBe('Administrator');
    });
  });
});

const realBackend = availableBackends().find((b) => b.name === 'mariadb+redis');

(realBackend ? describe : describe.skip)('state cache across an upgrade [mariadb+redis]', () => {
  it('operators the previous release cached in their older shape are never served: GET /available shows whole operators', async () => {
    const backend = realBackend as NonNullable<typeof realBackend>;
    const provisioned = await backend.provision();
    try {
      const seeding = await openTestDatabase(backend, { provisioned });
      // Online with a live lease, so that the start's presence sweep leaves her as she is.
      const ann = await seeding.db.models.Operator.create({ ...operatorRow({ name: 'Ann', status: 'online' }), presentUntil: new Date(Date.now() + 3_600_000) });
      await seeding.close();
      // As the previous release left her in Redis: the current version, without email, role, lastSeenAt, disabled.
      const prefix = loadConfig(provisioned.env).redis!.keyPrefix;
      const redis = sharedRedis();
      const { id, name, status, activeSessions, maxConcurrentSessions, departments, lastAssignedAt, version } = toCachedOperator(ann);
      const older = { id, name, status, activeSessions, maxConcurrentSessions, departments, lastAssignedAt, version };
      await redis.hset(`${prefix}operators`, String(ann.id), JSON.stringify(older));
      await redis.set(`${prefix}built`, new Date().toISOString());
      redis.disconnect();

      const server = await startTestServer(backend, { provisioned });
      try {
        const admin = await createAdmin(server);
        const available = await fetch(`${server.url}/api/operators/available`, { headers: { authorization: `Bearer ${admin.token}` } }).then((r) => r.json() as Promise<{ data: unknown[] }>);
        expect(available.data).toEqual([await getOperator(server.url, admin.token, ann.id)]);
      } finally {
        await server.close();
      }
    } finally {
      await provisioned.dispose();
    }
  });
});
