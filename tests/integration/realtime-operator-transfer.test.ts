import { describeEachBackend } from '../helpers/backends';
import { call, clearEvents, cmid, connectedOperator, expectNoEvent, expectSilent, nextEvent, refused, type ConnectedOperator, type FullMessage, type FullSession, type MessageMsg, type QueuedMsg, type SessionMsg, type TransferredMsg } from '../helpers/sockets';
import { adminView, assignedChat, serverPerTest } from '../helpers/scenarios';
import { sleep } from '../helpers/wait';

/**
 * The /operator namespace as the operator console uses it: one operator acts, the customer and other
 * operators observe. A refusal is checked by its ack code, by the observers' silence and by the database.
 *
 * Here: working a session: transfers, to an operator or a department, and their refusals.
 */

describeEachBackend('realtime /operator', (backend) => {
  const stage = serverPerTest(backend);
  const { sessionOf, operatorOf } = adminView(stage);
  /** A customer whose chat went to `op` (the only available operator), both sides settled and quiet. */
  const chatWith = (op: ConnectedOperator, name = 'Carla') => assignedChat(stage.url, op, { customerName: name, socket: true });

  describe('working a session', () => {
    it('session:transfer to an operator: session:unassigned to the old one, session:assigned to the new one, session:transferred to the customer', async () => {
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      const customer = await chatWith(ann);
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben', status: 'online' });
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
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      const customer = await chatWith(ann);
      const bill = await connectedOperator(stage.url, stage.admin.token, { name: 'Bill', status: 'online', departments: ['billing'] });
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
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      const customer = await chatWith(ann);
      const ben = await connectedOperator(stage.url, stage.admin.token, { name: 'Ben', status: 'online' });
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
      const ann = await connectedOperator(stage.url, stage.admin.token, { name: 'Ann', status: 'online' });
      const customer = await chatWith(ann);
      const full = await connectedOperator(stage.url, stage.admin.token, { name: 'Full', status: 'online', maxConcurrentSessions: 1 });
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
});
