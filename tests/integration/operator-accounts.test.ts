import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import type { TestServer } from '../helpers/testServer';
import { PASSWORD, bearer, createOperator, createSession, expectError, expectNoSecrets, expectStatus, getOperator, login, sendChecked, setStatus, startApiServer, uniqueEmail, type OperatorBody, type Staff } from '../helpers/api';
import { sharedServer } from '../helpers/scenarios';
import { connectOperator } from '../helpers/sockets';

/** Operator accounts as an admin manages them: the bootstrap admin, login and logout, creating and changing operators. */

const adminEmail = 'Boss@Example.com';
const adminPassword = 'bootstrap-admin-password';
const BOOTSTRAP = { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword };

/** Every response is checked for secrets, the passwords of this file included. */
const send = (test: request.Test): Promise<request.Response> => sendChecked(test, [adminPassword, 'a-brand-new-password']);

/** The admin the server made at start from ADMIN_EMAIL / ADMIN_PASSWORD, freshly logged in. */
async function bootstrapAdmin(url: string): Promise<Staff> {
  const res = await send(request(url).post('/api/auth/login').send({ email: adminEmail, password: adminPassword }));
  expectStatus(res, 200);
  const operator = res.body.data.operator as OperatorBody;
  return { id: operator.id, email: operator.email, password: adminPassword, token: res.body.data.token, operator };
}

describeEachBackend('operator accounts', (backend) => {
  // Each test logs in on its own (one of them logs the bootstrap admin out), so they share one server.
  const stage = sharedServer(backend, BOOTSTRAP);

  it('the bootstrap admin logs in: 200 with a token and the operator, never a hash', async () => {
    const res = await send(request(stage.url).post('/api/auth/login').send({ email: 'boss@example.com', password: adminPassword }));
    expectStatus(res, 200);
    expect(res.body.data).toEqual({ token: expect.any(String), operator: expect.objectContaining({ email: 'boss@example.com', role: 'admin', status: 'offline' }) });
    expectNoSecrets(res.text, adminPassword);

    // The email is matched whatever its case.
    const upper = await send(request(stage.url).post('/api/auth/login').send({ email: adminEmail.toUpperCase(), password: adminPassword }));
    expectStatus(upper, 200);
  });

  it('an unknown email and a wrong password get the same 401', async () => {
    const unknown = await send(request(stage.url).post('/api/auth/login').send({ email: 'nobody@example.com', password: adminPassword }));
    const wrong = await send(request(stage.url).post('/api/auth/login').send({ email: 'boss@example.com', password: 'not-the-password' }));
    expectError(unknown, 401, 'UNAUTHENTICATED');
    expectStatus(wrong, 401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('GET /auth/me is the caller', async () => {
    const admin = await bootstrapAdmin(stage.url);
    const res = await send(request(stage.url).get('/api/auth/me').set(bearer(admin.token)));
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ id: admin.id, email: 'boss@example.com', role: 'admin' });
  });

  it('logout ends every token of that operator; a new login works', async () => {
    const { url } = stage;
    const admin = await bootstrapAdmin(url);
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
    const { url } = stage;
    const admin = await bootstrapAdmin(url);
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
});

describeEachBackend('PATCH /api/operators/:id', (backend) => {
  // A fresh server each time, whose only admin is the bootstrap one: who is "the only admin" is part of what is tested.
  let server: TestServer;
  let url: string;
  let admin: Staff;
  let olga: Staff;
  beforeEach(async () => {
    server = await startApiServer(backend, BOOTSTRAP);
    url = server.url;
    admin = await bootstrapAdmin(url);
    olga = await createOperator(url, admin.token, { name: 'Olga' });
  });
  afterEach(async () => {
    await server?.close();
  });
  const patch = (id: number, body: Record<string, unknown>, token = admin.token) => send(request(url).patch(`/api/operators/${id}`).set(bearer(token)).send(body));

  it('changes capacity, departments and name, as everyone then sees', async () => {
    const res = await patch(olga.id, { maxConcurrentSessions: 7, departments: ['support'], name: 'Olga O.' });
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ id: olga.id, maxConcurrentSessions: 7, departments: ['support'], name: 'Olga O.' });
    expect(await getOperator(url, olga.token, olga.id)).toMatchObject({ maxConcurrentSessions: 7, departments: ['support'], name: 'Olga O.' });
  });

  it('role: an operator made admin can create operators at once; made operator again, cannot', async () => {
    const attempt = () => send(request(url).post('/api/operators').set(bearer(olga.token)).send({ name: 'By Olga', email: uniqueEmail(), password: PASSWORD }));
    expectError(await attempt(), 403, 'FORBIDDEN');
    expect((await patch(olga.id, { role: 'admin' })).status).toBe(200);
    expect((await attempt()).status).toBe(201);
    expect((await patch(olga.id, { role: 'operator' })).status).toBe(200);
    expectError(await attempt(), 403, 'FORBIDDEN');
  });

  it('password: the old one stops working, and so do the tokens issued with it', async () => {
    const res = await patch(olga.id, { password: 'a-brand-new-password' });
    expectStatus(res, 200);
    expectNoSecrets(res.text, 'a-brand-new-password');
    expectError(await send(request(url).post('/api/auth/login').send({ email: olga.email, password: PASSWORD })), 401, 'UNAUTHENTICATED');
    expectError(await send(request(url).get('/api/auth/me').set(bearer(olga.token))), 401, 'UNAUTHENTICATED');
    expect((await login(url, olga.email, 'a-brand-new-password')).operator.id).toBe(olga.id);
  });

  it('an operator changes their own password: wrong current 401, too short 400; then every other token and socket ends, the answer\'s token works', async () => {
    const elsewhere = await login(url, olga.email, olga.password);
    const socket = await connectOperator(url, elsewhere.token);
    const change = (token: string, body: object) => send(request(url).put('/api/auth/password').set(bearer(token)).send(body));
    expectError(await change(olga.token, { currentPassword: 'not-my-password', newPassword: 'a-brand-new-password' }), 401, 'UNAUTHENTICATED');
    const short = await change(olga.token, { currentPassword: olga.password, newPassword: 'short' });
    expectError(short, 400, 'VALIDATION_ERROR');
    expect(short.body.error.details.map((d: { field: string }) => d.field)).toEqual(['newPassword']);
    expectError(await change(olga.token, { newPassword: 'a-brand-new-password' }), 400, 'VALIDATION_ERROR');
    // Nothing changed by the refusals.
    expectStatus(await send(request(url).get('/api/auth/me').set(bearer(elsewhere.token))), 200);

    const disconnected = new Promise<void>((resolve) => socket.on('disconnect', () => resolve()));
    const res = await change(olga.token, { currentPassword: olga.password, newPassword: 'a-brand-new-password' });
    expectStatus(res, 200);
    expect(res.body.data).toEqual({ token: expect.any(String), operator: expect.objectContaining({ id: olga.id, email: olga.email }) });
    await disconnected;
    for (const old of [olga.token, elsewhere.token]) expectError(await send(request(url).get('/api/auth/me').set(bearer(old))), 401, 'UNAUTHENTICATED');
    expectStatus(await send(request(url).get('/api/auth/me').set(bearer(res.body.data.token))), 200);
    expectError(await send(request(url).post('/api/auth/login').send({ email: olga.email, password: olga.password })), 401, 'UNAUTHENTICATED');
    expect((await login(url, olga.email, 'a-brand-new-password')).operator.id).toBe(olga.id);
    // A customer has no password to change.
    const customer = await createSession(url, { customerName: 'Cleo' });
    expectError(await change(customer.customerToken, { currentPassword: 'whatever-it-is', newPassword: 'a-brand-new-password' }), 403, 'FORBIDDEN');
  });

  it('disabled: the token is refused at once, login is refused like a wrong password; enabled again, login works', async () => {
    await setStatus(url, olga.token, olga.id, 'online');
    const res = await patch(olga.id, { disabled: true });
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ status: 'offline' });
    expectError(await send(request(url).get('/api/auth/me').set(bearer(olga.token))), 401, 'UNAUTHENTICATED');
    const refused = await send(request(url).post('/api/auth/login').send({ email: olga.email, password: olga.password }));
    const wrong = await send(request(url).post('/api/auth/login').send({ email: olga.email, password: 'wrong-password' }));
    expectError(refused, 401, 'UNAUTHENTICATED');
    expect(refused.body).toEqual(wrong.body);
    const online = await send(request(url).get('/api/operators/online').set(bearer(admin.token)));
    expect(online.body.data.map((o: OperatorBody) => o.id)).not.toContain(olga.id);

    expect((await patch(olga.id, { disabled: false })).status).toBe(200);
    expect((await login(url, olga.email, olga.password)).operator.id).toBe(olga.id);
  });

  it('the only admin can be neither demoted nor disabled (409 CONFLICT, nothing changes); with a second admin, they can', async () => {
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
      expectStatus(await patch(other.id, { role: 'operator' }, x.token), 200);
    }
    const results = await Promise.all([patch(x.id, { role: 'operator' }, y.token), patch(y.id, { disabled: true }, x.token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const roles = await Promise.all([x, y].map(async (o) => (await server.server.db.models.Operator.findByPk(o.id))!));
    expect(roles.filter((o) => o.role === 'admin' && !o.disabled)).toHaveLength(1);
    // The one left can still promote the bootstrap admin back.
    const left = [x, y][roles.findIndex((o) => o.role === 'admin' && !o.disabled)]!;
    expectStatus(await patch(admin.id, { role: 'admin' }, left.token), 200);
  });

  it('an unknown operator is 404', async () => {
    expectError(await patch(999999, { name: 'Ghost' }), 404, 'NOT_FOUND');
    expectError(await send(request(url).get('/api/operators/999999').set(bearer(admin.token))), 404, 'NOT_FOUND');
  });
});
