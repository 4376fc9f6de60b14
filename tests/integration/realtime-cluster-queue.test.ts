import request from 'supertest';
import { sleep } from '../helpers/wait';
import { bearer, createSession, expectStatus, getOperator } from '../helpers/api';
import { CROSS_MS, deploymentPerTest, describeCluster, operatorOn, startDeployment } from '../helpers/cluster';
import { call, clearEvents, cmid, connectCustomer, connectError, connectOperator, expectNoEvent, nextEvent, waitDisconnected, type FullMessage, type MessageMsg, type QueuedMsg, type SessionMsg, type StatusMsg } from '../helpers/sockets';

/**
 * Two server processes of one deployment (one MariaDB, one Redis, the Socket.IO Redis adapter): a customer
 * on process A and an operator on process B must not notice that they are on different processes.
 *
 * Here: the queue, assignment, status and presence across the two.
 */

describeCluster('realtime across two processes [mariadb+redis]', () => {
  const cluster = deploymentPerTest();

  describe('queue, assignment and status across processes', () => {
    beforeEach(() => startDeployment(cluster));

    it('queue positions are pushed to a customer on A when a session ahead closes on B', async () => {
      const first = await createSession(cluster.b!.url, { customerName: 'First, on B' });
      const firstSocket = await connectCustomer(cluster.b!.url, first.customerToken);
      const second = await createSession(cluster.a!.url, { customerName: 'Second, on A' });
      const secondSocket = await connectCustomer(cluster.a!.url, second.customerToken);
      expect(await nextEvent<QueuedMsg>(secondSocket, 'session:queued')).toEqual({ position: 2, waiting: 2 });
      await sleep(200);
      clearEvents(secondSocket);

      await call(firstSocket, 'session:close', {});
      expect(await nextEvent<QueuedMsg>(secondSocket, 'session:queued', CROSS_MS, (p) => p.position === 1)).toEqual({ position: 1, waiting: 1 });
    });

    it('an operator on B going online: the waiting customer on A gets session:assigned, the operator too', async () => {
      const customer = await createSession(cluster.a!.url, { customerName: 'Waiting on A' });
      const socket = await connectCustomer(cluster.a!.url, customer.customerToken);
      await nextEvent(socket, 'session:queued');
      const op = await operatorOn(cluster, cluster.b!, 'Bea on B');
      await call(op.socket, 'status:set', { status: 'online' });
      const assigned = await nextEvent<SessionMsg & { operator: { id: number; name: string } }>(socket, 'session:assigned', CROSS_MS);
      expect(assigned).toMatchObject({ session: { id: customer.session.id, status: 'active', operatorId: op.id }, operator: { id: op.id, name: 'Bea on B' } });
      expect((await nextEvent<SessionMsg>(op.socket, 'session:assigned', CROSS_MS)).session.id).toBe(customer.session.id);
    });

    it('operator:status set on A reaches operators on B (and A)', async () => {
      const al = await operatorOn(cluster, cluster.a!, 'Al on A');
      const bea = await operatorOn(cluster, cluster.b!, 'Bea on B');
      const beaOnA = await connectOperator(cluster.a!.url, bea.token);
      await call(al.socket, 'status:set', { status: 'busy' });
      for (const socket of [bea.socket, beaOnA, al.socket]) {
        expect(await nextEvent<StatusMsg>(socket, 'operator:status', CROSS_MS, (p) => p.operatorId === al.id)).toEqual({ operatorId: al.id, status: 'busy' });
      }
    });

    it('disabling an operator on A ends their sockets on B; the old token no longer connects anywhere', async () => {
      const bea = await operatorOn(cluster, cluster.b!, 'Bea on B', { status: 'online' });
      const beaOnA = await connectOperator(cluster.a!.url, bea.token);
      const watcher = await operatorOn(cluster, cluster.b!, 'Watcher on B');
      const dropped = Promise.all([waitDisconnected(bea.socket, CROSS_MS), waitDisconnected(beaOnA, CROSS_MS)]);
      expectStatus(await request(cluster.a!.url).patch(`/api/operators/${bea.id}`).set(bearer(cluster.admin.token)).send({ disabled: true }), 200);
      await dropped;
      expect(await nextEvent<StatusMsg>(watcher.socket, 'operator:status', CROSS_MS, (p) => p.operatorId === bea.id)).toEqual({ operatorId: bea.id, status: 'offline' });
      expect(await connectError(cluster.b!.url, '/operator', { token: bea.token })).toBe('UNAUTHENTICATED');
      expect(await connectError(cluster.a!.url, '/operator', { token: bea.token })).toBe('UNAUTHENTICATED');
    });

    it('logout on A ends the operator’s sockets on B; the old token no longer connects on B', async () => {
      const bea = await operatorOn(cluster, cluster.b!, 'Bea on B', { status: 'online' });
      const dropped = waitDisconnected(bea.socket, CROSS_MS);
      expectStatus(await request(cluster.a!.url).post('/api/auth/logout').set(bearer(bea.token)), 200);
      expect(await connectError(cluster.b!.url, '/operator', { token: bea.token })).toBe('UNAUTHENTICATED');
      await dropped;
    });

    it('a password changed on A: the new token works on B at once (B had the old version in memory), the old one nowhere', async () => {
      const bea = await operatorOn(cluster, cluster.b!, 'Bea on B', { status: 'online' });
      // B has just checked Bea's token, so it remembers her token version.
      expectStatus(await request(cluster.b!.url).get('/api/auth/me').set(bearer(bea.token)), 200);
      const dropped = waitDisconnected(bea.socket, CROSS_MS);
      const res = await request(cluster.a!.url).put('/api/auth/password').set(bearer(bea.token)).send({ currentPassword: bea.password, newPassword: 'bea-new-password' });
      expectStatus(res, 200);
      const fresh = res.body.data.token as string;
      expectStatus(await request(cluster.b!.url).get('/api/auth/me').set(bearer(fresh)), 200);
      (await connectOperator(cluster.b!.url, fresh)).disconnect();
      await dropped;
      expect(await connectError(cluster.b!.url, '/operator', { token: bea.token })).toBe('UNAUTHENTICATED');
      expect((await request(cluster.b!.url).get('/api/auth/me').set(bearer(bea.token))).status).toBe(401);
    });

    it('stopping process A leaves the clients of process B connected and chatting', async () => {
      const op = await operatorOn(cluster, cluster.b!, 'Bea on B', { status: 'online' });
      const customer = await createSession(cluster.b!.url);
      const socket = await connectCustomer(cluster.b!.url, customer.customerToken);
      const onA = await connectCustomer(cluster.a!.url, customer.customerToken);
      const aGone = waitDisconnected(onA, CROSS_MS);
      await cluster.a!.close();
      cluster.a = undefined;
      await aGone;
      await sleep(300);
      expect(socket.connected).toBe(true);
      expect(op.socket.connected).toBe(true);
      const message = await call<FullMessage>(socket, 'message:send', { content: 'still here', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new', CROSS_MS, (p) => p.message.id === message.id)).message.content).toBe('still here');
    });
  });

  describe('manual routing across processes', () => {
    beforeEach(() => startDeployment(cluster, { ASSIGNMENT_STRATEGY: 'manual' }));

    it('session:new and queue:updated reach an online operator on the other process', async () => {
      const op = await operatorOn(cluster, cluster.b!, 'Bea on B', { status: 'online' });
      await sleep(200);
      clearEvents(op.socket);
      const customer = await createSession(cluster.a!.url);
      expect((await nextEvent<SessionMsg>(op.socket, 'session:new', CROSS_MS)).session.id).toBe(customer.session.id);
      expect(await nextEvent(op.socket, 'queue:updated', CROSS_MS, (p: { waiting: number }) => p.waiting === 1)).toEqual({ waiting: 1 });
      // And taking it from B tells the customer on A.
      const socket = await connectCustomer(cluster.a!.url, customer.customerToken);
      await call(op.socket, 'session:join', { sessionId: customer.session.id });
      expect((await nextEvent<SessionMsg>(socket, 'session:assigned', CROSS_MS)).session.operatorId).toBe(op.id);
    });
  });

  describe('presence across processes (OPERATOR_PRESENCE_GRACE_SECONDS=1)', () => {
    beforeEach(() => startDeployment(cluster, { OPERATOR_PRESENCE_GRACE_SECONDS: '1' }));

    it("an operator's socket on A drops: after the grace an operator on B gets operator:status offline", async () => {
      const al = await operatorOn(cluster, cluster.a!, 'Al on A', { status: 'online' });
      const bea = await operatorOn(cluster, cluster.b!, 'Bea on B');
      await sleep(200);
      clearEvents(bea.socket);
      const droppedAt = Date.now();
      al.socket.disconnect();
      const heard = await nextEvent<StatusMsg>(bea.socket, 'operator:status', CROSS_MS, (p) => p.operatorId === al.id && p.status === 'offline');
      expect(heard).toEqual({ operatorId: al.id, status: 'offline' });
      expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(900);
      expect((await getOperator(cluster.b!.url, cluster.admin.token, al.id)).status).toBe('offline');
    });

    it('an operator connected to B only stays online while its process renews the lease', async () => {
      const bea = await operatorOn(cluster, cluster.b!, 'Bea on B', { status: 'online' });
      const al = await operatorOn(cluster, cluster.a!, 'Al on A');
      // A's sweeps see a lease renewed by B, so they leave her alone well past the grace.
      await sleep(3_000);
      await expectNoEvent(al.socket, 'operator:status', 0, (p) => (p as StatusMsg).operatorId === bea.id);
      expect((await getOperator(cluster.a!.url, cluster.admin.token, bea.id)).status).toBe('online');
    });
  });
});
