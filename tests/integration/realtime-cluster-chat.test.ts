import { sleep } from '../helpers/wait';
import { createSession, listMessages } from '../helpers/api';
import { CROSS_MS, chatAcross, deploymentPerTest, describeCluster, operatorOn, startDeployment, startProcess } from '../helpers/cluster';
import { call, clearEvents, cmid, connectCustomer, connectOperator, expectNoEvent, nextEvent, type FullMessage, type MessageMsg, type SessionMsg } from '../helpers/sockets';

/**
 * Two server processes of one deployment (one MariaDB, one Redis, the Socket.IO Redis adapter): a customer
 * on process A and an operator on process B must not notice that they are on different processes.
 *
 * Here: a chat split over the two, and a process that joins later.
 */

describeCluster('realtime across two processes [mariadb+redis]', () => {
  const cluster = deploymentPerTest();

  describe('a chat split over two processes', () => {
    beforeEach(() => startDeployment(cluster));

    it('messages both ways, and to two tabs of the customer on different processes', async () => {
      const { op, customer } = await chatAcross(cluster);
      const tabOnB = await connectCustomer(cluster.b!.url, customer.customerToken);
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
      const stored = await listMessages(cluster.a!.url, cluster.admin.token, sessionId, '?limit=200');
      expect(stored.filter((m) => m.clientMessageId === clientMessageId)).toHaveLength(1);
    });

    it('typing and read receipts both ways', async () => {
      const { op, customer } = await chatAcross(cluster);
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
      const stored = (await listMessages(cluster.b!.url, cluster.admin.token, sessionId, '?limit=200')) as FullMessage[];
      expect(stored.find((m) => m.id === fromOp.id)?.readAt).toEqual(expect.any(String));
      expect(stored.find((m) => m.id === fromCustomer.id)?.readAt).toEqual(expect.any(String));
    });

    it('close on B reaches the customer on A; the operator on B sees it too', async () => {
      const { op, customer } = await chatAcross(cluster);
      await call(op.socket, 'session:close', { sessionId: customer.session.id, reason: 'done' });
      expect((await nextEvent<SessionMsg>(customer.socket, 'session:closed', CROSS_MS)).session).toMatchObject({ status: 'closed', closedBy: 'operator' });
      await call(customer.socket, 'session:rate', { rating: 5 });
    });

    it('a burst from A (under the per-socket limit of 30) reaches B whole and in id order, and the closing note before session:closed', async () => {
      const { op, customer } = await chatAcross(cluster);
      const tabOnB = await connectCustomer(cluster.b!.url, customer.customerToken);
      const heard = new Map([op.socket, tabOnB].map((socket) => [socket, [] as string[]]));
      for (const [socket, log] of heard) {
        socket.onAny((name: string, payload: MessageMsg) => log.push(name === 'message:new' ? `message ${payload.message.id}` : name));
      }
      const sent = await Promise.all(Array.from({ length: 25 }, (_, i) => call<FullMessage>(customer.socket, 'message:send', { content: `burst ${i}`, clientMessageId: cmid() })));
      await call(customer.socket, 'session:close', {});
      for (const socket of heard.keys()) await nextEvent(socket, 'session:closed', CROSS_MS);

      const stored = await listMessages(cluster.a!.url, cluster.admin.token, customer.session.id, '?limit=200');
      const closingNote = stored[stored.length - 1];
      expect(closingNote).toMatchObject({ senderType: 'system' });
      const sentIds = sent.map((m) => m.id).sort((x, y) => x - y);
      expect(stored.slice(-26, -1).map((m) => m.id)).toEqual(sentIds);
      for (const log of heard.values()) expect(log).toEqual([...sentIds, closingNote.id].map((id) => `message ${id}`).concat('session:closed'));
    });

    it('malformed notices from another process are dropped; the chat goes on', async () => {
      const { op, customer } = await chatAcross(cluster);
      // As an older or broken process of the deployment might send them.
      const malformed = [
        'x',
        null,
        [null],
        [['s', 'op', {}]],
        [[1, 2, 3]],
        [{}],
        [['message', 7, null, {}]],
        [['message', customer.session.id, null, null]],
        [['emit', 'admin', ['operators'], 'operator:status', []]],
        [['emit', 'operator', [7], 'operator:status', []]],
        [['emit', 'operator', ['operators'], 7, []]],
        [['emit', 'operator', ['operators'], 'operator:status', 'x']],
        // Names Socket.IO keeps for itself (it throws on them) and names outside the contract.
        [['emit', 'operator', ['operators'], 'disconnect', []]],
        [['emit', 'customer', [`session:${customer.session.id}`], 'connect', []]],
        [['emit', 'operator', ['operators'], 'session:join', [{}]]],
        [['positions', 'x', 1]],
        [['positions', [[customer.session.id, 'first']], 1]],
      ];
      for (const garbage of malformed) cluster.a!.server.realtime.customers.serverSideEmit('notices', garbage as never);
      const sent = await call<FullMessage>(customer.socket, 'message:send', { content: 'still here', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new', CROSS_MS, (p) => p.message.id === sent.id)).message).toEqual(sent);
      await expectNoEvent(op.socket, 'message:new', 300, (p) => (p as MessageMsg).message?.id !== sent.id);
    });

    it('a transfer between operators on different processes tells all three', async () => {
      const { op: bea, customer } = await chatAcross(cluster);
      const al = await operatorOn(cluster, cluster.a!, 'Al on A', { status: 'online' });
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
      await startDeployment(cluster, {}, 1);
      const a = cluster.a!;
      const ann = await operatorOn(cluster, a, 'Ann on A', { status: 'online' });
      const customer = await createSession(a.url, { customerName: 'Carl on A' });
      const socket = await connectCustomer(a.url, customer.customerToken);
      await call(socket, 'message:send', { content: 'while A is alone', clientMessageId: cmid() });
      await sleep(300);

      const b = (cluster.b = await startProcess(cluster));
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
});
