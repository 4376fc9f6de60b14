import { describeEachBackend } from '../helpers/backends';
import type { MessageBody } from '../helpers/api';
import { call, clearEvents, cmid, connectCustomer, emitWithAck, expectNoEvent, nextEvent, refused, type MessageMsg } from '../helpers/sockets';
import { adminView, liveChat, serverPerTest } from '../helpers/scenarios';

/**
 * The /customer namespace as the chat widget uses it: one client acts, another (the operator console, a
 * second tab) observes. A refusal is checked three ways: the ack's code, the observers' silence, and the
 * database unchanged.
 *
 * Here: sending, receiving and syncing messages.
 */

describeEachBackend('realtime /customer', (backend) => {
  const stage = serverPerTest(backend);
  const { messagesOf } = adminView(stage);
  /** One online operator and a customer whose new chat went straight to them; both sides settled and quiet. */
  const chatting = () => liveChat(stage.url, stage.admin.token, { operator: { name: 'Olga Operator', maxConcurrentSessions: 5 }, customer: { customerName: 'Carla' } });

  describe('messages', () => {
    it('message:send is acknowledged with the stored message, which the operator and every tab receive', async () => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(stage.url, customer.customerToken);
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

    it('a retry that comes after a reconnect (over a second later) is told again, with the same id, and stored once', async () => {
      const { op, customer } = await chatting();
      const clientMessageId = cmid();
      const first = await call<MessageBody>(customer.socket, 'message:send', { content: 'did this arrive?', clientMessageId });
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new')).message.id).toBe(first.id);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      // As a widget whose host died before telling anyone would: reconnected, it sends again what had no ack.
      const again = await call<MessageBody>(customer.socket, 'message:send', { content: 'did this arrive?', clientMessageId });
      expect(again).toEqual(first);
      expect((await nextEvent<MessageMsg>(op.socket, 'message:new')).message).toEqual(first);
      expect((await messagesOf(customer.session.id)).filter((m) => m.clientMessageId === clientMessageId)).toHaveLength(1);
    });

    it('message:new reaches every tab and the operator, each in id order', async () => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(stage.url, customer.customerToken);
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
      const back = await connectCustomer(stage.url, customer.customerToken);
      const { messages } = await call<{ messages: MessageBody[] }>(back, 'messages:sync', { afterId: lastSeen });
      expect(messages).toEqual(whileAway);
      expect(messages.map((m) => m.content)).toEqual(['while away 1', 'while away 2', 'while away 3']);
      // And from now on it hears new ones live.
      const live = await call<MessageBody>(op.socket, 'message:send', { sessionId: customer.session.id, content: 'welcome back', clientMessageId: cmid() });
      expect((await nextEvent<MessageMsg>(back, 'message:new')).message.id).toBe(live.id);
    });
  });
});
