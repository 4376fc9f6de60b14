import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { sleep, waitFor } from '../helpers/wait';
import { bearer, closeSession, createOperator, createSession, expectError, expectStatus, getData, getOperator, getSession, sendChecked, sendMessage, setStatus, type OperatorBody, type SessionBody } from '../helpers/api';
import { assignedChat, claimedChat, onlineOperator, serverPerTest } from '../helpers/scenarios';

/** An operator's figures (GET /api/operators/stats) and their capacity at work. */

interface OperatorStats {
  operatorId: number;
  avgFirstResponseSeconds: number;
}

describeEachBackend('operator stats and capacity', (backend) => {
  const stage = serverPerTest(backend);
  const patch = (id: number, body: Record<string, unknown>) => sendChecked(request(stage.url).patch(`/api/operators/${id}`).set(bearer(stage.admin.token)).send(body));

  it('stats: real figures after a scripted conversation', async () => {
    const { url, admin } = stage;
    // Dora (busy) holds one chat she never answers; Ann holds five and goes busy; Cat only reads. Eve takes what comes.
    const dora = await onlineOperator(url, admin.token, { name: 'Dora', maxConcurrentSessions: 2, status: 'busy' });
    await claimedChat(url, dora);
    const ann = await onlineOperator(url, admin.token, { name: 'Ann', maxConcurrentSessions: 5 });
    for (let i = 0; i < 5; i++) await assignedChat(url, ann);
    await setStatus(url, ann.token, ann.id, 'busy');
    const cat = await createOperator(url, admin.token, { name: 'Cat', maxConcurrentSessions: 1 });
    const eve = await onlineOperator(url, admin.token, { name: 'Eve', maxConcurrentSessions: 5 });

    const responseTimes: number[] = [];
    for (const [delay, rating] of [
      [300, 4],
      [700, 5],
    ] as const) {
      const customer = await createSession(url, { customerName: `Rated ${rating}`, message: 'Hi!' });
      expect(customer.session.operatorId).toBe(eve.id);
      await sleep(delay);
      const reply = await sendMessage(url, eve.token, customer.session.id, { content: 'Hello, how can I help?' });
      await sendMessage(url, eve.token, customer.session.id, { content: 'A second reply does not count.' });
      responseTimes.push((Date.parse(reply.createdAt) - Date.parse(customer.session.assignedAt!)) / 1000);
      await closeSession(url, eve.token, customer.session.id);
      const rated = await sendChecked(request(url).post(`/api/chat/sessions/${customer.session.id}/rating`).set(bearer(customer.customerToken)).send({ rating }));
      expectStatus(rated, 200);
    }
    // A third chat stays open and unanswered: it counts as active, not in the averages.
    await createSession(url, { customerName: 'Still open' });

    const stats = await getData<{ operators: OperatorStats[]; overall: Record<string, number> }>(url, cat.token, '/api/operators/stats');
    const forEve = stats.operators.find((o) => o.operatorId === eve.id)!;
    const expectedAverage = (responseTimes[0]! + responseTimes[1]!) / 2;
    expect(forEve).toMatchObject({ operatorId: eve.id, name: 'Eve', status: 'online', activeSessions: 1, closedToday: 2, avgRating: 4.5 });
    expect(forEve.avgFirstResponseSeconds).toBeGreaterThan(0.4);
    expect(Math.abs(forEve.avgFirstResponseSeconds - expectedAverage)).toBeLessThanOrEqual(0.06);

    const forDora = stats.operators.find((o) => o.operatorId === dora.id);
    expect(forDora).toMatchObject({ activeSessions: 1, closedToday: 0, avgFirstResponseSeconds: null, avgRating: null });

    const active = await getData<SessionBody[]>(url, admin.token, '/api/chat/sessions/active');
    expect(stats.overall).toMatchObject({
      waiting: active.filter((s) => s.status === 'waiting').length,
      active: active.filter((s) => s.status === 'active').length,
    });
    expect(stats.overall.active).toBeGreaterThanOrEqual(7);
    expect(typeof stats.overall.avgWaitSeconds).toBe('number');
    expect(stats.overall.avgWaitSeconds).toBeGreaterThanOrEqual(0);
  });

  it('raising an operator’s capacity hands them a waiting session within a second', async () => {
    const { url, admin } = stage;
    const online = await onlineOperator(url, admin.token, { name: 'Eve', maxConcurrentSessions: 5 });
    await assignedChat(url, online);
    const eve = (await getData<OperatorBody[]>(url, admin.token, '/api/operators')).find((o) => o.name === 'Eve')!;
    expect(eve).toMatchObject({ status: 'online', activeSessions: 1 });
    const narrowed = await patch(eve.id, { maxConcurrentSessions: 1 });
    expectStatus(narrowed, 200);
    const waiting = await createSession(url, { customerName: 'Patient' });
    expect(waiting.session.status).toBe('waiting');

    const widened = await patch(eve.id, { maxConcurrentSessions: 2 });
    expectStatus(widened, 200);
    const picked = await waitFor(
      async () => {
        const session = await getSession(url, waiting.customerToken, waiting.session.id);
        return session.status === 'active' && session;
      },
      1_000,
      'the waiting session to be assigned',
    );
    expect(picked).toMatchObject({ operatorId: eve.id });

    // Never below what she now holds (invariant 1): refused, and nothing of the request changes.
    const overloaded = await patch(eve.id, { maxConcurrentSessions: 1, name: 'Eve E.' });
    expectError(overloaded, 409, 'CONFLICT');
    expect(await getOperator(url, admin.token, eve.id)).toMatchObject({ name: 'Eve', maxConcurrentSessions: 2, activeSessions: 2 });
  });
});
