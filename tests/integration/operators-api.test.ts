import { SYSTEM } from '../../services/access';
import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import type { TestServer } from '../helpers/testServer';
import { sleep, waitFor } from '../helpers/wait';
import {
  PASSWORD,
  bearer,
  closeSession,
  createAdmin,
  createOperator,
  createSession,
  expectError,
  expectStatus,
  expectErrorEnvelope,
  expectNoSecrets,
  getOperator,
  getSession,
  login,
  sendMessage,
  setStatus,
  uniqueEmail,
  type Customer,
  type OperatorBody,
  type SessionBody,
  type Staff,
  startApiServer,
} from '../helpers/api';

/** Operators, their accounts and their work, as the operator console and an admin see them. */

/** Every response body this file received, to prove none carried a secret. */
const responses: string[] = [];
async function send(test: request.Test): Promise<request.Response> {
  const res = await test;
  responses.push(res.text);
  return res;
}

describeEachBackend('operator accounts', (backend) => {
  const adminEmail = 'Boss@Example.com';
  const adminPassword = 'bootstrap-admin-password';
  let server: TestServer;
  let url: string;
  let admin: Staff;

  beforeAll(async () => {
    server = await startApiServer(backend, { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword });
    url = server.url;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('the bootstrap admin logs in: 200 with a token and the operator, never a hash', async () => {
    const res = await send(request(url).post('/api/auth/login').send({ email: 'boss@example.com', password: adminPassword }));
    expectStatus(res, 200);
    expect(res.body.data).toEqual({ token: expect.any(String), operator: expect.objectContaining({ email: 'boss@example.com', role: 'admin', status: 'offline' }) });
    expectNoSecrets(res.text, adminPassword);
    const operator = res.body.data.operator as OperatorBody;
    admin = { id: operator.id, email: operator.email, password: adminPassword, token: res.body.data.token, operator };

    // The email is matched whatever its case.
    const upper = await send(request(url).post('/api/auth/login').send({ email: adminEmail.toUpperCase(), password: adminPassword }));
    expectStatus(upper, 200);
  });

  it('an unknown email and a wrong password get the same 401', async () => {
    const unknown = await send(request(url).post('/api/auth/login').send({ email: 'nobody@example.com', password: adminPassword }));
    const wrong = await send(request(url).post('/api/auth/login').send({ email: admin.email, password: 'not-the-password' }));
    expectError(unknown, 401, 'UNAUTHENTICATED');
    expectStatus(wrong, 401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('GET /auth/me is the caller', async () => {
    const res = await send(request(url).get('/api/auth/me').set(bearer(admin.token)));
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ id: admin.id, email: 'boss@example.com', role: 'admin' });
  });

  it('logout ends every token of that operator; a new login works', async () => {
    const tab1 = await login(url, admin.email, adminPassword);
    const tab2 = await login(url, admin.email, adminPassword);
    const out = await send(request(url).post('/api/auth/logout').set(bearer(tab1.token)));
    expectStatus(out, 200);
    for (const token of [tab1.token, tab2.token, admin.token]) {
      expectError(await send(request(url).get('/api/auth/me').set(bearer(token))), 401, 'UNAUTHENTICATED');
    }
    admin.token = (await login(url, admin.email, adminPassword)).token;
    expect((await send(request(url).get('/api/auth/me').set(bearer(admin.token)))).status).toBe(200);
  });

  it('an admin creates an operator (201) who can log in; a duplicate email is 409 CONFLICT', async () => {
    const email = uniqueEmail('new');
    const res = await send(
      request(url).post('/api/operators').set(bearer(admin.token)).send({ name: 'Nina New', email, password: PASSWORD, maxConcurrentSessions: 4, departments: ['sales', 'vip'] }),
    );
    expectStatus(res, 201);
    expect(res.body.data).toMatchObject({ name: 'Nina New', email, role: 'operator', status: 'offline', maxConcurrentSessions: 4, departments: ['sales', 'vip'], activeSessions: 0 });
    expect(typeof res.body.data.id).toBe('number');
    expect((await login(url, email)).operator.id).toBe(res.body.data.id);

    const defaults = await send(request(url).post('/api/operators').set(bearer(admin.token)).send({ name: 'Otto', email: uniqueEmail(), password: PASSWORD }));
    expectStatus(defaults, 201);
    expect(defaults.body.data).toMatchObject({ role: 'operator', departments: [], maxConcurrentSessions: expect.any(Number) });

    for (const duplicate of [email, email.toUpperCase()]) {
      const again = await send(request(url).post('/api/operators').set(bearer(admin.token)).send({ name: 'Copy', email: duplicate, password: PASSWORD }));
      expectError(again, 409, 'CONFLICT');
    }
    const list = await send(request(url).get('/api/operators').set(bearer(admin.token)));
    expect(list.body.data.filter((o: OperatorBody) => o.email === email)).toHaveLength(1);
  });

  describe('PATCH /api/operators/:id', () => {
    let olga: Staff;
    beforeAll(async () => {
      olga = await createOperator(url, admin.token, { name: 'Olga' });
    });

    it('changes capacity, departments and name, as everyone then sees', async () => {
      const res = await send(
        request(url).patch(`/api/operators/${olga.id}`).set(bearer(admin.token)).send({ maxConcurrentSessions: 7, departments: ['support'], name: 'Olga O.' }),
      );
      expectStatus(res, 200);
      expect(res.body.data).toMatchObject({ id: olga.id, maxConcurrentSessions: 7, departments: ['support'], name: 'Olga O.' });
      expect(await getOperator(url, olga.token, olga.id)).toMatchObject({ maxConcurrentSessions: 7, departments: ['support'], name: 'Olga O.' });
    });

    it('role: an operator made admin can create operators at once; made operator again, cannot', async () => {
      const attempt = () =>
        send(request(url).post('/api/operators').set(bearer(olga.token)).send({ name: 'By Olga', email: uniqueEmail(), password: PASSWORD }));
      expectError(await attempt(), 403, 'FORBIDDEN');
      expect((await send(request(url).patch(`/api/operators/${olga.id}`).set(bearer(admin.token)).send({ role: 'admin' }))).status).toBe(200);
      expect((await attempt()).status).toBe(201);
      expect((await send(request(url).patch(`/api/operators/${olga.id}`).set(bearer(admin.token)).send({ role: 'operator' }))).status).toBe(200);
      expectError(await attempt(), 403, 'FORBIDDEN');
    });

    it('password: the old one stops working, and so do the tokens issued with it', async () => {
      const res = await send(request(url).patch(`/api/operators/${olga.id}`).set(bearer(admin.token)).send({ password: 'a-brand-new-password' }));
      expectStatus(res, 200);
      expectNoSecrets(res.text, 'a-brand-new-password');
      expectError(await send(request(url).post('/api/auth/login').send({ email: olga.email, password: PASSWORD })), 401, 'UNAUTHENTICATED');
      expectError(await send(request(url).get('/api/auth/me').set(bearer(olga.token))), 401, 'UNAUTHENTICATED');
      olga.token = (await login(url, olga.email, 'a-brand-new-password')).token;
      olga.password = 'a-brand-new-password';
    });

    it('disabled: the token is refused at once, login is refused like a wrong password; enabled again, login works', async () => {
      await setStatus(url, olga.token, olga.id, 'online');
      const res = await send(request(url).patch(`/api/operators/${olga.id}`).set(bearer(admin.token)).send({ disabled: true }));
      expectStatus(res, 200);
      expect(res.body.data).toMatchObject({ status: 'offline' });
      expectError(await send(request(url).get('/api/auth/me').set(bearer(olga.token))), 401, 'UNAUTHENTICATED');
      const refused = await send(request(url).post('/api/auth/login').send({ email: olga.email, password: olga.password }));
      const wrong = await send(request(url).post('/api/auth/login').send({ email: olga.email, password: 'wrong-password' }));
      expectError(refused, 401, 'UNAUTHENTICATED');
      expect(refused.body).toEqual(wrong.body);
      const online = await send(request(url).get('/api/operators/online').set(bearer(admin.token)));
      expect(online.body.data.map((o: OperatorBody) => o.id)).not.toContain(olga.id);

      expect((await send(request(url).patch(`/api/operators/${olga.id}`).set(bearer(admin.token)).send({ disabled: false }))).status).toBe(200);
      expect((await login(url, olga.email, olga.password)).operator.id).toBe(olga.id);
    });

    it('the only admin can be neither demoted nor disabled (409 CONFLICT, nothing changes); with a second admin, they can', async () => {
      const patch = (id: number, body: Record<string, unknown>, token = admin.token) => send(request(url).patch(`/api/operators/${id}`).set(bearer(token)).send(body));
      for (const body of [{ role: 'operator' }, { disabled: true }]) {
        const res = await patch(admin.id, body);
        expectError(res, 409, 'CONFLICT');
        expect(res.body.error.message).toMatch(/only admin/);
      }
      expect(await getOperator(url, admin.token, admin.id)).toMatchObject({ role: 'admin', disabled: false });

      const deputy = await createOperator(url, admin.token, { name: 'Deputy', role: 'admin' });
      expectStatus(await patch(admin.id, { role: 'operator' }), 200);
      // Now the deputy is the only one left.
      expectError(await patch(deputy.id, { role: 'operator' }, deputy.token), 409, 'CONFLICT');
      expectStatus(await patch(admin.id, { role: 'admin' }, deputy.token), 200);
    });

    it('two admins demoting each other at once: one succeeds, the other gets 409, and an admin remains', async () => {
      const [x, y] = [await createOperator(url, admin.token, { name: 'X', role: 'admin' }), await createOperator(url, admin.token, { name: 'Y', role: 'admin' })];
      // Every other admin steps down first, so X and Y are the only two.
      const everyone = (await send(request(url).get('/api/operators').set(bearer(x.token)))).body.data as OperatorBody[];
      for (const other of everyone.filter((o) => o.role === 'admin' && o.id !== x.id && o.id !== y.id)) {
        expectStatus(await send(request(url).patch(`/api/operators/${other.id}`).set(bearer(x.token)).send({ role: 'operator' })), 200);
      }
      const results = await Promise.all([
        send(request(url).patch(`/api/operators/${x.id}`).set(bearer(y.token)).send({ role: 'operator' })),
        send(request(url).patch(`/api/operators/${y.id}`).set(bearer(x.token)).send({ disabled: true })),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const roles = await Promise.all([x, y].map(async (o) => (await server.server.db.models.Operator.findByPk(o.id))!));
      expect(roles.filter((o) => o.role === 'admin' && !o.disabled)).toHaveLength(1);
      // The one left promotes the bootstrap admin back, for the tests after this one.
      const left = [x, y][roles.findIndex((o) => o.role === 'admin' && !o.disabled)]!;
      expectStatus(await send(request(url).patch(`/api/operators/${admin.id}`).set(bearer(left.token)).send({ role: 'admin' })), 200);
    });

    it('an unknown operator is 404', async () => {
      expectError(await send(request(url).patch('/api/operators/999999').set(bearer(admin.token)).send({ name: 'Ghost' })), 404, 'NOT_FOUND');
      expectError(await send(request(url).get('/api/operators/999999').set(bearer(admin.token))), 404, 'NOT_FOUND');
    });
  });
});

describeEachBackend('operators at work', (backend) => {
  let server: TestServer;
  let url: string;
  let admin: Staff;
  let ann: Staff; // 2 seats
  let ben: Staff; // 3 seats
  let cat: Staff; // 1 seat, busy
  let dora: Staff; // offline
  const opened: Customer[] = [];

  beforeAll(async () => {
    server = await startApiServer(backend);
    url = server.url;
    admin = await createAdmin(server);
    ann = await createOperator(url, admin.token, { name: 'Ann', maxConcurrentSessions: 2 });
    ben = await createOperator(url, admin.token, { name: 'Ben', maxConcurrentSessions: 3 });
    cat = await createOperator(url, admin.token, { name: 'Cat', maxConcurrentSessions: 1 });
    dora = await createOperator(url, admin.token, { name: 'Dora', maxConcurrentSessions: 2 });
  });

  afterAll(async () => {
    await server?.close();
  });

  const ids = (list: Array<{ id: number | string }>) => list.map((o) => o.id);
  const get = async (path: string, token = admin.token) => {
    const res = await send(request(url).get(path).set(bearer(token)));
    expectStatus(res, 200);
    return res.body.data;
  };
  const open = async (body: Parameters<typeof createSession>[1] = {}) => {
    const customer = await createSession(url, body);
    opened.push(customer);
    return customer;
  };

  it('the list of all operators', async () => {
    const all = (await get('/api/operators', ann.token)) as OperatorBody[];
    expect(ids(all)).toEqual([admin.id, ann.id, ben.id, cat.id, dora.id]);
    expect(all.find((o) => o.id === ben.id)).toMatchObject({ name: 'Ben', email: ben.email, role: 'operator', status: 'offline', maxConcurrentSessions: 3, activeSessions: 0 });
  });

  it('PUT status: an operator sets their own (200); online and busy are "online", only online with a free seat is "available"', async () => {
    const res = await send(request(url).put(`/api/operators/${ann.id}/status`).set(bearer(ann.token)).send({ status: 'online' }));
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ id: ann.id, status: 'online' });
    await setStatus(url, ben.token, ben.id, 'online');
    await setStatus(url, cat.token, cat.id, 'busy');

    expect(ids(await get('/api/operators/online'))).toEqual([ann.id, ben.id, cat.id]);
    expect(ids(await get('/api/operators/available'))).toEqual([ann.id, ben.id]);
    expect(await getOperator(url, admin.token, cat.id)).toMatchObject({ status: 'busy' });
  });

  it('available: least loaded first; a full operator is left out', async () => {
    const first = await open();
    const second = await open();
    // Equal load goes to the one idle longest (Ann); then the lighter load relative to capacity (Ben).
    expect([first.session.operatorId, second.session.operatorId]).toEqual([ann.id, ben.id]);
    // Ann 1/2, Ben 1/3: Ben first.
    expect(ids(await get('/api/operators/available'))).toEqual([ben.id, ann.id]);
    const third = await open();
    const fourth = await open();
    expect([third.session.operatorId, fourth.session.operatorId]).toEqual([ben.id, ann.id]);
    // Ann 2/2 is full.
    const available = (await get('/api/operators/available')) as OperatorBody[];
    expect(ids(available)).toEqual([ben.id]);
    expect(available[0]).toMatchObject({ activeSessions: 2, maxConcurrentSessions: 3 });
    // Each one the same Operator a client reads from GET /api/operators/:id.
    expect(available[0]).toEqual(await getOperator(url, admin.token, ben.id));
  });

  it('one operator, and their active sessions', async () => {
    expect(await getOperator(url, ben.token, ann.id)).toMatchObject({ id: ann.id, name: 'Ann', activeSessions: 2, status: 'online' });
    const sessions = (await get(`/api/operators/${ann.id}/sessions`, ben.token)) as SessionBody[];
    expect(sessions.map((s) => s.id).sort()).toEqual([opened[0]!.session.id, opened[3]!.session.id].sort());
    expect(sessions.every((s) => s.status === 'active' && s.operatorId === ann.id)).toBe(true);
    expect(await get(`/api/operators/${dora.id}/sessions`)).toEqual([]);
  });

  it('pending sessions: the waiting queue in arrival order', async () => {
    await setStatus(url, ben.token, ben.id, 'busy');
    const queued = [await open({ customerName: 'Q1' }), await open({ customerName: 'Q2' }), await open({ customerName: 'Q3' })];
    expect(queued.map((c) => c.session.status)).toEqual(['waiting', 'waiting', 'waiting']);
    const pending = (await get('/api/operators/pending-sessions', cat.token)) as SessionBody[];
    expect(pending.map((s) => [s.customerName, s.queuePosition])).toEqual([
      ['Q1', 1],
      ['Q2', 2],
      ['Q3', 3],
    ]);
  });

  it('going online pulls waiting sessions at once, oldest first, up to the free seats', async () => {
    const ready = await setStatus(url, ben.token, ben.id, 'online');
    // Ben had 2 of 3 seats taken: he gets exactly one, the oldest waiting (Q1), before the answer comes back.
    expect(ready).toMatchObject({ status: 'online', activeSessions: 3 });
    const q1 = opened.find((c) => c.session.customerName === 'Q1')!;
    expect(await getSession(url, q1.customerToken, q1.session.id)).toMatchObject({ status: 'active', operatorId: ben.id });
    const pending = (await get('/api/operators/pending-sessions')) as SessionBody[];
    expect(pending.map((s) => [s.customerName, s.queuePosition])).toEqual([
      ['Q2', 1],
      ['Q3', 2],
    ]);
  });

  describe('POST /api/operators/assign', () => {
    const byName = (name: string) => opened.find((c) => c.session.customerName === name)!;

    it('an operator takes a waiting session for themselves (even while busy)', async () => {
      const q2 = byName('Q2');
      const res = await send(request(url).post('/api/operators/assign').set(bearer(cat.token)).send({ sessionId: q2.session.id, operatorId: cat.id }));
      expectStatus(res, 200);
      expect(res.body.data.session).toMatchObject({ id: q2.session.id, status: 'active', operatorId: cat.id });
      expect(res.body.data.operator).toMatchObject({ id: cat.id, activeSessions: 1 });
      expect(await getSession(url, q2.customerToken, q2.session.id)).toMatchObject({ operatorId: cat.id });
      const trail = await get(`/api/chat/sessions/${q2.session.id}/events`);
      expect(trail.find((e: { type: string }) => e.type === 'assigned')).toMatchObject({ operatorId: cat.id, detail: { strategy: 'manual', reason: expect.any(String) } });
    });

    it('a full operator cannot take one more: 409 OPERATOR_AT_CAPACITY, the session keeps waiting', async () => {
      const q3 = byName('Q3');
      const res = await send(request(url).post('/api/operators/assign').set(bearer(cat.token)).send({ sessionId: q3.session.id, operatorId: cat.id }));
      expectError(res, 409, 'OPERATOR_AT_CAPACITY');
      expect(await getSession(url, q3.customerToken, q3.session.id)).toMatchObject({ status: 'waiting', operatorId: null });
      expect(await getOperator(url, admin.token, cat.id)).toMatchObject({ activeSessions: 1 });
    });

    it('only an admin assigns to someone else', async () => {
      const q3 = byName('Q3');
      // Dora is offline: the refusal says so, rather than that she is full.
      const offline = await send(request(url).post('/api/operators/assign').set(bearer(admin.token)).send({ sessionId: q3.session.id, operatorId: dora.id }));
      expectError(offline, 409, 'OPERATOR_AT_CAPACITY');
      expect(offline.body.error.message).toBe('Dora is offline and cannot take another session now');
      await setStatus(url, dora.token, dora.id, 'busy');
      const byCat = await send(request(url).post('/api/operators/assign').set(bearer(cat.token)).send({ sessionId: q3.session.id, operatorId: dora.id }));
      expectError(byCat, 403, 'FORBIDDEN');
      expect(await getSession(url, q3.customerToken, q3.session.id)).toMatchObject({ status: 'waiting' });

      const byAdmin = await send(request(url).post('/api/operators/assign').set(bearer(admin.token)).send({ sessionId: q3.session.id, operatorId: dora.id }));
      expectStatus(byAdmin, 200);
      expect(byAdmin.body.data.session).toMatchObject({ id: q3.session.id, status: 'active', operatorId: dora.id });
      expect(await getOperator(url, admin.token, dora.id)).toMatchObject({ activeSessions: 1 });
    });

    it('nobody available: 409 NO_OPERATOR_AVAILABLE, and the session stays queued', async () => {
      const lonely = await open({ customerName: 'Lonely' });
      expect(lonely.session.status).toBe('waiting');
      for (const strategy of [undefined, 'round-robin', 'longest-idle']) {
        const res = await send(request(url).post('/api/operators/assign').set(bearer(cat.token)).send({ sessionId: lonely.session.id, strategy }));
        expectError(res, 409, 'NO_OPERATOR_AVAILABLE');
      }
      expect(await getSession(url, lonely.customerToken, lonely.session.id)).toMatchObject({ status: 'waiting', queuePosition: 1 });
      expect(ids(await get('/api/operators/pending-sessions'))).toEqual([lonely.session.id]);
    });

    it('an active session: 409 ALREADY_ASSIGNED; a closed one: 409 SESSION_CLOSED; an unknown one: 404', async () => {
      const active = opened[0]!;
      const auto = await send(request(url).post('/api/operators/assign').set(bearer(admin.token)).send({ sessionId: active.session.id }));
      expectError(auto, 409, 'ALREADY_ASSIGNED');
      // Dora has a free seat: what stops her is that Ann already has the chat.
      const toSelf = await send(request(url).post('/api/operators/assign').set(bearer(dora.token)).send({ sessionId: active.session.id, operatorId: dora.id }));
      expectError(toSelf, 409, 'ALREADY_ASSIGNED');
      expect(await getSession(url, active.customerToken, active.session.id)).toMatchObject({ operatorId: ann.id });
      expect(await getOperator(url, admin.token, dora.id)).toMatchObject({ activeSessions: 1 });

      const lonely = byName('Lonely');
      await closeSession(url, lonely.customerToken, lonely.session.id);
      expectError(await send(request(url).post('/api/operators/assign').set(bearer(admin.token)).send({ sessionId: lonely.session.id })), 409, 'SESSION_CLOSED');
      const unknown = await send(request(url).post('/api/operators/assign').set(bearer(admin.token)).send({ sessionId: '0b3c1a5e-8f1d-4e1a-9c44-3f2b1d0e9a77' }));
      expectError(unknown, 404, 'NOT_FOUND');
    });
  });

  it('stats: real figures after a scripted conversation', async () => {
    const eve = await createOperator(url, admin.token, { name: 'Eve', maxConcurrentSessions: 5 });
    for (const staff of [ann, ben, cat, dora]) await setStatus(url, staff.token, staff.id, 'busy');
    await setStatus(url, eve.token, eve.id, 'online');

    const responseTimes: number[] = [];
    for (const [delay, rating] of [
      [300, 4],
      [700, 5],
    ] as const) {
      const customer = await open({ customerName: `Rated ${rating}`, message: 'Hi!' });
      expect(customer.session.operatorId).toBe(eve.id);
      await sleep(delay);
      const reply = await sendMessage(url, eve.token, customer.session.id, { content: 'Hello, how can I help?' });
      await sendMessage(url, eve.token, customer.session.id, { content: 'A second reply does not count.' });
      responseTimes.push((Date.parse(reply.createdAt) - Date.parse(customer.session.assignedAt!)) / 1000);
      await closeSession(url, eve.token, customer.session.id);
      const rated = await send(request(url).post(`/api/chat/sessions/${customer.session.id}/rating`).set(bearer(customer.customerToken)).send({ rating }));
      expectStatus(rated, 200);
    }
    // A third chat stays open and unanswered: it counts as active, not in the averages.
    await open({ customerName: 'Still open' });

    const stats = await get('/api/operators/stats', cat.token);
    const forEve = stats.operators.find((o: { operatorId: number }) => o.operatorId === eve.id);
    const expectedAverage = (responseTimes[0]! + responseTimes[1]!) / 2;
    expect(forEve).toMatchObject({ operatorId: eve.id, name: 'Eve', status: 'online', activeSessions: 1, closedToday: 2, avgRating: 4.5 });
    expect(forEve.avgFirstResponseSeconds).toBeGreaterThan(0.4);
    expect(Math.abs(forEve.avgFirstResponseSeconds - expectedAverage)).toBeLessThanOrEqual(0.06);

    const forDora = stats.operators.find((o: { operatorId: number }) => o.operatorId === dora.id);
    expect(forDora).toMatchObject({ activeSessions: 1, closedToday: 0, avgFirstResponseSeconds: null, avgRating: null });

    const active = (await get('/api/chat/sessions/active')) as SessionBody[];
    expect(stats.overall).toMatchObject({
      waiting: active.filter((s) => s.status === 'waiting').length,
      active: active.filter((s) => s.status === 'active').length,
    });
    expect(stats.overall.active).toBeGreaterThanOrEqual(7);
    expect(typeof stats.overall.avgWaitSeconds).toBe('number');
    expect(stats.overall.avgWaitSeconds).toBeGreaterThanOrEqual(0);
  });

  it('raising an operator’s capacity hands them a waiting session within a second', async () => {
    const eve = ((await get('/api/operators')) as OperatorBody[]).find((o) => o.name === 'Eve')!;
    expect(eve).toMatchObject({ status: 'online', activeSessions: 1 });
    const narrowed = await send(request(url).patch(`/api/operators/${eve.id}`).set(bearer(admin.token)).send({ maxConcurrentSessions: 1 }));
    expectStatus(narrowed, 200);
    const waiting = await open({ customerName: 'Patient' });
    expect(waiting.session.status).toBe('waiting');

    const widened = await send(request(url).patch(`/api/operators/${eve.id}`).set(bearer(admin.token)).send({ maxConcurrentSessions: 2 }));
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
    const overloaded = await send(request(url).patch(`/api/operators/${eve.id}`).set(bearer(admin.token)).send({ maxConcurrentSessions: 1, name: 'Eve E.' }));
    expectError(overloaded, 409, 'CONFLICT');
    expect(await getOperator(url, admin.token, eve.id)).toMatchObject({ name: 'Eve', maxConcurrentSessions: 2, activeSessions: 2 });
  });
});

describeEachBackend('rate limits', (backend) => {
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    server = await startApiServer(backend, { RATE_LIMIT_LOGINS_PER_MINUTE: '3', RATE_LIMIT_SESSIONS_PER_MINUTE: '3' });
    url = server.url;
  });

  afterAll(async () => {
    await server?.close();
  });

  function expectRateLimited(res: request.Response): void {
    expectError(res, 429, 'RATE_LIMITED');
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  it('RATE_LIMIT_SESSIONS_PER_MINUTE=3: the 4th new session in a minute is 429 with Retry-After', async () => {
    for (let i = 0; i < 3; i++) expect((await send(request(url).post('/api/chat/sessions').send({}))).status).toBe(201);
    const fourth = await send(request(url).post('/api/chat/sessions').send({ customerName: 'one too many' }));
    expectRateLimited(fourth);
    // Other endpoints are not affected.
    expect((await send(request(url).get('/api/chat/availability'))).status).toBe(200);
  });

  it('RATE_LIMIT_LOGINS_PER_MINUTE=3: the 4th login attempt is 429 with Retry-After, even with the right password', async () => {
    const admin = await server.server.operators.create(SYSTEM, { name: 'Limited Admin', email: uniqueEmail('limited'), password: PASSWORD, role: 'admin' });
    const attempts = [
      { email: admin.email, password: 'wrong-password' },
      { email: 'nobody@example.com', password: PASSWORD },
      { email: admin.email, password: PASSWORD },
    ];
    const statuses = [];
    for (const body of attempts) statuses.push((await send(request(url).post('/api/auth/login').send(body))).status);
    expect(statuses).toEqual([401, 401, 200]);
    const fourth = await send(request(url).post('/api/auth/login').send({ email: admin.email, password: PASSWORD }));
    expectRateLimited(fourth);
    expectErrorEnvelope(fourth);
  });
});

describeEachBackend('message rate limit over REST', (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startApiServer(backend, { RATE_LIMIT_MESSAGES_PER_10_SECONDS: '3' });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('RATE_LIMIT_MESSAGES_PER_10_SECONDS=3: a customer’s 4th message in 10 s is 429 with Retry-After and not stored; other sessions and operators are not held back', async () => {
    const { url } = server;
    const admin = await createAdmin(server);
    const [mine, other] = [await createSession(url), await createSession(url)];
    const post = (token: string, sessionId: string, content: string) =>
      send(request(url).post(`/api/chat/sessions/${sessionId}/messages`).set(bearer(token)).send({ content }));
    for (let i = 1; i <= 3; i++) expectStatus(await post(mine.customerToken, mine.session.id, `m${i}`), 201);
    const fourth = await post(mine.customerToken, mine.session.id, 'one too many');
    expectError(fourth, 429, 'RATE_LIMITED');
    const retryAfter = Number(fourth.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);

    expectStatus(await post(other.customerToken, other.session.id, 'my own first'), 201);
    for (let i = 1; i <= 4; i++) expectStatus(await post(admin.token, mine.session.id, `answer ${i}`), 201);
    const res = await send(request(url).get(`/api/chat/messages/${mine.session.id}?limit=200`).set(bearer(admin.token)));
    expect(res.body.data.map((m: { content: string }) => m.content)).not.toContain('one too many');
  });
});

describe('responses of this file', () => {
  it('never carried a password hash, a token hash or a password', () => {
    expect(responses.length).toBeGreaterThan(50);
    for (const text of responses) {
      expectNoSecrets(text);
      for (const password of ['bootstrap-admin-password', 'a-brand-new-password']) expect(text).not.toContain(password);
    }
  });
});
