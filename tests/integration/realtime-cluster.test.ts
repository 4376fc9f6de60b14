import request from 'supertest';
import { availableBackends, type ProvisionedBackend } from '../helpers/backends';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { sleep } from '../helpers/wait';
import { bearer, createAdmin, createOperator, createSession, expectStatus, getOperator, listMessages, type OperatorBody, type Staff } from '../helpers/api';
import {
  call,
  clearEvents,
  closeAllSockets,
  cmid,
  connectCustomer,
  connectError,
  connectOperator,
  expectNoEvent,
  nextEvent,
  waitDisconnected,
  type FullMessage,
  type MessageMsg,
  type QueuedMsg,
  type SessionMsg,
} from '../helpers/sockets';

/**
 * Two server processes of one deployment (one MariaDB, one Redis, the Socket.IO Redis adapter): a customer
 * on process A and an operator on process B must not notice that they are on different processes.
 */

const backend = availableBackends().find((b) => b.name === 'mariadb+redis');
const describeCluster = backend ? describe : describe.skip;

/** Cross-process events go through Redis pub/sub: a loaded machine gets some slack. */
const CROSS_MS = 4_000;

type StatusMsg = { operatorId: number; status: OperatorBody['status'] };

describeCluster('realtime across two processes [mariadb+redis]', () => {
  let provisioned: ProvisionedBackend | undefined;
  let a: TestServer | undefined;
  let b: TestServer | undefined;
  let admin: Staff;

  async function boot(env: Record<string, string> = {}): Promise<void> {
    provisioned = await backend!.provision();
    const options = { provisioned, env: { OPERATOR_PRESENCE_GRACE_SECONDS: '3600', ...env } };
    a = await startTestServer(backend!, options);
    b = await startTestServer(backend!, options);
    admin = await createAdmin(a);
  }

  afterEach(async () => {
    closeAllSockets();
    await a?.close();
    await b?.close();
    await provisioned?.dispose();
    a = b = provisioned = undefined;
  });

  /** An operator (created on A) with a socket on `server`, online. */
  async function operatorOn(server: TestServer, name: string, extra: { status?: OperatorBody['status']; maxConcurrentSessions?: number } = {}) {
    const staff = await createOperator(a!.url, admin.token, { name, maxConcurrentSessions: extra.maxConcurrentSessions ?? 5 });
    const socket = await connectOperator(server.url, staff.token);
    if (extra.status) await call(socket, 'status:set', { status: extra.status });
    return { ...staff, socket };
  }

  /** Customer on A, operator on B, chatting (assigned, both sides settled). */
  async function chatAcross() {
    const op = await operatorOn(b!, 'Bea on B', { status: 'online' });
    const customer = await createSession(a!.url, { customerName: 'Carl on A' });
    expect(customer.session).toMatchObject({ status: 'active', operatorId: op.id });
    const socket = await connectCustomer(a!.url, customer.customerToken);
    await nextEvent<SessionMsg>(op.socket, 'session:assigned', CROSS_MS, (p) => p.session.id === customer.session.id);
    await nextEvent<MessageMsg>(op.socket, 'message:new', CROSS_MS, (p) => p.message.sessionId === customer.session.id);
    await sleep(200);
    clearEvents(op.socket, socket);
    return { op, customer: { ...customer, socket } };
  }

  describe('a chat split over two processes', () => {
    beforeEach(() => boot());

    it('messages both ways, and to two tabs of the customer on different processes', async () => {
      const { op, customer } = await chatAcross();
      const tabOnB = await connectCustomer(b!.url, customer.customerToken);
      const sessionId = customer.session.id;

      const fromCustomer = await call<FullMessage>(customer.socket, 'message:send', { content: 'hello from A', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new', CROSS_MS)).message).toEqual(fromCustomer);
      expect((await nextEvent<MessageMsg>(tabOnB, 'message:new', CROSS_MS)).message).toEqual(fromCustomer);
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new', CROSS_MS)).message).toEqual(fromCustomer);

      const fromOp = await call<FullMessage>(op.socket, 'message:send', { sessionId, content: 'hello from B', clientMessageId: cmid() });
      for (const socket of [customer.socket, tabOnB, op.socket]) expect((await nextEvent<MessageMsg>(socket, 'message:new', CROSS_MS)).message).toEqual(fromOp);

      // The same clientMessageId from both tabs at once (a retry racing itself over two processes): one message.
      const clientMessageId = cmid();
      const [x, y] = await Promise.all([
        call<FullMessage>(customer.socket, 'message:send', { content: 'twice?', clientMessageId }),
        call<FullMessage>(tabOnB, 'message:send', { content: 'twice?', clientMessageId }),
      ]);
      expect(x.id).toBe(y.id);
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new', CROSS_MS)).message.id).toBe(x.id);
      await expectNoEvent(op.socket, 'message:new', 800);
      const stored = await listMessages(a!.url, admin.token, sessionId, '?limit=200');
      expect(stored.filter((m) => m.clientMessageId === clientMessageId)).toHaveLength(1);
    });

    it('typing and read receipts both ways', async () => {
      const { op, customer } = await chatAcross();
      const sessionId = customer.session.id;
      await call(customer.socket, 'typing', { isTyping: true });
      expect(await nextEvent(op.socket, 'typing', CROSS_MS)).toEqual({ sessionId, senderType: 'customer', isTyping: true });
      await call(op.socket, 'typing', { sessionId, isTyping: true });
      expect(await nextEvent(customer.socket, 'typing', CROSS_MS)).toEqual({ senderType: 'operator', isTyping: true });

      const fromOp = await call<FullMessage>(op.socket, 'message:send', { sessionId, content: 'read me', clientMessageId: cmid() });
      const fromCustomer = await call<FullMessage>(customer.socket, 'message:send', { content: 'read me too', clientMessageId: cmid() });
      await call(customer.socket, 'messages:read', { upToId: fromOp.id });
      expect(await nextEvent(op.socket, 'messages:read', CROSS_MS)).toEqual({ sessionId, upToId: fromOp.id, by: 'customer' });
      await call(op.socket, 'messages:read', { sessionId, upToId: fromCustomer.id });
      expect(await nextEvent(customer.socket, 'messages:read', CROSS_MS)).toEqual({ upToId: fromCustomer.id, by: 'operator' });
      const stored = (await listMessages(b!.url, admin.token, sessionId, '?limit=200')) as FullMessage[];
      expect(stored.find((m) => m.id === fromOp.id)?.readAt).toEqual(expect.any(String));
      expect(stored.find((m) => m.id === fromCustomer.id)?.readAt).toEqual(expect.any(String));
    });

    it('close on B reaches the customer on A; the operator on B sees it too', async () => {
      const { op, customer } = await chatAcross();
      await call(op.socket, 'session:close', { sessionId: customer.session.id, reason: 'done' });
      expect((await nextEvent<SessionMsg>(customer.socket, 'session:closed', CROSS_MS)).session).toMatchObject({ status: 'closed', closedBy: 'operator' });
      await call(customer.socket, 'session:rate', { rating: 5 });
    });

    it('a burst from A (under the per-socket limit of 30) reaches B whole and in id order, and the closing note before session:closed', async () => {
      const { op, customer } = await chatAcross();
      const tabOnB = await connectCustomer(b!.url, customer.customerToken);
      const heard = new Map([op.socket, tabOnB].map((socket) => [socket, [] as string[]]));
      for (const [socket, log] of heard) {
        socket.onAny((name: string, payload: MessageMsg) => log.push(name === 'message:new' ? `message ${payload.message.id}` : name));
      }
      const sent = await Promise.all(Array.from({ length: 25 }, (_, i) => call<FullMessage>(customer.socket, 'message:send', { content: `burst ${i}`, clientMessageId: cmid() })));
      await call(customer.socket, 'session:close', {});
      for (const socket of heard.keys()) await nextEvent(socket, 'session:closed', CROSS_MS);

      const stored = await listMessages(a!.url, admin.token, customer.session.id, '?limit=200');
      const closingNote = stored[stored.length - 1];
      expect(closingNote).toMatchObject({ senderType: 'system' });
      const sentIds = sent.map((m) => m.id).sort((x, y) => x - y);
      expect(stored.slice(-26, -1).map((m) => m.id)).toEqual(sentIds);
      for (const log of heard.values()) expect(log).toEqual([...sentIds, closingNote.id].map((id) => `message ${id}`).concat('session:closed'));
    });

    it('malformed message notices from another process are dropped; the chat goes on', async () => {
      const { op, customer } = await chatAcross();
      // As an older or broken process of the deployment might send them.
      for (const garbage of ['x', null, [null], [['s', 'op', {}]], [[1, 2, 3]], [{}]]) a!.server.realtime.customers.serverSideEmit('messages:stored', garbage as never);
      const sent = await call<FullMessage>(customer.socket, 'message:send', { content: 'still here', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new', CROSS_MS, (p) => p.message.id === sent.id)).message).toEqual(sent);
      await expectNoEvent(op.socket, 'message:new', 300, (p) => (p as MessageMsg).message?.id !== sent.id);
    });

    it('a transfer between operators on different processes tells all three', async () => {
      const { op: bea, customer } = await chatAcross();
      const al = await operatorOn(a!, 'Al on A', { status: 'online' });
      await sleep(200);
      clearEvents(bea.socket, al.socket, customer.socket);
      await call(bea.socket, 'session:transfer', { sessionId: customer.session.id, operatorId: al.id });
      expect((await nextEvent<SessionMsg>(bea.socket, 'session:unassigned', CROSS_MS)).session.operatorId).toBe(al.id);
      expect((await nextEvent<SessionMsg>(al.socket, 'session:assigned', CROSS_MS)).session.id).toBe(customer.session.id);
      expect(await nextEvent(customer.socket, 'session:transferred', CROSS_MS)).toMatchObject({ operator: { id: al.id, name: 'Al on A' } });
      const reply = await call<FullMessage>(al.socket, 'message:send', { sessionId: customer.session.id, content: 'Al here', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new', CROSS_MS, (p) => p.message.id === reply.id)).message.content).toBe('Al here');
    });
  });

  describe('a process that joins later', () => {
    it('hears of the messages stored on a process that was alone until then', async () => {
      provisioned = await backend!.provision();
      const options = { provisioned, env: { OPERATOR_PRESENCE_GRACE_SECONDS: '3600' } };
      a = await startTestServer(backend!, options);
      admin = await createAdmin(a);
      const ann = await operatorOn(a, 'Ann on A', { status: 'online' });
      const customer = await createSession(a.url, { customerName: 'Carl on A' });
      const socket = await connectCustomer(a.url, customer.customerToken);
      await call(socket, 'message:send', { content: 'while A is alone', clientMessageId: cmid() });
      await sleep(300);

      b = await startTestServer(backend!, options);
      const tabOnB = await connectCustomer(b.url, customer.customerToken);
      const annOnB = await connectOperator(b.url, ann.token);
      const sent = await call<FullMessage>(socket, 'message:send', { content: 'now there are two', clientMessageId: cmid() });
      for (const observer of [tabOnB, annOnB]) {
        expect((await nextEvent<MessageMsg>(observer, 'message:new', CROSS_MS, (p) => p.message.id === sent.id)).message).toEqual(sent);
      }
      const reply = await call<FullMessage>(annOnB, 'message:send', { sessionId: customer.session.id, content: 'from B', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(socket, 'message:new', CROSS_MS, (p) => p.message.id === reply.id)).message).toEqual(reply);
    });
  });

  describe('queue, assignment and status across processes', () => {
    beforeEach(() => boot());

    it('queue positions are pushed to a customer on A when a session ahead closes on B', async () => {
      const first = await createSession(b!.url, { customerName: 'First, on B' });
      const firstSocket = await connectCustomer(b!.url, first.customerToken);
      const second = await createSession(a!.url, { customerName: 'Second, on A' });
      const secondSocket = await connectCustomer(a!.url, second.customerToken);
      expect(await nextEvent<QueuedMsg>(secondSocket, 'session:queued')).toEqual({ position: 2, waiting: 2 });
      await sleep(200);
      clearEvents(secondSocket);

      await call(firstSocket, 'session:close', {});
      expect(await nextEvent<QueuedMsg>(secondSocket, 'session:queued', CROSS_MS, (p) => p.position === 1)).toEqual({ position: 1, waiting: 1 });
    });

    it('an operator on B going online: the waiting customer on A gets session:assigned, the operator too', async () => {
      const customer = await createSession(a!.url, { customerName: 'Waiting on A' });
      const socket = await connectCustomer(a!.url, customer.customerToken);
      await nextEvent(socket, 'session:queued');
      const op = await operatorOn(b!, 'Bea on B');
      await call(op.socket, 'status:set', { status: 'online' });
      const assigned = await nextEvent<SessionMsg & { operator: { id: number; name: string } }>(socket, 'session:assigned', CROSS_MS);
      expect(assigned).toMatchObject({ session: { id: customer.session.id, status: 'active', operatorId: op.id }, operator: { id: op.id, name: 'Bea on B' } });
      expect((await nextEvent<SessionMsg>(op.socket, 'session:assigned', CROSS_MS)).session.id).toBe(customer.session.id);
    });

    it('operator:status set on A reaches operators on B (and A)', async () => {
      const al = await operatorOn(a!, 'Al on A');
      const bea = await operatorOn(b!, 'Bea on B');
      const beaOnA = await connectOperator(a!.url, bea.token);
      await call(al.socket, 'status:set', { status: 'busy' });
      for (const socket of [bea.socket, beaOnA, al.socket]) {
        expect(await nextEvent<StatusMsg>(socket, 'operator:status', CROSS_MS, (p) => p.operatorId === al.id)).toEqual({ operatorId: al.id, status: 'busy' });
      }
    });

    it('disabling an operator on A ends their sockets on B; the old token no longer connects anywhere', async () => {
      const bea = await operatorOn(b!, 'Bea on B', { status: 'online' });
      const beaOnA = await connectOperator(a!.url, bea.token);
      const watcher = await operatorOn(b!, 'Watcher on B');
      const dropped = Promise.all([waitDisconnected(bea.socket, CROSS_MS), waitDisconnected(beaOnA, CROSS_MS)]);
      expectStatus(await request(a!.url).patch(`/api/operators/${bea.id}`).set(bearer(admin.token)).send({ disabled: true }), 200);
      await dropped;
      expect(await nextEvent<StatusMsg>(watcher.socket, 'operator:status', CROSS_MS, (p) => p.operatorId === bea.id)).toEqual({ operatorId: bea.id, status: 'offline' });
      expect(await connectError(b!.url, '/operator', { token: bea.token })).toBe('UNAUTHENTICATED');
      expect(await connectError(a!.url, '/operator', { token: bea.token })).toBe('UNAUTHENTICATED');
    });

    it('logout on A ends the operator’s sockets on B; the old token no longer connects on B', async () => {
      const bea = await operatorOn(b!, 'Bea on B', { status: 'online' });
      const dropped = waitDisconnected(bea.socket, CROSS_MS);
      expectStatus(await request(a!.url).post('/api/auth/logout').set(bearer(bea.token)), 200);
      expect(await connectError(b!.url, '/operator', { token: bea.token })).toBe('UNAUTHENTICATED');
      await dropped;
    });

    it('stopping process A leaves the clients of process B connected and chatting', async () => {
      const op = await operatorOn(b!, 'Bea on B', { status: 'online' });
      const customer = await createSession(b!.url);
      const socket = await connectCustomer(b!.url, customer.customerToken);
      const onA = await connectCustomer(a!.url, customer.customerToken);
      const aGone = waitDisconnected(onA, CROSS_MS);
      await a!.close();
      a = undefined;
      await aGone;
      await sleep(300);
      expect(socket.connected).toBe(true);
      expect(op.socket.connected).toBe(true);
      const message = await call<FullMessage>(socket, 'message:send', { content: 'still here', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new', CROSS_MS, (p) => p.message.id === message.id)).message.content).toBe('still here');
    });
  });

  describe('manual routing across processes', () => {
    beforeEach(() => boot({ ASSIGNMENT_STRATEGY: 'manual' }));

    it('session:new and queue:updated reach an online operator on the other process', async () => {
      const op = await operatorOn(b!, 'Bea on B', { status: 'online' });
      await sleep(200);
      clearEvents(op.socket);
      const customer = await createSession(a!.url);
      expect((await nextEvent<SessionMsg>(op.socket, 'session:new', CROSS_MS)).session.id).toBe(customer.session.id);
      expect(await nextEvent(op.socket, 'queue:updated', CROSS_MS, (p: { waiting: number }) => p.waiting === 1)).toEqual({ waiting: 1 });
      // And taking it from B tells the customer on A.
      const socket = await connectCustomer(a!.url, customer.customerToken);
      await call(op.socket, 'session:join', { sessionId: customer.session.id });
      expect((await nextEvent<SessionMsg>(socket, 'session:assigned', CROSS_MS)).session.operatorId).toBe(op.id);
    });
  });

  describe('presence across processes (OPERATOR_PRESENCE_GRACE_SECONDS=1)', () => {
    beforeEach(() => boot({ OPERATOR_PRESENCE_GRACE_SECONDS: '1' }));

    it("an operator's socket on A drops: after the grace an operator on B gets operator:status offline", async () => {
      const al = await operatorOn(a!, 'Al on A', { status: 'online' });
      const bea = await operatorOn(b!, 'Bea on B');
      await sleep(200);
      clearEvents(bea.socket);
      const droppedAt = Date.now();
      al.socket.disconnect();
      const heard = await nextEvent<StatusMsg>(bea.socket, 'operator:status', CROSS_MS, (p) => p.operatorId === al.id && p.status === 'offline');
      expect(heard).toEqual({ operatorId: al.id, status: 'offline' });
      expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(900);
      expect((await getOperator(b!.url, admin.token, al.id)).status).toBe('offline');
    });

    it('an operator connected to B only stays online while its process renews the lease', async () => {
      const bea = await operatorOn(b!, 'Bea on B', { status: 'online' });
      const al = await operatorOn(a!, 'Al on A');
      // A's sweeps see a lease renewed by B, so they leave her alone well past the grace.
      await sleep(3_000);
      await expectNoEvent(al.socket, 'operator:status', 0, (p) => (p as StatusMsg).operatorId === bea.id);
      expect((await getOperator(a!.url, admin.token, bea.id)).status).toBe('online');
    });
  });
});
