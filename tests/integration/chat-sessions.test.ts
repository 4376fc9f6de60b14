import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { availability, bearer, closeSession, createAdmin, createOperator, createSession, expectError, expectStatus, getSession, listMessages, setStatus, type Customer } from '../helpers/api';
import { assignedChat, onlineOperator, queueOf, serverPerTest, sharedServer } from '../helpers/scenarios';

/** Starting a chat over REST, as the widget does: queued or assigned at once, readable, with metadata and identity. */

describeEachBackend('starting a chat', (backend) => {
  const stage = serverPerTest(backend);

  it('with nobody online: the widget can tell, and a new session waits in line with its position', async () => {
    const { url } = stage;
    expect(await availability(url)).toMatchObject({ online: false, availableOperators: 0, waiting: 0 });

    const res = await request(url).post('/api/chat/sessions').send({ customerName: 'Carla', customerId: 'cust-1', message: 'Hello, anyone there?' });
    expectStatus(res, 201);
    expect(res.body.success).toBe(true);
    const first: Customer = res.body.data;
    expect(typeof first.customerToken).toBe('string');
    expect(first.customerToken.length).toBeGreaterThan(30);
    expect(first.session).toMatchObject({ status: 'waiting', customerName: 'Carla', customerId: 'cust-1', operatorId: null, operator: null, queuePosition: 1 });
    expect(first.session.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const second = await createSession(url, { customerName: 'Dan', customerId: 'cust-2' });
    expect(second.session).toMatchObject({ status: 'waiting', queuePosition: 2 });
    expect(await availability(url)).toMatchObject({ online: false, availableOperators: 0, waiting: 2 });

    // The first message was stored with the session.
    const messages = await listMessages(url, first.customerToken, first.session.id);
    expect(messages).toEqual([expect.objectContaining({ senderType: 'customer', type: 'text', content: 'Hello, anyone there?', sessionId: first.session.id })]);
  });

  it('an operator going online takes the queue in order; new sessions are assigned at once', async () => {
    const { url, admin } = stage;
    const [first, second] = await queueOf(url, 2, { names: ['Carla', 'Dan'] });
    const alice = await createOperator(url, admin.token, { name: 'Alice Agent', maxConcurrentSessions: 20 });

    const online = await setStatus(url, alice.token, alice.id, 'online');
    expect(online).toMatchObject({ status: 'online', activeSessions: 2 });
    expect(await getSession(url, first!.customerToken, first!.session.id)).toMatchObject({ status: 'active', operatorId: alice.id, operator: { id: alice.id, name: 'Alice Agent' } });
    expect(await getSession(url, second!.customerToken, second!.session.id)).toMatchObject({ status: 'active', operatorId: alice.id });
    expect(await availability(url)).toMatchObject({ online: true, availableOperators: 1, waiting: 0, estimatedWaitSeconds: 0 });

    const third = await createSession(url, { message: 'quick question' });
    expect(third.session).toMatchObject({ status: 'active', operatorId: alice.id, operator: { id: alice.id, name: 'Alice Agent' } });
    expect(third.session.assignedAt).not.toBeNull();
    expect(third.session.queuePosition).toBeUndefined();
    // The customer's first message, then the system line saying who joined.
    const messages = await listMessages(url, third.customerToken, third.session.id);
    expect(messages.map((m) => [m.senderType, m.content])).toEqual([
      ['customer', 'quick question'],
      ['system', expect.stringContaining('Alice Agent')],
    ]);
  });

  it('its customer and any operator can read the session', async () => {
    const { url, admin } = stage;
    const alice = await onlineOperator(url, admin.token, { name: 'Alice Agent' });
    const bob = await createOperator(url, admin.token, { name: 'Bob Backup' });
    const carla = await assignedChat(url, alice, { customerName: 'Carla' });

    const byCustomer = await getSession(url, carla.customerToken, carla.session.id);
    const byOperator = await getSession(url, bob.token, carla.session.id);
    expect(byOperator).toEqual(byCustomer);
    expect(byCustomer).toMatchObject({ id: carla.session.id, customerName: 'Carla', status: 'active' });
  });

  it('metadata up to 4 KB is kept; more is refused', async () => {
    const { url, admin } = stage;
    const alice = await onlineOperator(url, admin.token, { name: 'Alice Agent' });
    const metadata = { page: '/pricing', notes: 'n'.repeat(3900) };
    const kept = await createSession(url, { metadata });
    expect(kept.session.metadata).toEqual(metadata);
    expect((await getSession(url, alice.token, kept.session.id)).metadata).toEqual(metadata);
    await closeSession(url, kept.customerToken, kept.session.id);

    const res = await request(url).post('/api/chat/sessions').send({ metadata: { notes: 'n'.repeat(4100) } });
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'metadata' })]);
  });

  it('without IDENTITY_SECRET a customerId is only a label: it never reopens an existing session', async () => {
    const { url } = stage;
    const first = await createSession(url, { customerName: 'Carla', customerId: 'cust-1' });
    const again = await createSession(url, { customerId: 'cust-1' });
    expect(again.session.id).not.toBe(first.session.id);
    // The first customer's token still opens only their own session.
    expect(await getSession(url, first.customerToken, first.session.id)).toMatchObject({ id: first.session.id });
    const foreign = await request(url).get(`/api/chat/sessions/${again.session.id}`).set(bearer(first.customerToken));
    expectError(foreign, 404, 'NOT_FOUND');
    await closeSession(url, again.customerToken, again.session.id);
  });
});

describeEachBackend('chat API with IDENTITY_SECRET', (backend) => {
  const secret = 'identity-secret-for-tests';
  const sign = (customerId: string) => createHmac('sha256', secret).update(customerId).digest('hex');
  // Each test's customerId is its own, so the tests share one server.
  const stage = sharedServer(backend, { IDENTITY_SECRET: secret });

  it('a customerId without a valid identityHash is 401, and no session is made', async () => {
    const { url } = stage;
    const customerId = `user-${randomUUID()}`;
    for (const identityHash of [undefined, sign('someone-else'), 'ab'.repeat(32), sign(customerId).slice(0, 62)]) {
      const res = await request(url).post('/api/chat/sessions').send({ customerId, identityHash });
      expectError(res, 401, 'UNAUTHENTICATED');
    }
    const admin = await createAdmin(stage.server);
    const sessions = await request(url).get(`/api/users/${customerId}/sessions`).set(bearer(admin.token));
    expect(sessions.body.data).toEqual([]);
  });

  it('a verified customer gets their open session back with a fresh token; the old token stops working', async () => {
    const { url } = stage;
    const customerId = `user-${randomUUID()}`;
    const identityHash = sign(customerId);
    const created = await request(url).post('/api/chat/sessions').send({ customerId, identityHash, message: 'first tab' });
    expectStatus(created, 201);
    const { session, customerToken } = created.body.data as Customer;

    const resumed = await request(url).post('/api/chat/sessions').send({ customerId, identityHash, message: 'second tab' });
    expectStatus(resumed, 200);
    expect(resumed.body.data.session.id).toBe(session.id);
    const freshToken: string = resumed.body.data.customerToken;
    expect(freshToken).not.toBe(customerToken);

    expect(await getSession(url, freshToken, session.id)).toMatchObject({ id: session.id, customerId });
    // What they typed in the second tab is not lost: it joins the same conversation.
    const messages = await listMessages(url, freshToken, session.id);
    expect(messages.filter((m) => m.senderType === 'customer').map((m) => m.content)).toEqual(['first tab', 'second tab']);
    const old = await request(url).get(`/api/chat/sessions/${session.id}`).set(bearer(customerToken));
    expectError(old, 401, 'UNAUTHENTICATED');

    // Once that session is closed, the next visit starts a new one.
    await closeSession(url, freshToken, session.id);
    const next = await createSession(url, { customerId, identityHash });
    expect(next.session.id).not.toBe(session.id);
  });

  it('anonymous customers (no customerId) still start chats', async () => {
    const anonymous = await createSession(stage.url, { customerName: 'Anon' });
    expect(anonymous.session.customerId).toBeNull();
  });
});
