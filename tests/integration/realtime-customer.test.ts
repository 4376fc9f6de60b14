import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import type { TestServer } from '../helpers/testServer';
import { sleep } from '../helpers/wait';
import { createSession, expectStatus, getSession, listMessages, type MessageBody, type SessionBody, type Staff } from '../helpers/api';
import {
  call,
  clearEvents,
  cmid,
  connectCustomer,
  connectError,
  connectedCustomer,
  connectedOperator,
  emitArgs,
  emitWithAck,
  eventsOf,
  expectAckError,
  expectNoEvent,
  nextEvent,
  realtimeServerPerTest,
  refused,
  CUSTOMER_EVENTS,
  GARBAGE,
  type FullMessage,
  type FullSession,
  type MessageMsg,
  type QueuedMsg,
  type SessionMsg,
  waitDisconnected,
  type ConnectedCustomer,
  type ConnectedOperator,
} from '../helpers/sockets';

/**
 * The /customer namespace as the chat widget uses it: one client acts, another (the operator console, a
 * second tab) observes. A refusal is checked three ways: the ack's code, the observers' silence, and the
 * database unchanged.
 */

/** Garbage that is nonetheless a valid request for this event (nothing to refuse). */
const validAnyway = (event: string, label: string): boolean => event === 'session:close' && label === 'null';

describeEachBackend('realtime /customer', (backend) => {
  let server: TestServer;
  let url: string;
  let admin: Staff;
  const boot = realtimeServerPerTest(backend, (booted) => ({ server, url, admin } = booted));

  /** One online operator and a customer whose new chat went straight to them; both sides settled and quiet. */
  async function chatting(): Promise<{ op: ConnectedOperator; customer: ConnectedCustomer }> {
    const op = await connectedOperator(url, admin.token, { name: 'Olga Operator', status: 'online', maxConcurrentSessions: 5 });
    const customer = await connectedCustomer(url, { customerName: 'Carla' });
    expect(customer.session).toMatchObject({ status: 'active', operatorId: op.id });
    const sessionId = customer.session.id;
    await nextEvent<SessionMsg>(op.socket, 'session:assigned', undefined, (p) => p.session.id === sessionId);
    await nextEvent<MessageMsg>(op.socket, 'message:new', undefined, (p) => p.message.sessionId === sessionId && p.message.senderType === 'system');
    await sleep(150); // the folded queue push after the assignment
    clearEvents(op.socket, customer.socket);
    return { op, customer };
  }

  const messagesOf = async (sessionId: string): Promise<FullMessage[]> => (await listMessages(url, admin.token, sessionId, '?limit=200')) as FullMessage[];
  const sessionOf = async (sessionId: string): Promise<FullSession> => (await getSession(url, admin.token, sessionId)) as FullSession;

  async function expectHealthy(customer: ConnectedCustomer, op: ConnectedOperator): Promise<void> {
    expectStatus(await request(url).get('/health'), 200);
    const message = await call<MessageBody>(customer.socket, 'message:send', { content: 'still here?', clientMessageId: cmid() });
    const heard = await nextEvent<MessageMsg>(op.socket, 'message:new', undefined, (p) => p.message.id === message.id);
    expect(heard.message.content).toBe('still here?');
  }

  describe('handshake', () => {
    beforeEach(() => boot());

    it('the root namespace takes nobody, not even with a good token (NOT_FOUND)', async () => {
      const customer = await createSession(url);
      expect(await connectError(url, '/', { token: customer.customerToken })).toBe('NOT_FOUND');
      expect(await connectError(url, '/', undefined)).toBe('NOT_FOUND');
    });

    it('without a token, or with a bad one, fails with connect_error UNAUTHENTICATED (websocket and polling)', async () => {
      const customer = await createSession(url);
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
        expect(await connectError(url, '/customer', auth)).toBe('UNAUTHENTICATED');
      }
      expect(await connectError(url, '/customer', { token: 'not-a-token' }, { transports: ['polling'] })).toBe('UNAUTHENTICATED');
      // The good token still works: the refusals were about the tokens.
      const socket = await connectCustomer(url, customer.customerToken);
      expect(socket.connected).toBe(true);
    });

    it("an operator's token does not open /customer", async () => {
      const op = await connectedOperator(url, admin.token);
      expect(await connectError(url, '/customer', { token: op.token })).toBe('UNAUTHENTICATED');
      expect(await connectError(url, '/customer', { token: admin.token })).toBe('UNAUTHENTICATED');
    });

    it('long polling works end to end: connect, hear the operator, send', async () => {
      const op = await connectedOperator(url, admin.token, { status: 'online' });
      const customer = await createSession(url);
      const socket = await connectCustomer(url, customer.customerToken, { transports: ['polling'] });
      expect(socket.io.engine.transport.name).toBe('polling');
      const sent = await call<MessageBody>(op.socket, 'message:send', { sessionId: customer.session.id, content: 'hello via polling', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(socket, 'message:new', undefined, (p) => p.message.id === sent.id)).message.content).toBe('hello via polling');
      const mine = await call<MessageBody>(socket, 'message:send', { content: 'polling back', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new', undefined, (p) => p.message.id === mine.id)).message.senderType).toBe('customer');
    });
  });

  describe('the queue', () => {
    beforeEach(() => boot());

    it('session:queued on connect while waiting, and again whenever the position changes', async () => {
      const first = await connectedCustomer(url, { customerName: 'First' });
      expect(await nextEvent<QueuedMsg>(first.socket, 'session:queued')).toEqual({ position: 1, waiting: 1 });
      const second = await connectedCustomer(url, { customerName: 'Second' });
      expect(await nextEvent<QueuedMsg>(second.socket, 'session:queued')).toEqual({ position: 2, waiting: 2 });
      const third = await connectedCustomer(url, { customerName: 'Third' });
      expect(await nextEvent<QueuedMsg>(third.socket, 'session:queued')).toEqual({ position: 3, waiting: 3 });

      // The first leaves the queue: everyone behind moves up one place.
      clearEvents(second.socket, third.socket);
      const closed = await call<SessionBody>(first.socket, 'session:close', { reason: 'changed my mind' });
      expect(closed).toMatchObject({ id: first.session.id, status: 'closed', closedBy: 'customer' });
      expect(await nextEvent<QueuedMsg>(second.socket, 'session:queued', undefined, (p) => p.position === 1)).toEqual({ position: 1, waiting: 2 });
      expect(await nextEvent<QueuedMsg>(third.socket, 'session:queued', undefined, (p) => p.position === 2)).toEqual({ position: 2, waiting: 2 });

      // An operator comes online and takes the head of the queue: the one behind is now first.
      clearEvents(second.socket, third.socket);
      const op = await connectedOperator(url, admin.token, { name: 'Olga', status: 'online', maxConcurrentSessions: 1 });
      expect((await nextEvent<SessionMsg>(second.socket, 'session:assigned')).session).toMatchObject({ status: 'active', operatorId: op.id });
      expect(await nextEvent<QueuedMsg>(third.socket, 'session:queued', undefined, (p) => p.position === 1)).toEqual({ position: 1, waiting: 1 });
      expect((await sessionOf(third.session.id)).queuePosition).toBe(1);
      // The assigned customer is out of the queue: no more positions for them (after any push already on its way).
      await sleep(200);
      clearEvents(second.socket);
      const fourth = await connectedCustomer(url, { customerName: 'Fourth' });
      expect(await nextEvent<QueuedMsg>(fourth.socket, 'session:queued')).toEqual({ position: 2, waiting: 2 });
      await nextEvent<QueuedMsg>(third.socket, 'session:queued', undefined, (p) => p.position === 1 && p.waiting === 2);
      await expectNoEvent(second.socket, 'session:queued');
    });

    it('an active session gets no session:queued on connect', async () => {
      const { customer } = await chatting();
      const tab = await connectCustomer(url, customer.customerToken);
      await expectNoEvent(tab, 'session:queued');
      await expectNoEvent(customer.socket, 'session:queued');
    });

    it('session:assigned reaches the customer and the operator when an operator goes online', async () => {
      const customer = await connectedCustomer(url, { customerName: 'Waiting Wendy' });
      await nextEvent<QueuedMsg>(customer.socket, 'session:queued');
      const op = await connectedOperator(url, admin.token, { name: 'Late Larry' });
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

  describe('messages', () => {
    beforeEach(() => boot());

    it('message:send is acknowledged with the stored message, which the operator and every tab receive', async () => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(url, customer.customerToken);
      const clientMessageId = cmid();
      const reply = await emitWithAck<MessageBody>(customer.socket, 'message:send', { content: 'Where is my parcel?', clientMessageId });
      if (!reply.ok) throw new Error(JSON.stringify(reply));
      const message = reply.data;
      expect(message).toMatchObject({ sessionId: customer.session.id, senderType: 'customer', type: 'text', content: 'Where is my parcel?', clientMessageId });
      expect(Number.isInteger(message.id) && message.id > 0).toBe(true);
      // Acknowledged only once stored: it is there the moment the ack arrives.
      expect((await messagesOf(customer.session.id)).find((m) => m.id === message.id)).toMatchObject({ content: 'Where is my parcel?' });

      for (const socket of [op.socket, customer.socket, tab]) {
        expect((await nextEvent<MessageMsg>(socket, 'message:new')).message).toEqual(message);
      }
    });

    it('the same clientMessageId again returns the same message; stored and broadcast once', async () => {
      const { op, customer } = await chatting();
      const clientMessageId = cmid();
      const first = await call<MessageBody>(customer.socket, 'message:send', { content: 'only once', clientMessageId });
      const again = await call<MessageBody>(customer.socket, 'message:send', { content: 'only once (retry)', clientMessageId });
      expect(again).toEqual(first);
      // Two retries racing each other too.
      const [a, b] = await Promise.all([
        call<MessageBody>(customer.socket, 'message:send', { content: 'only once', clientMessageId }),
        call<MessageBody>(customer.socket, 'message:send', { content: 'only once', clientMessageId }),
      ]);
      expect([a.id, b.id]).toEqual([first.id, first.id]);

      expect((await nextEvent<MessageMsg>(op.socket, 'message:new')).message.id).toBe(first.id);
      await expectNoEvent(op.socket, 'message:new', 500);
      expect((await messagesOf(customer.session.id)).filter((m) => m.clientMessageId === clientMessageId)).toHaveLength(1);
    });

    it('message:new reaches every tab and the operator, each in id order', async () => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(url, customer.customerToken);
      const sent = await Promise.all([
        ...[1, 2, 3, 4].map((n) => call<MessageBody>(customer.socket, 'message:send', { content: `customer ${n}`, clientMessageId: cmid() })),
        ...[1, 2, 3].map((n) => call<MessageBody>(op.socket, 'message:send', { sessionId: customer.session.id, content: `operator ${n}`, clientMessageId: cmid() })),
      ]);
      const ids = sent.map((m) => m.id).sort((x, y) => x - y);
      for (const socket of [customer.socket, tab, op.socket]) {
        const heard: number[] = [];
        for (let i = 0; i < ids.length; i++) heard.push((await nextEvent<MessageMsg>(socket, 'message:new')).message.id);
        expect(heard).toEqual(ids);
      }
      await expectNoEvent(tab, 'message:new');
    });

    it('refused messages: ack VALIDATION_ERROR or SESSION_CLOSED, the operator hears nothing, nothing is stored', async () => {
      const { op, customer } = await chatting();
      const before = await messagesOf(customer.session.id);
      const refusals: Array<[unknown, string]> = [
        [{ content: 'no clientMessageId' }, 'VALIDATION_ERROR'],
        [{ content: '   ', clientMessageId: cmid() }, 'VALIDATION_ERROR'],
        [{ content: '', clientMessageId: cmid() }, 'VALIDATION_ERROR'],
        [{ content: 'x'.repeat(5_001), clientMessageId: cmid() }, 'VALIDATION_ERROR'],
        [{ content: 'bad type', clientMessageId: cmid(), type: 'system' }, 'VALIDATION_ERROR'],
        [{ content: 'bad id', clientMessageId: 'has spaces in it' }, 'VALIDATION_ERROR'],
        [{ content: 'nul \u0000 inside', clientMessageId: cmid() }, 'VALIDATION_ERROR'],
        [{ clientMessageId: cmid() }, 'VALIDATION_ERROR'],
      ];
      for (const [payload, code] of refusals) await refused(customer.socket, 'message:send', payload, code);
      await expectNoEvent(op.socket, 'message:new');
      expect(await messagesOf(customer.session.id)).toEqual(before);

      await call(customer.socket, 'session:close', {});
      const afterClose = await messagesOf(customer.session.id);
      clearEvents(op.socket);
      await refused(customer.socket, 'message:send', { content: 'too late', clientMessageId: cmid() }, 'SESSION_CLOSED');
      await expectNoEvent(op.socket, 'message:new');
      expect(await messagesOf(customer.session.id)).toEqual(afterClose);
    });

    it('messages:sync returns everything after afterId, ascending; bad cursors are refused', async () => {
      const { op, customer } = await chatting();
      const sent: MessageBody[] = [];
      for (const n of [1, 2, 3]) sent.push(await call<MessageBody>(customer.socket, 'message:send', { content: `m${n}`, clientMessageId: cmid() }));
      sent.push(await call<MessageBody>(op.socket, 'message:send', { sessionId: customer.session.id, content: 'reply', clientMessageId: cmid() }));

      const after = await call<{ messages: MessageBody[] }>(customer.socket, 'messages:sync', { afterId: sent[0]!.id });
      expect(after.messages.map((m) => m.content)).toEqual(['m2', 'm3', 'reply']);
      const all = await call<{ messages: MessageBody[] }>(customer.socket, 'messages:sync', { afterId: 0 });
      expect(all.messages).toEqual(await messagesOf(customer.session.id));
      expect(all.messages[0]).toMatchObject({ senderType: 'system' });
      expect(all.messages.map((m) => m.id)).toEqual([...all.messages.map((m) => m.id)].sort((a, b) => a - b));
      expect(await call(customer.socket, 'messages:sync', { afterId: sent[3]!.id })).toEqual({ messages: [] });

      for (const payload of [{}, { afterId: -1 }, { afterId: '3' }, { afterId: 1.5 }, { afterId: null }]) {
        await refused(customer.socket, 'messages:sync', payload, 'VALIDATION_ERROR');
      }
    });

    it('reconnect + messages:sync loses nothing: exactly the messages sent while away, in order', async () => {
      const { op, customer } = await chatting();
      const mine = await call<MessageBody>(customer.socket, 'message:send', { content: 'before I go', clientMessageId: cmid() });
      const lastSeen = (await nextEvent<MessageMsg>(customer.socket, 'message:new', undefined, (p) => p.message.id === mine.id)).message.id;
      customer.socket.disconnect();

      const whileAway: MessageBody[] = [];
      for (const n of [1, 2, 3]) {
        whileAway.push(await call<MessageBody>(op.socket, 'message:send', { sessionId: customer.session.id, content: `while away ${n}`, clientMessageId: cmid() }));
      }
      const back = await connectCustomer(url, customer.customerToken);
      const { messages } = await call<{ messages: MessageBody[] }>(back, 'messages:sync', { afterId: lastSeen });
      expect(messages).toEqual(whileAway);
      expect(messages.map((m) => m.content)).toEqual(['while away 1', 'while away 2', 'while away 3']);
      // And from now on it hears new ones live.
      const live = await call<MessageBody>(op.socket, 'message:send', { sessionId: customer.session.id, content: 'welcome back', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(back, 'message:new')).message.id).toBe(live.id);
    });
  });

  describe('typing and read receipts', () => {
    beforeEach(() => boot());

    it('typing travels both ways; a bad payload is refused and nobody hears it', async () => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(url, customer.customerToken);
      expect(await emitWithAck(customer.socket, 'typing', { isTyping: true })).toEqual({ ok: true, data: null });
      expect(await nextEvent(op.socket, 'typing')).toEqual({ sessionId: customer.session.id, senderType: 'customer', isTyping: true });
      await call(customer.socket, 'typing', { isTyping: false });
      expect(await nextEvent(op.socket, 'typing')).toEqual({ sessionId: customer.session.id, senderType: 'customer', isTyping: false });
      // The customer's own indicator is not echoed to their other tab.
      await expectNoEvent(tab, 'typing', 200);

      await call(op.socket, 'typing', { sessionId: customer.session.id, isTyping: true });
      expect(await nextEvent(customer.socket, 'typing')).toEqual({ senderType: 'operator', isTyping: true });
      expect(await nextEvent(tab, 'typing')).toEqual({ senderType: 'operator', isTyping: true });

      for (const payload of [{}, { isTyping: 'yes' }, { isTyping: 1 }, { isTyping: null }]) {
        await refused(customer.socket, 'typing', payload, 'VALIDATION_ERROR');
      }
      await expectNoEvent(op.socket, 'typing');

      await call(customer.socket, 'session:close', {});
      clearEvents(op.socket);
      await refused(customer.socket, 'typing', { isTyping: true }, 'SESSION_CLOSED');
      await expectNoEvent(op.socket, 'typing');
    });

    it('messages:read both ways: readAt is set and the other side is told', async () => {
      const { op, customer } = await chatting();
      const fromOp = [
        await call<MessageBody>(op.socket, 'message:send', { sessionId: customer.session.id, content: 'one', clientMessageId: cmid() }),
        await call<MessageBody>(op.socket, 'message:send', { sessionId: customer.session.id, content: 'two', clientMessageId: cmid() }),
      ];
      const fromCustomer = await call<MessageBody>(customer.socket, 'message:send', { content: 'mine', clientMessageId: cmid() });
      clearEvents(op.socket, customer.socket);

      // Refused first: nothing marked, nobody told.
      for (const payload of [{}, { upToId: 'all' }, { upToId: -5 }, { upToId: [fromOp[1]!.id] }]) {
        await refused(customer.socket, 'messages:read', payload, 'VALIDATION_ERROR');
      }
      await expectNoEvent(op.socket, 'messages:read');
      expect((await messagesOf(customer.session.id)).every((m) => m.readAt === null)).toBe(true);

      expect(await emitWithAck(customer.socket, 'messages:read', { upToId: fromOp[1]!.id })).toEqual({ ok: true, data: null });
      expect(await nextEvent(op.socket, 'messages:read')).toEqual({ sessionId: customer.session.id, upToId: fromOp[1]!.id, by: 'customer' });
      let stored = await messagesOf(customer.session.id);
      for (const m of fromOp) expect(stored.find((s) => s.id === m.id)?.readAt).toEqual(expect.any(String));
      // Only the other side's messages: the customer's own stays unread.
      expect(stored.find((s) => s.id === fromCustomer.id)?.readAt).toBeNull();

      await call(op.socket, 'messages:read', { sessionId: customer.session.id, upToId: fromCustomer.id });
      expect(await nextEvent(customer.socket, 'messages:read')).toEqual({ upToId: fromCustomer.id, by: 'operator' });
      stored = await messagesOf(customer.session.id);
      expect(stored.find((s) => s.id === fromCustomer.id)?.readAt).toEqual(expect.any(String));
    });
  });

  describe('closing and rating', () => {
    beforeEach(() => boot());

    it('session:close by the customer: session:closed to every tab and to the operator; a second close is SESSION_CLOSED', async () => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(url, customer.customerToken);
      const closed = await call<SessionBody>(customer.socket, 'session:close', { reason: 'solved' });
      expect(closed).toMatchObject({ id: customer.session.id, status: 'closed', closedBy: 'customer', closeReason: 'solved', closedAt: expect.any(String) });
      for (const socket of [op.socket, customer.socket, tab]) {
        expect((await nextEvent<SessionMsg>(socket, 'session:closed')).session).toMatchObject({ id: customer.session.id, status: 'closed' });
      }
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new')).message).toMatchObject({ senderType: 'system', content: 'Chat closed by the customer: solved' });

      clearEvents(op.socket, tab);
      await refused(customer.socket, 'session:close', {}, 'SESSION_CLOSED');
      await expectNoEvent(op.socket, 'session:closed');
      await expectNoEvent(tab, 'session:closed', 0);
      expect((await sessionOf(customer.session.id)).closeReason).toBe('solved');
      await refused(customer.socket, 'session:close', { reason: 42 }, 'VALIDATION_ERROR');
    });

    it('session:rate only after the close, and only once', async () => {
      const { customer } = await chatting();
      await refused(customer.socket, 'session:rate', { rating: 5 }, 'CONFLICT');
      expect((await sessionOf(customer.session.id)).rating).toBeNull();

      await call(customer.socket, 'session:close', {});
      for (const payload of [{}, { rating: 0 }, { rating: 6 }, { rating: '5' }, { rating: 4.5 }, { rating: 5, comment: 7 }]) {
        await refused(customer.socket, 'session:rate', payload, 'VALIDATION_ERROR');
      }
      const rated = await call<SessionBody & { ratingComment: string | null }>(customer.socket, 'session:rate', { rating: 4, comment: 'quick and kind' });
      expect(rated).toMatchObject({ id: customer.session.id, status: 'closed', rating: 4, ratingComment: 'quick and kind' });
      await refused(customer.socket, 'session:rate', { rating: 1 }, 'CONFLICT');
      expect(await sessionOf(customer.session.id)).toMatchObject({ rating: 4 });
    });
  });

  describe('isolation', () => {
    beforeEach(() => boot());

    it('every customer event acts on its own session only, whatever sessionId the payload names', async () => {
      const op = await connectedOperator(url, admin.token, { status: 'online', maxConcurrentSessions: 5 });
      const mallory = await connectedCustomer(url, { customerName: 'Mallory' });
      const victim = await connectedCustomer(url, { customerName: 'Victim' });
      await sleep(150);
      const victimBefore = await messagesOf(victim.session.id);
      clearEvents(victim.socket, op.socket);
      const other = { sessionId: victim.session.id };

      const sent = await call<MessageBody>(mallory.socket, 'message:send', { ...other, content: 'sneaky', clientMessageId: cmid() });
      expect(sent.sessionId).toBe(mallory.session.id);
      await call(mallory.socket, 'typing', { ...other, isTyping: true });
      expect(await nextEvent(op.socket, 'typing')).toMatchObject({ sessionId: mallory.session.id });
      await call(mallory.socket, 'messages:read', { ...other, upToId: 1_000_000 });
      expect(await nextEvent(op.socket, 'messages:read')).toMatchObject({ sessionId: mallory.session.id });
      const synced = await call<{ messages: MessageBody[] }>(mallory.socket, 'messages:sync', { ...other, afterId: 0 });
      expect(synced.messages.every((m) => m.sessionId === mallory.session.id)).toBe(true);
      const closed = await call<SessionBody>(mallory.socket, 'session:close', { ...other });
      expect(closed.id).toBe(mallory.session.id);
      const rated = await call<SessionBody>(mallory.socket, 'session:rate', { ...other, rating: 1 });
      expect(rated.id).toBe(mallory.session.id);

      for (const name of ['message:new', 'typing', 'messages:read', 'session:closed']) await expectNoEvent(victim.socket, name, name === 'message:new' ? 400 : 0);
      const victimAfter = await sessionOf(victim.session.id);
      expect(victimAfter).toMatchObject({ status: 'active', rating: null });
      expect(await messagesOf(victim.session.id)).toEqual(victimBefore);
    });
  });

  describe('rate limit', () => {
    beforeEach(() => boot({ RATE_LIMIT_MESSAGES_PER_10_SECONDS: '3' }));

    it('the 4th message within 10 s is RATE_LIMITED: not stored, not broadcast', async () => {
      const { op, customer } = await chatting();
      for (const n of [1, 2, 3]) await call(customer.socket, 'message:send', { content: `fast ${n}`, clientMessageId: cmid() });
      const fourth = cmid();
      await refused(customer.socket, 'message:send', { content: 'fast 4', clientMessageId: fourth }, 'RATE_LIMITED');
      for (const n of [1, 2, 3]) expect((await nextEvent<MessageMsg>(op.socket, 'message:new')).message.content).toBe(`fast ${n}`);
      await expectNoEvent(op.socket, 'message:new');
      const stored = await messagesOf(customer.session.id);
      expect(stored.filter((m) => m.senderType === 'customer').map((m) => m.content)).toEqual(['fast 1', 'fast 2', 'fast 3']);
      expect(stored.some((m) => m.clientMessageId === fourth)).toBe(false);
      // Only messages are limited: the rest of the widget keeps working.
      await call(customer.socket, 'typing', { isTyping: true });
    });
  });

  describe('garbage and missing acknowledgements', () => {
    beforeEach(() => boot());

    it.each(CUSTOMER_EVENTS)('%s: every garbage payload is refused with VALIDATION_ERROR; nothing is broadcast or stored', async (event) => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(url, customer.customerToken);
      const before = await messagesOf(customer.session.id);
      for (const [label, payload] of GARBAGE) {
        if (validAnyway(event, label)) continue;
        const reply = await emitWithAck(customer.socket, event, payload);
        try {
          expectAckError(reply, 'VALIDATION_ERROR');
        } catch (error) {
          throw new Error(`${event} with ${label}: ${(error as Error).message}`, { cause: error });
        }
      }
      // No payload at all, only the callback.
      const bare = await emitArgs(customer.socket, event, []);
      if (event === 'session:close') expect(bare.ok).toBe(true);
      else expectAckError(bare, 'VALIDATION_ERROR');

      if (event !== 'session:close') {
        for (const name of ['message:new', 'typing', 'messages:read', 'session:closed']) await expectNoEvent(op.socket, name, 0);
        await sleep(300);
        for (const socket of [op.socket, tab]) expect([...eventsOf(socket, 'message:new'), ...eventsOf(socket, 'typing'), ...eventsOf(socket, 'messages:read'), ...eventsOf(socket, 'session:closed')]).toEqual([]);
        expect(await messagesOf(customer.session.id)).toEqual(before);
        expect(await sessionOf(customer.session.id)).toMatchObject({ status: 'active', rating: null });
        await expectHealthy(customer, op);
      } else {
        expectStatus(await request(url).get('/health'), 200);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('events without an acknowledgement callback, garbage or not, leave the server up and answering', async () => {
      const { op, customer } = await chatting();
      for (const event of CUSTOMER_EVENTS) {
        customer.socket.emit(event);
        for (const [, payload] of GARBAGE) customer.socket.emit(event, payload);
      }
      // A well-formed message without a callback: stored and broadcast together, or neither.
      customer.socket.emit('message:send', { content: 'no callback', clientMessageId: cmid() });
      customer.socket.emit('typing', { isTyping: true });
      await sleep(500);
      const stored = (await messagesOf(customer.session.id)).filter((m) => m.senderType === 'customer');
      const heard = eventsOf<MessageMsg>(op.socket, 'message:new').filter((p) => p.message.senderType === 'customer');
      expect(heard.map((p) => p.message.id)).toEqual(stored.map((m) => m.id));
      expect(stored.every((m) => m.content === 'no callback')).toBe(true);
      expect(customer.socket.connected).toBe(true);
      expect((await sessionOf(customer.session.id)).status).toBe('active');
      clearEvents(op.socket);
      await expectHealthy(customer, op);
    });

    it('unknown event names are answered NOT_FOUND and change nothing; the socket stays usable', async () => {
      const { op, customer } = await chatting();
      for (const name of ['nope', 'status:set', 'session:join', 'session:transfer', 'toString', 'hasOwnProperty', '__proto__', 'constructor', 'x'.repeat(2_000)]) {
        expectAckError(await emitWithAck(customer.socket, name, { sessionId: customer.session.id, status: 'online' }, 1_000), 'NOT_FOUND');
      }
      expect(customer.socket.connected).toBe(true);
      expect((await sessionOf(customer.session.id)).status).toBe('active');
      await expectHealthy(customer, op);
    });

    it('prototype-polluting payloads pollute nothing', async () => {
      const { op, customer } = await chatting();
      const evil = JSON.parse(`{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "content": "proto", "clientMessageId": "${cmid()}"}`) as Record<string, unknown>;
      for (const event of CUSTOMER_EVENTS.filter((e) => e !== 'session:close')) await emitWithAck(customer.socket, event, evil);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
      await expectHealthy(customer, op);
    });

    it('a packet over the size limit ends only that connection; everyone else carries on', async () => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(url, customer.customerToken);
      const limit = server.config.maxMessageLength * 4 + 4 * 1024;
      const gone = waitDisconnected(tab);
      tab.emit('message:send', { content: 'x'.repeat(limit + 1_000), clientMessageId: cmid() }, () => undefined);
      await gone;
      expect((await messagesOf(customer.session.id)).some((m) => m.content.length > 5_000)).toBe(false);
      expect(customer.socket.connected).toBe(true);
      await expectHealthy(customer, op);
    });
  });
});

