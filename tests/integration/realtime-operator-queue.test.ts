import { SignJWT } from 'jose';
import { describeEachBackend } from '../helpers/backends';
import { createSession, type OperatorBody } from '../helpers/api';
import { call, clearEvents, connectError, connectOperator, connectedCustomer, connectedOperator, emitWithAck, expectAckError, expectNoEvent, expectSilent, nextEvent, refused, type FullSession, type MessageMsg, type SessionMsg, type StatusMsg } from '../helpers/sockets';
import { adminView, serverPerTest } from '../helpers/scenarios';
import { sleep } from '../helpers/wait';

/**
 * The /operator namespace as the operator console uses it: one operator acts, the customer and other
 * operators observe. A refusal is checked by its ack code, by the observers' silence and by the database.
 *
 * Here: the handshake, the status, and the queue under manual routing (who hears of it, who takes it).
 */

const JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

describeEachBackend('realtime /operator', (backend) => {
  const stage = serverPerTest(backend);

  describe('handshake', () => {
    it('no token, a bad, forged or expired token, or a customer token: connect_error UNAUTHENTICATED', async () => {
      const op = await connectedOperator(stage.url, stage.admin.token);
      const customer = await createSession(stage.url);
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
      for (const auth of bad) expect(await connectError(stage.url, '/operator', auth)).toBe('UNAUTHENTICATED');
      expect(await connectError(stage.url, '/operator', { token: customer.customerToken }, { transports: ['polling'] })).toBe('UNAUTHENTICATED');
      expect(op.socket.connected).toBe(true);
    });
  });
});

describeEachBackend('realtime /operator', (backend) => {
  const stage = serverPerTest(backend, { ASSIGNMENT_STRATEGY: 'manual' });
  const { sessionOf, operatorOf } = adminView(stage);

  describe('status and queue', () => {
    it('status:set answers with the operator; operator:status reaches every operator socket, whatever their status', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann' });
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben' });
      const benTab = await connectOperator(stage.url, ben.token);
      const adminSocket = await connectOperator(stage.url, stage.admin.token);

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
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben', status: 'busy' });
      const cid = await connectedOperator(stage.url, stage.admin.token, { name: 'Cid' });
      await sleep(100);
      clearEvents(ann.socket, ben.socket, cid.socket);

      const first = await createSession(stage.url, { customerName: 'First' });
      expect((await nextEvent<SessionMsg>(ann.socket, 'session:new')).session).toMatchObject({ id: first.session.id, status: 'waiting', queuePosition: 1 });
      expect(await nextEvent(ann.socket, 'queue:updated', undefined, (p: { waiting: number }) => p.waiting === 1)).toEqual({ waiting: 1 });
      await expectSilent([ben.socket, cid.socket], ['session:new', 'queue:updated']);

      // Ben comes online: from now on he hears the queue too. Ann goes offline: she stops hearing it.
      await call(ben.socket, 'status:set', { status: 'online' });
      await call(ann.socket, 'status:set', { status: 'offline' });
      clearEvents(ann.socket, ben.socket, cid.socket);
      const second = await createSession(stage.url, { customerName: 'Second' });
      expect((await nextEvent<SessionMsg>(ben.socket, 'session:new')).session).toMatchObject({ id: second.session.id, queuePosition: 2 });
      expect(await nextEvent(ben.socket, 'queue:updated', undefined, (p: { waiting: number }) => p.waiting === 2)).toEqual({ waiting: 2 });
      await expectSilent([ann.socket, cid.socket], ['session:new', 'queue:updated']);

      // A session leaving the queue updates the count.
      await call(ben.socket, 'session:join', { sessionId: first.session.id });
      expect(await nextEvent(ben.socket, 'queue:updated', undefined, (p: { waiting: number }) => p.waiting === 1)).toEqual({ waiting: 1 });
    });

    it('session:join takes a waiting session; the next operator gets ALREADY_ASSIGNED and nothing changes', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online', maxConcurrentSessions: 2 });
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben', status: 'online' });
      const customer = await connectedCustomer(stage.url, { customerName: 'Carla' });
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
      const ann = await connectedOperator(stage.url, stage.admin.token, { status: 'online' });
      const ben = await connectedOperator(stage.url, stage.admin.token, { status: 'online' });
      const customer = await connectedCustomer(stage.url);
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
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online', maxConcurrentSessions: 1 });
      const first = await connectedCustomer(stage.url, { customerName: 'First' });
      const second = await connectedCustomer(stage.url, { customerName: 'Second' });
      await call(ann.socket, 'session:join', { sessionId: first.session.id });
      await sleep(150);
      clearEvents(second.socket, ann.socket);

      await refused(ann.socket, 'session:join', { sessionId: second.session.id }, 'OPERATOR_AT_CAPACITY');
      await expectSilent([second.socket], ['session:assigned', 'message:new']);
      expect(await sessionOf(second.session.id)).toMatchObject({ status: 'waiting', operatorId: null });
      expect((await operatorOf(ann.id)).activeSessions).toBe(1);

      await call(second.socket, 'session:close', {});
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben', status: 'online' });
      await refused(ben.socket, 'session:join', { sessionId: second.session.id }, 'SESSION_CLOSED');
      await refused(ben.socket, 'session:join', { sessionId: '7d3b7e63-1d0c-4b8e-9d59-9f8f5e7c0a11' }, 'NOT_FOUND');
      for (const payload of [{}, { sessionId: 'not-a-uuid' }, { sessionId: 5 }, { sessionId: [first.session.id] }]) {
        await refused(ben.socket, 'session:join', payload, 'VALIDATION_ERROR');
      }
      expect((await operatorOf(ben.id)).activeSessions).toBe(0);

      // Busy means "no new chats for me", not "I may not take one myself".
      const third = await connectedCustomer(stage.url, { customerName: 'Third' });
      await call(ben.socket, 'status:set', { status: 'busy' });
      expect(await call<FullSession>(ben.socket, 'session:join', { sessionId: third.session.id })).toMatchObject({ status: 'active', operatorId: ben.id });
      expect((await nextEvent<SessionMsg>(third.socket, 'session:assigned')).session.operatorId).toBe(ben.id);
    });
  });
});
