import { describeEachBackend } from '../helpers/backends';
import { sleep } from '../helpers/wait';
import type { MessageBody, SessionBody } from '../helpers/api';
import { call, clearEvents, cmid, connectCustomer, connectedCustomer, connectedOperator, emitWithAck, expectNoEvent, nextEvent, refused, type SessionMsg, type MessageMsg } from '../helpers/sockets';
import { adminView, liveChat, serverPerTest } from '../helpers/scenarios';

/**
 * The /customer namespace as the chat widget uses it: one client acts, another (the operator console, a
 * second tab) observes. A refusal is checked three ways: the ack's code, the observers' silence, and the
 * database unchanged.
 *
 * Here: typing, read receipts, closing, rating, and isolation between customers.
 */

describeEachBackend('realtime /customer', (backend) => {
  const stage = serverPerTest(backend);
  const { messagesOf, sessionOf } = adminView(stage);
  /** One online operator and a customer whose new chat went straight to them; both sides settled and quiet. */
  const chatting = () => liveChat(stage.url, stage.admin.token, { operator: { name: 'Olga Operator', maxConcurrentSessions: 5 }, customer: { customerName: 'Carla' } });

  describe('typing and read receipts', () => {
    it('typing travels both ways; a bad payload is refused and nobody hears it', async () => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(stage.url, customer.customerToken);
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
    it('session:close by the customer: session:closed to every tab and to the operator; a second close is SESSION_CLOSED', async () => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(stage.url, customer.customerToken);
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
    it('every customer event acts on its own session only, whatever sessionId the payload names', async () => {
      const op = await connectedOperator(stage.url, stage.admin.token, { status: 'online', maxConcurrentSessions: 5 });
      const mallory = await connectedCustomer(stage.url, { customerName: 'Mallory' });
      const victim = await connectedCustomer(stage.url, { customerName: 'Victim' });
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
});
