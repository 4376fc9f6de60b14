import request from 'supertest';
import type { Socket } from 'socket.io-client';
import { describeEachBackend } from '../helpers/backends';
import { bearer, createSession, expectStatus } from '../helpers/api';
import { GARBAGE, OPERATOR_EVENTS, SESSION_EVENTS, call, clearEvents, cmid, connectError, connectOperator, connectedOperator, emitArgs, emitWithAck, eventsOf, expectAckError, expectNoEvent, expectSilent, nextEvent, refused, waitDisconnected, type ConnectedOperator, type FullMessage, type FullSession, type MessageMsg, type SessionMsg, type StatusMsg } from '../helpers/sockets';
import { adminView, assignedChat, serverPerTest } from '../helpers/scenarios';
import { sleep } from '../helpers/wait';

/**
 * The /operator namespace as the operator console uses it: one operator acts, the customer and other
 * operators observe. A refusal is checked by its ack code, by the observers' silence and by the database.
 *
 * Here: garbage and missing acknowledgements, how access ends (logout, password, role, disabled), and presence.
 */

describeEachBackend('realtime /operator', (backend) => {
  const stage = serverPerTest(backend);
  const { messagesOf, sessionOf, operatorOf } = adminView(stage);
  /** A customer whose chat went to `op` (the only available operator), both sides settled and quiet. */
  const chatWith = (op: ConnectedOperator, name = 'Carla') => assignedChat(stage.url, op, { customerName: name, socket: true });

  describe('garbage and missing acknowledgements', () => {
    it.each(OPERATOR_EVENTS)('%s: every garbage payload is refused with VALIDATION_ERROR; nothing is broadcast or stored', async (event) => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { status: 'online' });
      const customer = await chatWith(ann);
      const ben = await connectedOperator(stage.url, stage.admin.token);
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

      expectStatus(await request(stage.url).get('/health'), 200);
      const note = await call<FullMessage>(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'still fine', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new')).message.id).toBe(note.id);
    });

    it('events without a callback and unknown events leave the server up; the socket keeps working', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { status: 'online' });
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
      expectStatus(await request(stage.url).get('/health'), 200);
      const note = await call<FullMessage>(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'still fine', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new')).message.id).toBe(note.id);
    });
  });

  describe('ending access', () => {
    it('logout (POST /api/auth/logout) disconnects every socket of the operator; the old token no longer connects', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      const annTab = await connectOperator(stage.url, ann.token);
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben' });
      const dropped = Promise.all([waitDisconnected(ann.socket), waitDisconnected(annTab)]);
      expectStatus(await request(stage.url).post('/api/auth/logout').set(bearer(ann.token)), 200);
      expect(await connectError(stage.url, '/operator', { token: ann.token })).toBe('UNAUTHENTICATED');
      await dropped;
      expect(ben.socket.connected).toBe(true);
    });

    it('a password change by an admin ends the operator’s live sockets too (their tokens are dead)', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      const dropped = waitDisconnected(ann.socket);
      expectStatus(await request(stage.url).patch(`/api/operators/${ann.id}`).set(bearer(stage.admin.token)).send({ password: 'a-brand-new-password' }), 200);
      expect(await connectError(stage.url, '/operator', { token: ann.token })).toBe('UNAUTHENTICATED');
      await dropped;
    });

    it('a role change by an admin ends the operator’s sockets; reconnected, they act with the new role', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', role: 'admin' });
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben', status: 'online' });
      const customer = await chatWith(ben);
      const setRole = async (role: 'operator' | 'admin', socket: Socket): Promise<Socket> => {
        const dropped = waitDisconnected(socket);
        expectStatus(await request(stage.url).patch(`/api/operators/${ann.id}`).set(bearer(stage.admin.token)).send({ role }), 200);
        expect(await dropped).toBe('io server disconnect');
        // The token itself is still good: the console reconnects with it.
        return connectOperator(stage.url, ann.token);
      };

      const demoted = await setRole('operator', ann.socket);
      await refused(demoted, 'session:close', { sessionId: customer.session.id }, 'FORBIDDEN');
      await refused(demoted, 'message:send', { sessionId: customer.session.id, content: 'still an admin?', clientMessageId: cmid() }, 'FORBIDDEN');
      expect((await sessionOf(customer.session.id)).status).toBe('active');

      const promoted = await setRole('admin', demoted);
      expect((await call<FullSession>(promoted, 'session:close', { sessionId: customer.session.id })).status).toBe('closed');
    });

    it('a console opened while already online hears the queue', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online', maxConcurrentSessions: 1 });
      const first = await createSession(stage.url);
      expect(first.session.operatorId).toBe(ann.id);
      const tab = await connectOperator(stage.url, ann.token);
      await sleep(300);
      const second = await createSession(stage.url);
      expect((await nextEvent<SessionMsg>(tab, 'session:new', undefined, (p) => p.session.id === second.session.id)).session.status).toBe('waiting');
      expect(await nextEvent(tab, 'queue:updated', undefined, (p: { waiting: number }) => p.waiting === 1)).toEqual({ waiting: 1 });
    });

    it('PATCH disabled:true disconnects the operator at once; other operators see them offline; the old token no longer connects; their chats go back to the queue', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben' });
      const customer = await createSession(stage.url);
      expect(customer.session.operatorId).toBe(ann.id);
      await sleep(100);
      clearEvents(ben.socket);
      const dropped = waitDisconnected(ann.socket);
      expectStatus(await request(stage.url).patch(`/api/operators/${ann.id}`).set(bearer(stage.admin.token)).send({ disabled: true }), 200);
      await dropped;
      expect(await nextEvent<StatusMsg>(ben.socket, 'operator:status', undefined, (p) => p.operatorId === ann.id)).toEqual({ operatorId: ann.id, status: 'offline' });
      expect(await connectError(stage.url, '/operator', { token: ann.token })).toBe('UNAUTHENTICATED');
      expect(ben.socket.connected).toBe(true);
      // The chat she held does not wait on someone who can no longer sign in: Ben, coming online, gets it.
      expect((await operatorOf(ann.id)).activeSessions).toBe(0);
      const assigned = nextEvent<SessionMsg>(ben.socket, 'session:assigned', undefined, (p) => p.session.id === customer.session.id);
      await call(ben.socket, 'status:set', { status: 'online' });
      expect((await assigned).session).toMatchObject({ status: 'active', operatorId: ben.id });
    });
  });
});

describeEachBackend('realtime /operator', (backend) => {
  const stage = serverPerTest(backend, { OPERATOR_PRESENCE_GRACE_SECONDS: '1' });
  const { operatorOf } = adminView(stage);

  describe('presence (OPERATOR_PRESENCE_GRACE_SECONDS=1)', () => {
    it('an operator whose only socket drops goes offline after the grace; other operators hear it', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben' });
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
      const customer = await createSession(stage.url);
      expect(customer.session).toMatchObject({ status: 'waiting', operatorId: null });
    });

    it('new chats stop going to an operator the moment their last socket drops; back within the grace, they get the chat that waited', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      // A second tab closing changes nothing: her first is still open.
      (await connectOperator(stage.url, ann.token)).disconnect();
      await sleep(150);
      expect((await createSession(stage.url)).session).toMatchObject({ status: 'active', operatorId: ann.id });

      ann.socket.disconnect();
      await sleep(150);
      const waiting = await createSession(stage.url);
      expect(waiting.session).toMatchObject({ status: 'waiting', operatorId: null });
      expect((await operatorOf(ann.id)).status).toBe('online');

      const back = await connectOperator(stage.url, ann.token);
      const heard = await nextEvent<SessionMsg>(back, 'session:assigned', 3_000, (p) => p.session.id === waiting.session.id);
      expect(heard.session).toMatchObject({ status: 'active', operatorId: ann.id });
      back.disconnect();
    });

    it('reconnecting within the grace keeps the operator online; so does a second tab staying open', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben', status: 'online' });
      await sleep(100);
      clearEvents(ben.socket, ann.socket);

      ann.socket.disconnect();
      await sleep(300);
      const back = await connectOperator(stage.url, ann.token);
      // A second tab of Ben closes; his first stays.
      const benTab = await connectOperator(stage.url, ben.token);
      benTab.disconnect();
      await sleep(2_500);
      await expectNoEvent(ben.socket, 'operator:status', 0);
      await expectNoEvent(back, 'operator:status', 0);
      expect((await operatorOf(ann.id)).status).toBe('online');
      expect((await operatorOf(ben.id)).status).toBe('online');
    });
  });
});
