import { loadConfig } from '../../config';
import { createRedis } from '../../config/redis';
import { RedisStore } from '../../services/cache/RedisStore';
import { toCachedOperator } from '../../services/cache/snapshot';
import { deleteRedisKeys, describeRealBackend, type ProvisionedBackend } from '../helpers/backends';
import { cachedOperator } from '../helpers/cache';
import { openTestDatabase, operatorRow } from '../helpers/database';

/** RedisStore, the cache's Redis side: versions never go back, a rebuild replaces the whole picture. */

describeRealBackend('state cache', (backend) => {
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
});
