import { describeRealBackend } from '../helpers/backends';
import { cachedOperator, ids, probe } from '../helpers/cache';
import { operatorRow } from '../helpers/database';
import { PrivateRedis } from '../../scripts/bench/privateRedis';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { sleep, waitFor, within } from '../helpers/wait';

/** The state cache when its Redis fails: killed, restarted empty, frozen, or down when the server starts. */

describeRealBackend('state cache', (backend) => {
  describe('when Redis fails', () => {
    let redis: PrivateRedis;
    let server: TestServer;
    let operatorIds: number[];

    // A Redis of its own, running, and a server over it, for each test: each kills, restarts or freezes it.
    beforeEach(async () => {
      redis = await PrivateRedis.start();
      server = await startTestServer(backend, { env: { REDIS_URL: redis.url } });
      const { Operator } = server.server.db.models;
      const a = await Operator.create(operatorRow({ name: 'Anna' }));
      const b = await Operator.create(operatorRow({ name: 'Bo' }));
      operatorIds = [a.id, b.id].sort((x, y) => x - y);
      await server.server.cache.rebuild();
    });
    afterEach(async () => {
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
      // Killed first, and a write dropped while it was down.
      await redis.crash();
      await waitFor(async () => (await probe(`${server.url}/ready`)).status === 503, 2_000, '/ready turning 503');
      await expect(server.server.cache.putOperator(cachedOperator({ id: operatorIds[0], version: 100 }))).resolves.toBeUndefined();

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

    // Each test starts the server while its Redis is down.
    beforeEach(async () => {
      redis = await PrivateRedis.reserve();
      server = await startTestServer(backend, {
        env: { REDIS_URL: redis.url, ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'admin-password-1' },
      });
    });
    afterEach(async () => {
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
