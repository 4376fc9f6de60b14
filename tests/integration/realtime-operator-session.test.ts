import { describeEachBackend } from '../helpers/backends';
import { call, clearEvents, cmid, connectCustomer, connectOperator, connectedCustomer, connectedOperator, expectNoEvent, expectSilent, nextEvent, refused, type ConnectedOperator, type FullMessage, type FullSession, type MessageMsg, type SessionMsg } from '../helpers/sockets';
import { adminView, assignedChat, serverPerTest } from '../helpers/scenarios';
import { sleep } from '../helpers/wait';

/**
 * The /operator namespace as the operator console uses it: one operator acts, the customer and other
 * operators observe. A refusal is checked by its ack code, by the observers' silence and by the database.
 *
 * Here: working a session: messages, what an operator who does not hold it may not do, closing.
 */

describeEachBackend('realtime /operator', (backend) => {
  const stage = serverPerTest(backend);
  const { messagesOf, sessionOf, operatorOf } = adminView(stage);
  /** A customer whose chat went to `op` (the only available operator), both sides settled and quiet. */
  const chatWith = (op: ConnectedOperator, name = 'Carla') => assignedChat(stage.url, op, { customerName: name, socket: true });

  describe('working a session', () => {
    it('message:send: acknowledged once stored; the customer and the operator’s other tabs receive it; idempotent', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { status: 'online' });
      const customer = await chatWith(ann);
      const annTab = await connectOperator(stage.url, ann.token);
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
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online', maxConcurrentSessions: 1 });
      const customer = await chatWith(ann);
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben', status: 'online' });
      const tab = await connectCustomer(stage.url, customer.customerToken);
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
      const boss = await connectOperator(stage.url, stage.admin.token);
      const note = await call<FullMessage>(boss, 'message:send', { sessionId, content: 'Admin here', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(customer.socket, 'message:new')).message.id).toBe(note.id);
    });

    it('an operator cannot send to a session still waiting in the queue', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { status: 'busy' });
      const customer = await connectedCustomer(stage.url);
      await nextEvent(customer.socket, 'session:queued');
      await refused(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'jumping the queue', clientMessageId: cmid() }, 'FORBIDDEN');
      await expectSilent([customer.socket], ['message:new']);
      expect(await messagesOf(customer.session.id)).toEqual([]);
    });

    it('session:close by the operator: session:closed to the customer and the operator; second close SESSION_CLOSED; the freed seat takes the next in line', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online', maxConcurrentSessions: 1 });
      const customer = await chatWith(ann);
      const next = await connectedCustomer(stage.url, { customerName: 'Next' });
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
  });
});
