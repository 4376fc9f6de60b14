import { loadConfig } from '../../config';
import { toCachedOperator } from '../../services/cache/snapshot';
import { createAdmin, getOperator } from '../helpers/api';
import { deleteRedisKeys, describeEachBackend, describeRealBackend, type ProvisionedBackend } from '../helpers/backends';
import { ids, inRedis, sharedRedis } from '../helpers/cache';
import { openTestDatabase, operatorRow, provisionShared, sessionRow } from '../helpers/database';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { waitFor } from '../helpers/wait';

/** The state cache is built from the database, the truth: at start, after a rebuild, after a wipe, across an upgrade. */

describeEachBackend('state cache', (backend) => {
  describe('built from the database, the truth', () => {
    let provisioned: ProvisionedBackend;
    let server: TestServer;
    let seeded: { grace: number; linus: number; disabled: number; sessionId: string };

    // Each test gets the deployment as it starts: rows written before it, and a server just started over them.
    beforeEach(async () => {
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
    afterEach(async () => {
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

    it('after its keys are wiped (FLUSHDB), ensureBuilt() rebuilds it from the database, even if a write came first', async () => {
      const cache = server.server.cache;
      const before = ids(await cache.getOperators());
      expect(before.length).toBeGreaterThanOrEqual(2);
      const linusCopy = await cache.getOperator(seeded.linus);
      await deleteRedisKeys(server.config.redis!.keyPrefix);
      // A write-through landing in the empty Redis must not make it look built.
      await cache.putOperator(linusCopy!);
      expect(await inRedis(server)).toEqual({ operators: [seeded.linus], built: false });

      await cache.ensureBuilt();
      expect(await inRedis(server)).toEqual({ operators: before, built: true });
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
      const before = (await inRedis(server)).operators;
      expect(before.length).toBeGreaterThanOrEqual(2);
      await deleteRedisKeys(server.config.redis!.keyPrefix);
      const started = Date.now();
      // Watched from outside (raw Redis), so that nothing but the server's own check can trigger the rebuild.
      await waitFor(async () => (await inRedis(server)).built, 8_000, 'the periodic rebuild', 100);
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(await inRedis(server)).toEqual({ operators: before, built: true });
    });
  });
});

describeRealBackend('state cache across an upgrade', (backend) => {
  it('operators the previous release cached in their older shape are never served: GET /available shows whole operators', async () => {
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
