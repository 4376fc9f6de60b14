import { describeEachBackend } from '../helpers/backends';
import { sleep } from '../helpers/wait';
import { createSession, type MessageBody, type SessionBody } from '../helpers/api';
import { call, clearEvents, cmid, connectCustomer, connectError, connectedCustomer, connectedOperator, expectNoEvent, nextEvent, type MessageMsg, type QueuedMsg, type SessionMsg } from '../helpers/sockets';
import { adminView, liveChat, serverPerTest } from '../helpers/scenarios';

/**
 * The /customer namespace as the chat widget uses it: one client acts, another (the operator console, a
 * second tab) observes. A refusal is checked three ways: the ack's code, the observers' silence, and the
 * database unchanged.
 *
 * Here: the handshake, and the queue as a waiting customer hears it.
 */

describeEachBackend('realtime /customer', (backend) => {
  const stage = serverPerTest(backend);
  const { sessionOf } = adminView(stage);
  /** One online operator and a customer whose new chat went straight to them; both sides settled and quiet. */
  const chatting = () => liveChat(stage.url, stage.admin.token, { operator: { name: 'Olga Operator', maxConcurrentSessions: 5 }, customer: { customerName: 'Carla' } });

  describe('handshake', () => {
    it('the root namespace takes nobody, not even with a good token (NOT_FOUND)', async () => {
      const customer = await createSession(stage.url);
      expect(await connectError(stage.url, '/', { token: customer.customerToken })).toBe('NOT_FOUND');
      expect(await connectError(stage.url, '/', undefined)).toBe('NOT_FOUND');
    });

    it('without a token, or with a bad one, fails with connect_error UNAUTHENTICATED (websocket and polling)', async () => {
      const customer = await createSession(stage.url);
      const [, secret] = customer.customerToken.split('.');
      const tampered = customer.customerToken.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
      const bad: Array<Record<string, unknown> | undefined> = [
        undefined,
        {},
        { token: '' },
        { token: 'not-a-token' },
        { token: 42 },
        { token: ['x'] },
        { token: 'a.b.c' },
        { token: tampered },
        { token: `${'0'.repeat(8)}-0000-4000-8000-000000000000.${secret ?? 'x'}` },
        { token: 'x'.repeat(5_000) },
      ];
      for (const auth of bad) {
        expect(await connectError(stage.url, '/customer', auth)).toBe('UNAUTHENTICATED');
      }
      expect(await connectError(stage.url, '/customer', { token: 'not-a-token' }, { transports: ['polling'] })).toBe('UNAUTHENTICATED');
      // The good token still works: the refusals were about the tokens.
      const socket = await connectCustomer(stage.url, customer.customerToken);
      expect(socket.connected).toBe(true);
    });

    it("an operator's token does not open /customer", async () => {
      const op = await connectedOperator(stage.url, stage.admin.token);
      expect(await connectError(stage.url, '/customer', { token: op.token })).toBe('UNAUTHENTICATED');
      expect(await connectError(stage.url, '/customer', { token: stage.admin.token })).toBe('UNAUTHENTICATED');
    });

    it('long polling works end to end: connect, hear the operator, send', async () => {
      const op = await connectedOperator(stage.url, stage.admin.token, { status: 'online' });
      const customer = await createSession(stage.url);
      const socket = await connectCustomer(stage.url, customer.customerToken, { transports: ['polling'] });
      expect(socket.io.engine.transport.name).toBe('polling');
      const sent = await call<MessageBody>(op.socket, 'message:send', { sessionId: customer.session.id, content: 'hello via polling', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(socket, 'message:new', undefined, (p) => p.message.id === sent.id)).message.content).toBe('hello via polling');
      const mine = await call<MessageBody>(socket, 'message:send', { content: 'polling back', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new', undefined, (p) => p.message.id === mine.id)).message.senderType).toBe('customer');
    });
  });

  describe('the queue', () => {
    it('session:queued on connect while waiting, and again whenever the position changes', async () => {
      const first = await connectedCustomer(stage.url, { customerName: 'First' });
      expect(await nextEvent<QueuedMsg>(first.socket, 'session:queued')).toEqual({ position: 1, waiting: 1 });
      const second = await connectedCustomer(stage.url, { customerName: 'Second' });
      expect(await nextEvent<QueuedMsg>(second.socket, 'session:queued')).toEqual({ position: 2, waiting: 2 });
      const third = await connectedCustomer(stage.url, { customerName: 'Third' });
      expect(await nextEvent<QueuedMsg>(third.socket, 'session:queued')).toEqual({ position: 3, waiting: 3 });

      // The first leaves the queue: everyone behind moves up one place.
      clearEvents(second.socket, third.socket);
      const closed = await call<SessionBody>(first.socket, 'session:close', { reason: 'changed my mind' });
      expect(closed).toMatchObject({ id: first.session.id, status: 'closed', closedBy: 'customer' });
      expect(await nextEvent<QueuedMsg>(second.socket, 'session:queued', undefined, (p) => p.position === 1)).toEqual({ position: 1, waiting: 2 });
      expect(await nextEvent<QueuedMsg>(third.socket, 'session:queued', undefined, (p) => p.position === 2)).toEqual({ position: 2, waiting: 2 });

      // An operator comes online and takes the head of the queue: the one behind is now first.
      clearEvents(second.socket, third.socket);
      const op = await connectedOperator(stage.url, stage.admin.token, { name: 'Olga', status: 'online', maxConcurrentSessions: 1 });
      expect((await nextEvent<SessionMsg>(second.socket, 'session:assigned')).session).toMatchObject({ status: 'active', operatorId: op.id });
      expect(await nextEvent<QueuedMsg>(third.socket, 'session:queued', undefined, (p) => p.position === 1)).toEqual({ position: 1, waiting: 1 });
      expect((await sessionOf(third.session.id)).queuePosition).toBe(1);
      // The assigned customer is out of the queue: no more positions for them (after any push already on its way).
      await sleep(200);
      clearEvents(second.socket);
      const fourth = await connectedCustomer(stage.url, { customerName: 'Fourth' });
      expect(await nextEvent<QueuedMsg>(fourth.socket, 'session:queued')).toEqual({ position: 2, waiting: 2 });
      await nextEvent<QueuedMsg>(third.socket, 'session:queued', undefined, (p) => p.position === 1 && p.waiting === 2);
      await expectNoEvent(second.socket, 'session:queued');
    });

    it('an active session gets no session:queued on connect', async () => {
      const { customer } = await chatting();
      const tab = await connectCustomer(stage.url, customer.customerToken);
      await expectNoEvent(tab, 'session:queued');
      await expectNoEvent(customer.socket, 'session:queued');
    });

    it('session:assigned reaches the customer and the operator when an operator goes online', async () => {
      const customer = await connectedCustomer(stage.url, { customerName: 'Waiting Wendy' });
      await nextEvent<QueuedMsg>(customer.socket, 'session:queued');
      const op = await connectedOperator(stage.url, stage.admin.token, { name: 'Late Larry' });
      await expectNoEvent(customer.socket, 'session:assigned', 200);

      const me = await call<{ id: number; status: string }>(op.socket, 'status:set', { status: 'online' });
      expect(me).toMatchObject({ id: op.id, status: 'online' });
      const toCustomer = await nextEvent<SessionMsg & { operator: { id: number; name: string } }>(customer.socket, 'session:assigned');
      expect(toCustomer.session).toMatchObject({ id: customer.session.id, status: 'active', operatorId: op.id });
      expect(toCustomer.operator).toEqual({ id: op.id, name: 'Late Larry' });
      const toOperator = await nextEvent<SessionMsg>(op.socket, 'session:assigned');
      expect(toOperator.session).toMatchObject({ id: customer.session.id, status: 'active', operatorId: op.id, operator: { id: op.id, name: 'Late Larry' } });
      expect(Object.keys(toOperator)).toEqual(['session']);
      // Both hear the system line, and the session is theirs in the database.
      const joined = await nextEvent<MessageMsg>(customer.socket, 'message:new');
      expect(joined.message).toMatchObject({ senderType: 'system', sessionId: customer.session.id });
      expect((await sessionOf(customer.session.id)).operatorId).toBe(op.id);
    });
  });
});
