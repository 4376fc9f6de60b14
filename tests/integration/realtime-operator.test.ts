import { SignJWT } from 'jose';
import request from 'supertest';
import type { Socket } from 'socket.io-client';
import { describeEachBackend } from '../helpers/backends';
import { sleep } from '../helpers/wait';
import { bearer, createSession, expectStatus, getOperator, getSession, listMessages, type OperatorBody, type Staff } from '../helpers/api';
import {
  GARBAGE,
  OPERATOR_EVENTS,
  call,
  clearEvents,
  cmid,
  connectCustomer,
  connectError,
  connectOperator,
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
  waitDisconnected,
  type ConnectedCustomer,
  type ConnectedOperator,
  type FullMessage,
  type FullSession,
  type MessageMsg,
  type QueuedMsg,
  type SessionMsg,
} from '../helpers/sockets';

/**
 * The /operator namespace as the operator console uses it: one operator acts, the customer and other
 * operators observe. A refusal is checked by its ack code, by the observers' silence and by the database.
 */

type StatusMsg = { operatorId: number; status: OperatorBody['status'] };
type TransferredMsg = { session: FullSession; operator: { id: number; name: string } | null };

const JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

/** Events an observer of a session could hear; after a refusal it hears none of them. */
const SESSION_EVENTS = ['message:new', 'typing', 'messages:read', 'session:closed', 'session:assigned', 'session:unassigned', 'session:transferred'];

async function expectSilent(sockets: Socket[], names = SESSION_EVENTS, ms = 400): Promise<void> {
  await sleep(ms);
  for (const socket of sockets) for (const name of names) await expectNoEvent(socket, name, 0);
}

describeEachBackend('realtime /operator', (backend) => {
  let url: string;
  let admin: Staff;
  const boot = realtimeServerPerTest(backend, (booted) => ({ url, admin } = booted));

  const messagesOf = async (sessionId: string): Promise<FullMessage[]> => (await listMessages(url, admin.token, sessionId, '?limit=200')) as FullMessage[];
  const sessionOf = async (sessionId: string): Promise<FullSession> => (await getSession(url, admin.token, sessionId)) as FullSession;
  const operatorOf = (operatorId: number): Promise<OperatorBody> => getOperator(url, admin.token, operatorId);

  /** A customer whose chat went to `op` (the only available operator), both sides settled and quiet. */
  async function chatWith(op: ConnectedOperator, name = 'Carla'): Promise<ConnectedCustomer> {
    const customer = await connectedCustomer(url, { customerName: name });
    expect(customer.session).toMatchObject({ status: 'active', operatorId: op.id });
    await nextEvent<SessionMsg>(op.socket, 'session:assigned', undefined, (p) => p.session.id === customer.session.id);
    await nextEvent<MessageMsg>(op.socket, 'message:new', undefined, (p) => p.message.sessionId === customer.session.id);
    await sleep(150); // the folded queue push after the assignment
    clearEvents(op.socket, customer.socket);
    return customer;
  }

  describe('handshake', () => {
    beforeEach(() => boot());

    it('no token, a bad, forged or expired token, or a customer token: connect_error UNAUTHENTICATED', async () => {
      const op = await connectedOperator(url, admin.token);
      const customer = await createSession(url);
      const sign = (secret: string, exp: number | string, claims: Record<string, unknown> = {}) =>
        new SignJWT({ role: 'admin', tv: 0, ...claims })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(String(op.id))
          .setIssuer('live-chat-server')
          .setAudience('operator')
          .setIssuedAt(Math.floor(Date.now() / 1000) - 7_200)
          .setExpirationTime(exp)
          .sign(new TextEncoder().encode(secret));
      const tampered = op.token.slice(0, -3) + (op.token.endsWith('AAA') ? 'BBB' : 'AAA');
      const bad: Array<Record<string, unknown> | undefined> = [
        undefined,
        {},
        { token: '' },
        { token: null },
        { token: 'Bearer ' + op.token },
        { token: tampered },
        { token: await sign('another-secret-that-is-long-enough-for-hs256', '1h') },
        { token: await sign(JWT_SECRET, Math.floor(Date.now() / 1000) - 60) },
        { token: customer.customerToken },
      ];
      for (const auth of bad) expect(await connectError(url, '/operator', auth)).toBe('UNAUTHENTICATED');
      expect(await connectError(url, '/operator', { token: customer.customerToken }, { transports: ['polling'] })).toBe('UNAUTHENTICATED');
      expect(op.socket.connected).toBe(true);
    });
  });

  describe('status and queue', () => {
    beforeEach(() => boot({ ASSIGNMENT_STRATEGY: 'manual' }));

    it('status:set answers with the operator; operator:status reaches every operator socket, whatever their status', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann' });
      const ben = await connectedOperator(url, admin.token, { name: 'Ben' });
      const benTab = await connectOperator(url, ben.token);
      const adminSocket = await connectOperator(url, admin.token);

      for (const status of ['online', 'busy', 'offline', 'online'] as const) {
        const me = await call<OperatorBody>(ann.socket, 'status:set', { status });
        expect(me).toMatchObject({ id: ann.id, name: 'Ann', status });
        expect(JSON.stringify(me)).not.toMatch(/password|hash|tokenVersion/i);
        for (const socket of [ann.socket, ben.socket, benTab, adminSocket]) {
          expect(await nextEvent<StatusMsg>(socket, 'operator:status', undefined, (p) => p.operatorId === ann.id)).toEqual({ operatorId: ann.id, status });
        }
        expect((await operatorOf(ann.id)).status).toBe(status);
      }

      for (const payload of [{}, { status: 'away' }, { status: 'ONLINE' }, { status: ['busy'] }, { status: 1 }]) {
        await refused(ann.socket, 'status:set', payload, 'VALIDATION_ERROR');
      }
      await expectSilent([ben.socket, benTab], ['operator:status']);
      expect((await operatorOf(ann.id)).status).toBe('online');
    });

    it('session:new and queue:updated reach online operators only, following their status', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online' });
      const ben = await connectedOperator(url, admin.token, { name: 'Ben', status: 'busy' });
      const cid = await connectedOperator(url, admin.token, { name: 'Cid' });
      await sleep(100);
      clearEvents(ann.socket, ben.socket, cid.socket);

      const first = await createSession(url, { customerName: 'First' });
      expect((await nextEvent<SessionMsg>(ann.socket, 'session:new')).session).toMatchObject({ id: first.session.id, status: 'waiting', queuePosition: 1 });
      expect(await nextEvent(ann.socket, 'queue:updated', undefined, (p: { waiting: number }) => p.waiting === 1)).toEqual({ waiting: 1 });
      await expectSilent([ben.socket, cid.socket], ['session:new', 'queue:updated']);

      // Ben comes online: from now on he hears the queue too. Ann goes offline: she stops hearing it.
      await call(ben.socket, 'status:set', { status: 'online' });
      await call(ann.socket, 'status:set', { status: 'offline' });
      clearEvents(ann.socket, ben.socket, cid.socket);
      const second = await createSession(url, { customerName: 'Second' });
      expect((await nextEvent<SessionMsg>(ben.socket, 'session:new')).session).toMatchObject({ id: second.session.id, queuePosition: 2 });
      expect(await nextEvent(ben.socket, 'queue:updated', undefined, (p: { waiting: number }) => p.waiting === 2)).toEqual({ waiting: 2 });
      await expectSilent([ann.socket, cid.socket], ['session:new', 'queue:updated']);

      // A session leaving the queue updates the count.
      await call(ben.socket, 'session:join', { sessionId: first.session.id });
      expect(await nextEvent(ben.socket, 'queue:updated', undefined, (p: { waiting: number }) => p.waiting === 1)).toEqual({ waiting: 1 });
    });

    it('session:join takes a waiting session; the next operator gets ALREADY_ASSIGNED and nothing changes', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online', maxConcurrentSessions: 2 });
      const ben = await connectedOperator(url, admin.token, { name: 'Ben', status: 'online' });
      const customer = await connectedCustomer(url, { customerName: 'Carla' });
      expect(customer.session.status).toBe('waiting');
      await nextEvent(customer.socket, 'session:queued');

      const joined = await call<FullSession>(ann.socket, 'session:join', { sessionId: customer.session.id });
      expect(joined).toMatchObject({ id: customer.session.id, status: 'active', operatorId: ann.id, operator: { id: ann.id, name: 'Ann' } });
      const toCustomer = await nextEvent<SessionMsg & { operator: { id: number; name: string } }>(customer.socket, 'session:assigned');
      expect(toCustomer).toMatchObject({ session: { id: customer.session.id, operatorId: ann.id }, operator: { id: ann.id, name: 'Ann' } });
      expect((await nextEvent<SessionMsg>(ann.socket, 'session:assigned')).session.id).toBe(customer.session.id);
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new')).message).toMatchObject({ senderType: 'system', content: 'Ann joined the chat' });
      await sleep(150);
      clearEvents(customer.socket, ann.socket, ben.socket);

      await refused(ben.socket, 'session:join', { sessionId: customer.session.id }, 'ALREADY_ASSIGNED');
      await expectSilent([customer.socket, ben.socket, ann.socket]);
      expect(await sessionOf(customer.session.id)).toMatchObject({ status: 'active', operatorId: ann.id });
      expect((await operatorOf(ben.id)).activeSessions).toBe(0);
      expect((await operatorOf(ann.id)).activeSessions).toBe(1);
    });

    it('two operators joining at once: exactly one wins', async () => {
      const ann = await connectedOperator(url, admin.token, { status: 'online' });
      const ben = await connectedOperator(url, admin.token, { status: 'online' });
      const customer = await connectedCustomer(url);
      const replies = await Promise.all([ann, ben].map((op) => emitWithAck<FullSession>(op.socket, 'session:join', { sessionId: customer.session.id })));
      expect(replies.filter((r) => r.ok)).toHaveLength(1);
      const loser = replies.find((r) => !r.ok)!;
      expectAckError(loser, 'ALREADY_ASSIGNED');
      const winner = replies[0]!.ok ? ann : ben;
      expect((await sessionOf(customer.session.id)).operatorId).toBe(winner.id);
      await nextEvent(customer.socket, 'session:assigned');
      await expectNoEvent(customer.socket, 'session:assigned');
      expect((await operatorOf(ann.id)).activeSessions + (await operatorOf(ben.id)).activeSessions).toBe(1);
    });

    it('session:join: OPERATOR_AT_CAPACITY when full, SESSION_CLOSED, NOT_FOUND and VALIDATION_ERROR; a busy operator may join', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online', maxConcurrentSessions: 1 });
      const first = await connectedCustomer(url, { customerName: 'First' });
      const second = await connectedCustomer(url, { customerName: 'Second' });
      await call(ann.socket, 'session:join', { sessionId: first.session.id });
      await sleep(150);
      clearEvents(second.socket, ann.socket);

      await refused(ann.socket, 'session:join', { sessionId: second.session.id }, 'OPERATOR_AT_CAPACITY');
      await expectSilent([second.socket], ['session:assigned', 'message:new']);
      expect(await sessionOf(second.session.id)).toMatchObject({ status: 'waiting', operatorId: null });
      expect((await operatorOf(ann.id)).activeSessions).toBe(1);

      await call(second.socket, 'session:close', {});
      const ben = await connectedOperator(url, admin.token, { name: 'Ben', status: 'online' });
      await refused(ben.socket, 'session:join', { sessionId: second.session.id }, 'SESSION_CLOSED');
      await refused(ben.socket, 'session:join', { sessionId: '7d3b7e63-1d0c-4b8e-9d59-9f8f5e7c0a11' }, 'NOT_FOUND');
      for (const payload of [{}, { sessionId: 'not-a-uuid' }, { sessionId: 5 }, { sessionId: [first.session.id] }]) {
        await refused(ben.socket, 'session:join', payload, 'VALIDATION_ERROR');
      }
      expect((await operatorOf(ben.id)).activeSessions).toBe(0);

      // Busy means "no new chats for me", not "I may not take one myself".
      const third = await connectedCustomer(url, { customerName: 'Third' });
      await call(ben.socket, 'status:set', { status: 'busy' });
      expect(await call<FullSession>(ben.socket, 'session:join', { sessionId: third.session.id })).toMatchObject({ status: 'active', operatorId: ben.id });
      expect((await nextEvent<SessionMsg>(third.socket, 'session:assigned')).session.operatorId).toBe(ben.id);
    });
  });

  describe('working a session', () => {
    beforeEach(() => boot());

    it('message:send: acknowledged once stored; the customer and the operator’s other tabs receive it; idempotent', async () => {
      const ann = await connectedOperator(url, admin.token, { status: 'online' });
      const customer = await chatWith(ann);
      const annTab = await connectOperator(url, ann.token);
      const clientMessageId = cmid();
      const message = await call<FullMessage>(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'How can I help?', clientMessageId });
      expect(message).toMatchObject({ sessionId: customer.session.id, senderType: 'operator', senderId: String(ann.id), content: 'How can I help?', clientMessageId });
      expect((await messagesOf(customer.session.id)).find((m) => m.id === message.id)).toBeDefined();
      for (const socket of [customer.socket, ann.socket, annTab]) expect((await nextEvent<MessageMsg>(socket, 'message:new')).message).toEqual(message);

      expect(await call(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'How can I help? (retry)', clientMessageId })).toEqual(message);
      await expectNoEvent(customer.socket, 'message:new', 500);
      expect((await messagesOf(customer.session.id)).filter((m) => m.clientMessageId === clientMessageId)).toHaveLength(1);

      const { messages } = await call<{ messages: FullMessage[] }>(ann.socket, 'messages:sync', { sessionId: customer.session.id, afterId: 0 });
      expect(messages).toEqual(await messagesOf(customer.session.id));
      for (const payload of [{ afterId: 0 }, { sessionId: customer.session.id }, { sessionId: customer.session.id, afterId: 'x' }]) {
        await refused(ann.socket, 'messages:sync', payload, 'VALIDATION_ERROR');
      }
      await refused(ann.socket, 'messages:sync', { sessionId: '7d3b7e63-1d0c-4b8e-9d59-9f8f5e7c0a11', afterId: 0 }, 'NOT_FOUND');
    });

    it('an operator who is not assigned cannot send to, type in, mark read, close or transfer the session (FORBIDDEN); the customer sees nothing', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online', maxConcurrentSessions: 1 });
      const customer = await chatWith(ann);
      const ben = await connectedOperator(url, admin.token, { name: 'Ben', status: 'online' });
      const tab = await connectCustomer(url, customer.customerToken);
      await sleep(100);
      const before = { messages: await messagesOf(customer.session.id), session: await sessionOf(customer.session.id) };
      clearEvents(ann.socket, customer.socket, tab);
      const sessionId = customer.session.id;

      await refused(ben.socket, 'message:send', { sessionId, content: 'not mine', clientMessageId: cmid() }, 'FORBIDDEN');
      await refused(ben.socket, 'typing', { sessionId, isTyping: true }, 'FORBIDDEN');
      await refused(ben.socket, 'messages:read', { sessionId, upToId: 1_000_000 }, 'FORBIDDEN');
      await refused(ben.socket, 'session:close', { sessionId, reason: 'mine now' }, 'FORBIDDEN');
      await refused(ben.socket, 'session:transfer', { sessionId, operatorId: ben.id }, 'FORBIDDEN');
      await refused(ben.socket, 'session:transfer', { sessionId, department: 'sales' }, 'FORBIDDEN');

      await expectSilent([customer.socket, tab, ann.socket, ben.socket]);
      expect(await sessionOf(sessionId)).toEqual(before.session);
      expect(await messagesOf(sessionId)).toEqual(before.messages);
      expect((await operatorOf(ben.id)).activeSessions).toBe(0);

      // Reading is not taking part: any operator may look (as over REST).
      expect((await call<{ messages: FullMessage[] }>(ben.socket, 'messages:sync', { sessionId, afterId: 0 })).messages).toEqual(before.messages);
      // An admin may act on any session.
      const boss = await connectOperator(url, admin.token);
      const note = await call<FullMessage>(boss, 'message:send', { sessionId, content: 'Admin here', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new')).message.id).toBe(note.id);
    });

    it('an operator cannot send to a session still waiting in the queue', async () => {
      const ann = await connectedOperator(url, admin.token, { status: 'busy' });
      const customer = await connectedCustomer(url);
      await nextEvent(customer.socket, 'session:queued');
      await refused(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'jumping the queue', clientMessageId: cmid() }, 'FORBIDDEN');
      await expectSilent([customer.socket], ['message:new']);
      expect(await messagesOf(customer.session.id)).toEqual([]);
    });

    it('session:close by the operator: session:closed to the customer and the operator; second close SESSION_CLOSED; the freed seat takes the next in line', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online', maxConcurrentSessions: 1 });
      const customer = await chatWith(ann);
      const next = await connectedCustomer(url, { customerName: 'Next' });
      expect(next.session.status).toBe('waiting');
      await sleep(150);
      clearEvents(ann.socket, customer.socket);

      const closed = await call<FullSession>(ann.socket, 'session:close', { sessionId: customer.session.id, reason: 'resolved' });
      expect(closed).toMatchObject({ id: customer.session.id, status: 'closed', closedBy: 'operator', closeReason: 'resolved' });
      expect((await nextEvent<SessionMsg>(customer.socket, 'session:closed')).session).toMatchObject({ id: customer.session.id, status: 'closed', closedBy: 'operator' });
      expect((await nextEvent<SessionMsg>(ann.socket, 'session:closed', undefined, (p) => p.session.id === customer.session.id)).session.status).toBe('closed');
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new')).message).toMatchObject({ senderType: 'system', content: 'Chat closed by the operator: resolved' });
      // Ann's seat is free again: the waiting customer gets her.
      expect((await nextEvent<SessionMsg>(next.socket, 'session:assigned')).session.operatorId).toBe(ann.id);
      expect((await nextEvent<SessionMsg>(ann.socket, 'session:assigned')).session.id).toBe(next.session.id);

      clearEvents(customer.socket, ann.socket);
      await refused(ann.socket, 'session:close', { sessionId: customer.session.id }, 'SESSION_CLOSED');
      await refused(ann.socket, 'session:close', { reason: 'which one?' }, 'VALIDATION_ERROR');
      await expectSilent([customer.socket], ['session:closed', 'message:new']);
      expect((await sessionOf(customer.session.id)).closeReason).toBe('resolved');
    });

    it('session:transfer to an operator: session:unassigned to the old one, session:assigned to the new one, session:transferred to the customer', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online' });
      const customer = await chatWith(ann);
      const ben = await connectedOperator(url, admin.token, { name: 'Ben', status: 'online' });
      await sleep(150);
      clearEvents(ann.socket, ben.socket, customer.socket);

      const moved = await call<FullSession>(ann.socket, 'session:transfer', { sessionId: customer.session.id, operatorId: ben.id });
      expect(moved).toMatchObject({ id: customer.session.id, status: 'active', operatorId: ben.id, operator: { id: ben.id, name: 'Ben' } });
      expect((await nextEvent<SessionMsg>(ann.socket, 'session:unassigned')).session).toMatchObject({ id: customer.session.id, operatorId: ben.id });
      expect((await nextEvent<SessionMsg>(ben.socket, 'session:assigned')).session).toMatchObject({ id: customer.session.id, operatorId: ben.id });
      const told = await nextEvent<TransferredMsg>(customer.socket, 'session:transferred');
      expect(told).toMatchObject({ session: { id: customer.session.id, operatorId: ben.id }, operator: { id: ben.id, name: 'Ben' } });
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new')).message).toMatchObject({ senderType: 'system', content: 'Transferred from Ann to Ben' });
      expect((await nextEvent<MessageMsg>(ben.socket, 'message:new')).message.senderType).toBe('system');
      expect((await operatorOf(ann.id)).activeSessions).toBe(0);
      expect((await operatorOf(ben.id)).activeSessions).toBe(1);

      // Now Ben's: Ann is refused, Ben is heard.
      clearEvents(customer.socket);
      await refused(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'still me?', clientMessageId: cmid() }, 'FORBIDDEN');
      const fromBen = await call<FullMessage>(ben.socket, 'message:send', { sessionId: customer.session.id, content: 'Ben here', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new')).message.id).toBe(fromBen.id);
      const fromCustomer = await call<FullMessage>(customer.socket, 'message:send', { content: 'hi Ben', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(ben.socket, 'message:new', undefined, (p) => p.message.id === fromCustomer.id)).message.content).toBe('hi Ben');
      await expectNoEvent(ann.socket, 'message:new');
    });

    it('session:transfer to a department: back through the queue to an operator of that team', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online' });
      const customer = await chatWith(ann);
      const bill = await connectedOperator(url, admin.token, { name: 'Bill', status: 'online', departments: ['billing'] });
      await sleep(150);
      clearEvents(ann.socket, bill.socket, customer.socket);

      const moved = await call<FullSession>(ann.socket, 'session:transfer', { sessionId: customer.session.id, department: 'billing' });
      expect(moved).toMatchObject({ id: customer.session.id, department: 'billing', status: 'active', operatorId: bill.id });
      expect((await nextEvent<SessionMsg>(ann.socket, 'session:unassigned')).session.id).toBe(customer.session.id);
      const told = await nextEvent<TransferredMsg>(customer.socket, 'session:transferred');
      expect(told.session).toMatchObject({ id: customer.session.id, department: 'billing' });
      const assigned = await nextEvent<SessionMsg & { operator: { id: number; name: string } }>(customer.socket, 'session:assigned');
      expect(assigned.operator).toEqual({ id: bill.id, name: 'Bill' });
      expect((await nextEvent<SessionMsg>(bill.socket, 'session:assigned')).session).toMatchObject({ id: customer.session.id, operatorId: bill.id });
      expect((await operatorOf(ann.id)).activeSessions).toBe(0);
    });

    it('session:transfer to a department nobody serves: the customer waits in line and online operators hear of it', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online' });
      const customer = await chatWith(ann);
      const ben = await connectedOperator(url, admin.token, { name: 'Ben', status: 'online' });
      await sleep(150);
      clearEvents(ann.socket, ben.socket, customer.socket);

      const moved = await call<FullSession>(ann.socket, 'session:transfer', { sessionId: customer.session.id, department: 'legal' });
      expect(moved).toMatchObject({ status: 'waiting', department: 'legal', operatorId: null, queuePosition: 1 });
      expect(await nextEvent<TransferredMsg>(customer.socket, 'session:transferred')).toMatchObject({ session: { status: 'waiting' }, operator: null });
      expect(await nextEvent<QueuedMsg>(customer.socket, 'session:queued')).toEqual({ position: 1, waiting: 1 });
      expect((await nextEvent<SessionMsg>(ben.socket, 'session:new')).session.id).toBe(customer.session.id);
      expect((await nextEvent<SessionMsg>(ann.socket, 'session:unassigned')).session.id).toBe(customer.session.id);
    });

    it('session:transfer refusals change nothing and tell nobody', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online' });
      const customer = await chatWith(ann);
      const full = await connectedOperator(url, admin.token, { name: 'Full', status: 'online', maxConcurrentSessions: 1 });
      const other = await chatWith(full, 'Other');
      const sessionId = customer.session.id;
      await sleep(150);
      clearEvents(ann.socket, full.socket, customer.socket, other.socket);
      const before = await sessionOf(sessionId);

      await refused(ann.socket, 'session:transfer', { sessionId, operatorId: full.id }, 'OPERATOR_AT_CAPACITY');
      await refused(ann.socket, 'session:transfer', { sessionId, operatorId: ann.id }, 'CONFLICT');
      await refused(ann.socket, 'session:transfer', { sessionId, operatorId: 999_999 }, 'NOT_FOUND');
      await refused(ann.socket, 'session:transfer', { sessionId, operatorId: full.id, department: 'sales' }, 'VALIDATION_ERROR');
      await refused(ann.socket, 'session:transfer', { sessionId }, 'VALIDATION_ERROR');
      await refused(ann.socket, 'session:transfer', { sessionId, operatorId: '2' }, 'VALIDATION_ERROR');
      await refused(ann.socket, 'session:transfer', { sessionId, department: 'no/slashes' }, 'VALIDATION_ERROR');

      await expectSilent([customer.socket, full.socket, ann.socket, other.socket]);
      expect(await sessionOf(sessionId)).toEqual(before);
      expect((await operatorOf(full.id)).activeSessions).toBe(1);
      expect((await operatorOf(ann.id)).activeSessions).toBe(1);

      await call(customer.socket, 'session:close', {});
      await refused(ann.socket, 'session:transfer', { sessionId, department: 'sales' }, 'SESSION_CLOSED');
    });
  });

  describe('garbage and missing acknowledgements', () => {
    beforeEach(() => boot());

    it.each(OPERATOR_EVENTS)('%s: every garbage payload is refused with VALIDATION_ERROR; nothing is broadcast or stored', async (event) => {
      const ann = await connectedOperator(url, admin.token, { status: 'online' });
      const customer = await chatWith(ann);
      const ben = await connectedOperator(url, admin.token);
      await sleep(100);
      clearEvents(ann.socket, ben.socket, customer.socket);
      const before = { messages: await messagesOf(customer.session.id), session: await sessionOf(customer.session.id), operator: await operatorOf(ann.id) };

      for (const [label, payload] of [...GARBAGE, ['only a sessionId', { sessionId: customer.session.id }] as [string, unknown]]) {
        if (label === 'only a sessionId' && ['session:join', 'session:close'].includes(event)) continue;
        const reply = await emitWithAck(ann.socket, event, payload);
        try {
          expectAckError(reply, 'VALIDATION_ERROR');
        } catch (error) {
          throw new Error(`${event} with ${label}: ${(error as Error).message}`, { cause: error });
        }
      }
      expectAckError(await emitArgs(ann.socket, event, []), 'VALIDATION_ERROR');

      await expectSilent([customer.socket, ben.socket], [...SESSION_EVENTS, 'operator:status', 'session:queued']);
      expect(await messagesOf(customer.session.id)).toEqual(before.messages);
      expect(await sessionOf(customer.session.id)).toEqual(before.session);
      expect((await operatorOf(ann.id)).status).toBe(before.operator.status);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();

      expectStatus(await request(url).get('/health'), 200);
      const note = await call<FullMessage>(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'still fine', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new')).message.id).toBe(note.id);
    });

    it('events without a callback and unknown events leave the server up; the socket keeps working', async () => {
      const ann = await connectedOperator(url, admin.token, { status: 'online' });
      const customer = await chatWith(ann);
      for (const event of OPERATOR_EVENTS) {
        ann.socket.emit(event);
        for (const [, payload] of GARBAGE) ann.socket.emit(event, payload);
      }
      ann.socket.emit('typing', { sessionId: customer.session.id, isTyping: true });
      for (const name of ['nope', 'session:rate', 'toString', '__proto__', 'constructor']) {
        expectAckError(await emitWithAck(ann.socket, name, { sessionId: customer.session.id, rating: 5 }, 1_000), 'NOT_FOUND');
      }
      await sleep(300);
      // Whatever was ignored was ignored whole: the session is as it was.
      expect(await sessionOf(customer.session.id)).toMatchObject({ status: 'active', operatorId: ann.id, rating: null });
      expect(eventsOf(customer.socket, 'message:new')).toEqual([]);
      expect(ann.socket.connected).toBe(true);
      expectStatus(await request(url).get('/health'), 200);
      const note = await call<FullMessage>(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'still fine', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new')).message.id).toBe(note.id);
    });
  });

  describe('ending access', () => {
    beforeEach(() => boot());

    it('logout (POST /api/auth/logout) disconnects every socket of the operator; the old token no longer connects', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online' });
      const annTab = await connectOperator(url, ann.token);
      const ben = await connectedOperator(url, admin.token, { name: 'Ben' });
      const dropped = Promise.all([waitDisconnected(ann.socket), waitDisconnected(annTab)]);
      expectStatus(await request(url).post('/api/auth/logout').set(bearer(ann.token)), 200);
      expect(await connectError(url, '/operator', { token: ann.token })).toBe('UNAUTHENTICATED');
      await dropped;
      expect(ben.socket.connected).toBe(true);
    });

    it('a password change by an admin ends the operator’s live sockets too (their tokens are dead)', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online' });
      const dropped = waitDisconnected(ann.socket);
      expectStatus(await request(url).patch(`/api/operators/${ann.id}`).set(bearer(admin.token)).send({ password: 'a-brand-new-password' }), 200);
      expect(await connectError(url, '/operator', { token: ann.token })).toBe('UNAUTHENTICATED');
      await dropped;
    });

    it('a role change by an admin ends the operator’s sockets; reconnected, they act with the new role', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', role: 'admin' });
      const ben = await connectedOperator(url, admin.token, { name: 'Ben', status: 'online' });
      const customer = await chatWith(ben);
      const setRole = async (role: 'operator' | 'admin', socket: Socket): Promise<Socket> => {
        const dropped = waitDisconnected(socket);
        expectStatus(await request(url).patch(`/api/operators/${ann.id}`).set(bearer(admin.token)).send({ role }), 200);
        expect(await dropped).toBe('io server disconnect');
        // The token itself is still good: the console reconnects with it.
        return connectOperator(url, ann.token);
      };

      const demoted = await setRole('operator', ann.socket);
      await refused(demoted, 'session:close', { sessionId: customer.session.id }, 'FORBIDDEN');
      await refused(demoted, 'message:send', { sessionId: customer.session.id, content: 'still an admin?', clientMessageId: cmid() }, 'FORBIDDEN');
      expect((await sessionOf(customer.session.id)).status).toBe('active');

      const promoted = await setRole('admin', demoted);
      expect((await call<FullSession>(promoted, 'session:close', { sessionId: customer.session.id })).status).toBe('closed');
    });

    it('a console opened while already online hears the queue', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online', maxConcurrentSessions: 1 });
      const first = await createSession(url);
      expect(first.session.operatorId).toBe(ann.id);
      const tab = await connectOperator(url, ann.token);
      await sleep(300);
      const second = await createSession(url);
      expect((await nextEvent<SessionMsg>(tab, 'session:new', undefined, (p) => p.session.id === second.session.id)).session.status).toBe('waiting');
      expect(await nextEvent(tab, 'queue:updated', undefined, (p: { waiting: number }) => p.waiting === 1)).toEqual({ waiting: 1 });
    });

    it('PATCH disabled:true disconnects the operator at once; other operators see them offline; the old token no longer connects', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online' });
      const ben = await connectedOperator(url, admin.token, { name: 'Ben' });
      await sleep(100);
      clearEvents(ben.socket);
      const dropped = waitDisconnected(ann.socket);
      expectStatus(await request(url).patch(`/api/operators/${ann.id}`).set(bearer(admin.token)).send({ disabled: true }), 200);
      await dropped;
      expect(await nextEvent<StatusMsg>(ben.socket, 'operator:status', undefined, (p) => p.operatorId === ann.id)).toEqual({ operatorId: ann.id, status: 'offline' });
      expect(await connectError(url, '/operator', { token: ann.token })).toBe('UNAUTHENTICATED');
      expect(ben.socket.connected).toBe(true);
    });
  });

  describe('presence (OPERATOR_PRESENCE_GRACE_SECONDS=1)', () => {
    beforeEach(() => boot({ OPERATOR_PRESENCE_GRACE_SECONDS: '1' }));

    it('an operator whose only socket drops goes offline after the grace; other operators hear it', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online' });
      const ben = await connectedOperator(url, admin.token, { name: 'Ben' });
      await sleep(100);
      clearEvents(ben.socket);
      const droppedAt = Date.now();
      ann.socket.disconnect();
      await sleep(400);
      expect((await operatorOf(ann.id)).status).toBe('online');
      const heard = await nextEvent<StatusMsg>(ben.socket, 'operator:status', 4_000, (p) => p.operatorId === ann.id && p.status === 'offline');
      const after = Date.now() - droppedAt;
      expect(heard).toEqual({ operatorId: ann.id, status: 'offline' });
      expect(after).toBeGreaterThanOrEqual(900);
      expect((await operatorOf(ann.id)).status).toBe('offline');
      // New chats no longer go to her.
      const customer = await createSession(url);
      expect(customer.session).toMatchObject({ status: 'waiting', operatorId: null });
    });

    it('reconnecting within the grace keeps the operator online; so does a second tab staying open', async () => {
      const ann = await connectedOperator(url, admin.token, { name: 'Ann', status: 'online' });
      const ben = await connectedOperator(url, admin.token, { name: 'Ben', status: 'online' });
      await sleep(100);
      clearEvents(ben.socket, ann.socket);

      ann.socket.disconnect();
      await sleep(300);
      const back = await connectOperator(url, ann.token);
      // A second tab of Ben closes; his first stays.
      const benTab = await connectOperator(url, ben.token);
      benTab.disconnect();
      await sleep(2_500);
      await expectNoEvent(ben.socket, 'operator:status', 0);
      await expectNoEvent(back, 'operator:status', 0);
      expect((await operatorOf(ann.id)).status).toBe('online');
      expect((await operatorOf(ben.id)).status).toBe('online');
    });
  });
});
