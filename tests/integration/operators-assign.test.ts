import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { bearer, closeSession, createSession, expectError, expectStatus, getData, getOperator, getSession, sendChecked, sessionEvents, setStatus, type SessionBody } from '../helpers/api';
import { assignedChat, claimedChat, onlineOperator, queueOf, serverPerTest } from '../helpers/scenarios';

/** POST /api/operators/assign: an operator takes a waiting session, an admin hands one to someone, routing on demand. */

describeEachBackend('POST /api/operators/assign', (backend) => {
  // What waits, and who is available, is the server's whole state: each test gets a server of its own.
  const stage = serverPerTest(backend);
  const assign = (token: string, body: Record<string, unknown>) => sendChecked(request(stage.url).post('/api/operators/assign').set(bearer(token)).send(body));
  const operator = (name: string, maxConcurrentSessions: number, status: 'online' | 'busy' | 'offline') =>
    onlineOperator(stage.url, stage.admin.token, { name, maxConcurrentSessions, status });

  it('an operator takes a waiting session for themselves (even while busy)', async () => {
    const { url, admin } = stage;
    const cat = await operator('Cat', 1, 'busy');
    const [q2] = await queueOf(url, 1, { names: ['Q2'] });
    const res = await assign(cat.token, { sessionId: q2!.session.id, operatorId: cat.id });
    expectStatus(res, 200);
    expect(res.body.data.session).toMatchObject({ id: q2!.session.id, status: 'active', operatorId: cat.id });
    expect(res.body.data.operator).toMatchObject({ id: cat.id, activeSessions: 1 });
    expect(await getSession(url, q2!.customerToken, q2!.session.id)).toMatchObject({ operatorId: cat.id });
    const trail = await sessionEvents(url, admin.token, q2!.session.id);
    expect(trail.find((e) => e.type === 'assigned')).toMatchObject({ operatorId: cat.id, detail: { strategy: 'manual', reason: expect.any(String) } });
  });

  it('a full operator cannot take one more: 409 OPERATOR_AT_CAPACITY, the session keeps waiting', async () => {
    const { url, admin } = stage;
    const cat = await operator('Cat', 1, 'busy');
    await claimedChat(url, cat, { customerName: 'Q2' });
    const [q3] = await queueOf(url, 1, { names: ['Q3'] });
    const res = await assign(cat.token, { sessionId: q3!.session.id, operatorId: cat.id });
    expectError(res, 409, 'OPERATOR_AT_CAPACITY');
    expect(await getSession(url, q3!.customerToken, q3!.session.id)).toMatchObject({ status: 'waiting', operatorId: null });
    expect(await getOperator(url, admin.token, cat.id)).toMatchObject({ activeSessions: 1 });
  });

  it('only an admin assigns to someone else', async () => {
    const { url, admin } = stage;
    const cat = await operator('Cat', 1, 'busy');
    const dora = await operator('Dora', 2, 'offline');
    const [q3] = await queueOf(url, 1, { names: ['Q3'] });
    // Dora is offline: the refusal says so, rather than that she is full.
    const offline = await assign(admin.token, { sessionId: q3!.session.id, operatorId: dora.id });
    expectError(offline, 409, 'OPERATOR_AT_CAPACITY');
    expect(offline.body.error.message).toBe('Dora is offline and cannot take another session now');
    await setStatus(url, dora.token, dora.id, 'busy');
    const byCat = await assign(cat.token, { sessionId: q3!.session.id, operatorId: dora.id });
    expectError(byCat, 403, 'FORBIDDEN');
    expect(await getSession(url, q3!.customerToken, q3!.session.id)).toMatchObject({ status: 'waiting' });

    const byAdmin = await assign(admin.token, { sessionId: q3!.session.id, operatorId: dora.id });
    expectStatus(byAdmin, 200);
    expect(byAdmin.body.data.session).toMatchObject({ id: q3!.session.id, status: 'active', operatorId: dora.id });
    expect(await getOperator(url, admin.token, dora.id)).toMatchObject({ activeSessions: 1 });
  });

  it('nobody available: 409 NO_OPERATOR_AVAILABLE, and the session stays queued', async () => {
    const { url, admin } = stage;
    const cat = await operator('Cat', 1, 'busy');
    const lonely = await createSession(url, { customerName: 'Lonely' });
    expect(lonely.session.status).toBe('waiting');
    for (const strategy of [undefined, 'round-robin', 'longest-idle']) {
      const res = await assign(cat.token, { sessionId: lonely.session.id, strategy });
      expectError(res, 409, 'NO_OPERATOR_AVAILABLE');
    }
    expect(await getSession(url, lonely.customerToken, lonely.session.id)).toMatchObject({ status: 'waiting', queuePosition: 1 });
    const pending = await getData<SessionBody[]>(url, admin.token, '/api/operators/pending-sessions');
    expect(pending.map((s) => s.id)).toEqual([lonely.session.id]);
  });

  it('an active session: 409 ALREADY_ASSIGNED; a closed one: 409 SESSION_CLOSED; an unknown one: 404', async () => {
    const { url, admin } = stage;
    // Dora (busy) has taken one chat; Ann's two seats are full; Lonely waits.
    const dora = await operator('Dora', 2, 'busy');
    await claimedChat(url, dora);
    const ann = await operator('Ann', 2, 'online');
    const active = await assignedChat(url, ann);
    await assignedChat(url, ann);
    const lonely = await createSession(url, { customerName: 'Lonely' });
    expect(lonely.session.status).toBe('waiting');

    const auto = await assign(admin.token, { sessionId: active.session.id });
    expectError(auto, 409, 'ALREADY_ASSIGNED');
    // Dora has a free seat: what stops her is that Ann already has the chat.
    const toSelf = await assign(dora.token, { sessionId: active.session.id, operatorId: dora.id });
    expectError(toSelf, 409, 'ALREADY_ASSIGNED');
    expect(await getSession(url, active.customerToken, active.session.id)).toMatchObject({ operatorId: ann.id });
    expect(await getOperator(url, admin.token, dora.id)).toMatchObject({ activeSessions: 1 });

    await closeSession(url, lonely.customerToken, lonely.session.id);
    expectError(await assign(admin.token, { sessionId: lonely.session.id }), 409, 'SESSION_CLOSED');
    const unknown = await assign(admin.token, { sessionId: '0b3c1a5e-8f1d-4e1a-9c44-3f2b1d0e9a77' });
    expectError(unknown, 404, 'NOT_FOUND');
  });
});
