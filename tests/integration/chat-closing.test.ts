import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { bearer, closeSession, createOperator, expectError, expectStatus, getOperator, getSession, listMessages, sendMessage, sessionEvents, setStatus, type Staff } from '../helpers/api';
import { assignedChat, onlineOperator, queueOf, serverPerTest } from '../helpers/scenarios';

/** Closing a chat and rating it over REST, and the audit trail it leaves. */

describeEachBackend('closing and rating a chat', (backend) => {
  const stage = serverPerTest(backend);
  const alice = (): Promise<Staff> => onlineOperator(stage.url, stage.admin.token, { name: 'Alice Agent', maxConcurrentSessions: 20 });
  const activeSessionsOf = async (staff: Staff) => (await getOperator(stage.url, stage.admin.token, staff.id)).activeSessions;

  it('rating an open session is 409', async () => {
    const { url } = stage;
    const first = await assignedChat(url, await alice(), { customerName: 'Carla' });
    const res = await request(url).post(`/api/chat/sessions/${first.session.id}/rating`).set(bearer(first.customerToken)).send({ rating: 5 });
    expectStatus(res, 409);
    expect((await getSession(url, first.customerToken, first.session.id)).rating).toBeNull();
  });

  it('close: 200, then 409 SESSION_CLOSED; messages to it are 409 SESSION_CLOSED; the seat is freed', async () => {
    const { url, admin } = stage;
    const agent = await alice();
    const first = await assignedChat(url, agent, { customerName: 'Carla' });
    await sendMessage(url, first.customerToken, first.session.id, { content: 'Is my order shipped?', clientMessageId: 'web-1' });

    const seatsBefore = await activeSessionsOf(agent);
    const closed = await closeSession(url, agent.token, first.session.id, 'resolved');
    expect(closed).toMatchObject({ id: first.session.id, status: 'closed', closedBy: 'operator' });
    expect(closed.closedAt).not.toBeNull();
    expect(await activeSessionsOf(agent)).toBe(seatsBefore - 1);

    for (const token of [agent.token, first.customerToken, admin.token]) {
      const again = await request(url).put(`/api/chat/sessions/${first.session.id}/close`).set(bearer(token)).send({});
      expectError(again, 409, 'SESSION_CLOSED');
      const message = await request(url).post(`/api/chat/sessions/${first.session.id}/messages`).set(bearer(token)).send({ content: 'still there?' });
      expectError(message, 409, 'SESSION_CLOSED');
    }
    expect(await activeSessionsOf(agent)).toBe(seatsBefore - 1);
    // A client retrying a message it sent before the close gets its acknowledgement, not an error.
    const retry = await request(url).post(`/api/chat/sessions/${first.session.id}/messages`).set(bearer(first.customerToken)).send({ content: 'Is my order shipped?', clientMessageId: 'web-1' });
    expectStatus(retry, 200);
    expect(retry.body.data).toMatchObject({ clientMessageId: 'web-1', content: 'Is my order shipped?' });
    const messages = await listMessages(url, first.customerToken, first.session.id, '?limit=200');
    expect(messages.map((m) => m.content)).not.toContain('still there?');
    expect(messages[messages.length - 1]).toMatchObject({ senderType: 'system', content: expect.stringContaining('resolved') });
  });

  it('rating: 1..5 only, once', async () => {
    const { url } = stage;
    const agent = await alice();
    const first = await assignedChat(url, agent, { customerName: 'Carla' });
    await closeSession(url, agent.token, first.session.id, 'resolved');

    const path = `/api/chat/sessions/${first.session.id}/rating`;
    for (const rating of [0, 6, 4.5, -1]) {
      const res = await request(url).post(path).set(bearer(first.customerToken)).send({ rating });
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'rating' })]);
    }
    const rated = await request(url).post(path).set(bearer(first.customerToken)).send({ rating: 4, comment: 'Quick and kind' });
    expectStatus(rated, 200);
    expect(rated.body.data).toMatchObject({ id: first.session.id, rating: 4, ratingComment: 'Quick and kind' });
    const again = await request(url).post(path).set(bearer(first.customerToken)).send({ rating: 1 });
    expectStatus(again, 409);
    expect(again.body.success).toBe(false);
    expect((await getSession(url, agent.token, first.session.id)).rating).toBe(4);
  });

  it('the customer can close their own chat', async () => {
    const { url } = stage;
    const second = await assignedChat(url, await alice(), { customerName: 'Dan' });
    const closed = await closeSession(url, second.customerToken, second.session.id);
    expect(closed).toMatchObject({ status: 'closed', closedBy: 'customer' });
  });

  it('the audit trail shows created, queued, assigned (strategy and reason) and closed, each with its time', async () => {
    const { url, admin } = stage;
    // Queued while nobody was online, taken when Alice comes online, closed by her, then rated.
    const [first] = await queueOf(url, 1, { names: ['Carla'] });
    const agent = await createOperator(url, admin.token, { name: 'Alice Agent', maxConcurrentSessions: 20 });
    await setStatus(url, agent.token, agent.id, 'online');
    await closeSession(url, agent.token, first!.session.id, 'resolved');
    expectStatus(await request(url).post(`/api/chat/sessions/${first!.session.id}/rating`).set(bearer(first!.customerToken)).send({ rating: 4 }), 200);

    const trail = await sessionEvents(url, admin.token, first!.session.id);
    expect(trail.map((e) => e.type)).toEqual(['created', 'queued', 'assigned', 'closed', 'rated']);
    const assigned = trail.find((e) => e.type === 'assigned')!;
    expect(assigned.operatorId).toBe(agent.id);
    expect(assigned.detail).toMatchObject({ strategy: 'least-busy', reason: expect.stringMatching(/^least-busy: \d+\/20 active$/) });
    expect(trail.find((e) => e.type === 'queued')!.detail).toMatchObject({ reason: expect.any(String) });
    expect(trail.find((e) => e.type === 'closed')!.detail).toMatchObject({ closedBy: 'operator', reason: 'resolved' });
    const times = trail.map((e) => Date.parse(e.createdAt));
    expect(times.every((t) => !Number.isNaN(t))).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});
