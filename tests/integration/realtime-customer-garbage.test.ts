import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { sleep } from '../helpers/wait';
import { expectStatus, type MessageBody } from '../helpers/api';
import { call, clearEvents, cmid, connectCustomer, emitArgs, emitWithAck, eventsOf, expectAckError, expectNoEvent, nextEvent, refused, waitDisconnected, CUSTOMER_EVENTS, GARBAGE, type ConnectedCustomer, type ConnectedOperator, type MessageMsg } from '../helpers/sockets';
import { adminView, liveChat, serverPerTest } from '../helpers/scenarios';

/**
 * The /customer namespace as the chat widget uses it: one client acts, another (the operator console, a
 * second tab) observes. A refusal is checked three ways: the ack's code, the observers' silence, and the
 * database unchanged.
 *
 * Here: garbage, missing acknowledgements, oversized packets, and the message rate limit.
 */

/** Garbage that is nonetheless a valid request for this event (nothing to refuse). */
const validAnyway = (event: string, label: string): boolean => event === 'session:close' && label === 'null';

describeEachBackend('realtime /customer', (backend) => {
  const stage = serverPerTest(backend);
  const { messagesOf, sessionOf } = adminView(stage);
  /** One online operator and a customer whose new chat went straight to them; both sides settled and quiet. */
  const chatting = () => liveChat(stage.url, stage.admin.token, { operator: { name: 'Olga Operator', maxConcurrentSessions: 5 }, customer: { customerName: 'Carla' } });

  async function expectHealthy(customer: ConnectedCustomer, op: ConnectedOperator): Promise<void> {
    expectStatus(await request(stage.url).get('/health'), 200);
    const message = await call<MessageBody>(customer.socket, 'message:send', { content: 'still here?', clientMessageId: cmid() });
    const heard = await nextEvent<MessageMsg>(op.socket, 'message:new', undefined, (p) => p.message.id === message.id);
    expect(heard.message.content).toBe('still here?');
  }

  describe('garbage and missing acknowledgements', () => {
    it.each(CUSTOMER_EVENTS)('%s: every garbage payload is refused with VALIDATION_ERROR; nothing is broadcast or stored', async (event) => {
      const { op, customer } = await chatting();
      const tab = await connectCustomer(stage.url, customer.customerToken);
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
        expectStatus(await request(stage.url).get('/health'), 200);
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
      const tab = await connectCustomer(stage.url, customer.customerToken);
      const limit = stage.server.config.maxMessageLength * 4 + 4 * 1024;
      const gone = waitDisconnected(tab);
      tab.emit('message:send', { content: 'x'.repeat(limit + 1_000), clientMessageId: cmid() }, () => undefined);
      await gone;
      expect((await messagesOf(customer.session.id)).some((m) => m.content.length > 5_000)).toBe(false);
      expect(customer.socket.connected).toBe(true);
      await expectHealthy(customer, op);
    });
  });
});

describeEachBackend('realtime /customer', (backend) => {
  const stage = serverPerTest(backend, { RATE_LIMIT_MESSAGES_PER_10_SECONDS: '3' });
  const { messagesOf } = adminView(stage);

  describe('rate limit', () => {
    it('the 4th message within 10 s is RATE_LIMITED: not stored, not broadcast', async () => {
      const { op, customer } = await liveChat(stage.url, stage.admin.token, { operator: { name: 'Olga Operator', maxConcurrentSessions: 5 }, customer: { customerName: 'Carla' } });
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
});
