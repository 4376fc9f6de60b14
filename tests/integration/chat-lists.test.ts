import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { availability, bearer, closeSession, createOperator, createSession, expectStatus, getOperator, getSession, setStatus, type SessionBody, type Staff } from '../helpers/api';
import { assignedChat, onlineOperator, serverPerTest } from '../helpers/scenarios';

/** The session lists an operator reads (history, active, one customer's) and the availability the widget reads. */

describeEachBackend('chat lists', (backend) => {
  const stage = serverPerTest(backend);
  const alice = (): Promise<Staff> => onlineOperator(stage.url, stage.admin.token, { name: 'Alice Agent', maxConcurrentSessions: 20 });

  it('history: newest first, every session once across cursor pages', async () => {
    const { url } = stage;
    const agent = await alice();
    const created = [];
    for (let i = 0; i < 8; i++) created.push(await assignedChat(url, agent, { customerName: `Customer ${i + 1}` }));
    for (const closing of created.slice(0, 3)) await closeSession(url, agent.token, closing.session.id);
    const [first, second] = created;

    const all: SessionBody[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string> = cursor ? { limit: '2', cursor } : { limit: '2' };
      const res = await request(url).get('/api/chat/sessions/history').query(query).set(bearer(agent.token));
      expectStatus(res, 200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      all.push(...res.body.data);
      cursor = res.body.meta.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    expect(cursor).toBeNull();

    const unpaged = await request(url).get('/api/chat/sessions/history?limit=100').set(bearer(agent.token));
    expect(unpaged.body.meta.nextCursor).toBeNull();
    expect(all.map((s) => s.id)).toEqual(unpaged.body.data.map((s: SessionBody) => s.id));
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
    expect(all.length).toBe(8);
    const createdAt = all.map((s) => Date.parse(s.createdAt));
    expect([...createdAt].sort((a, b) => b - a)).toEqual(createdAt);
    expect(all.map((s) => s.id)).toEqual(expect.arrayContaining([first!.session.id, second!.session.id]));
  });

  it('history filters: status, operatorId, customerId, rating, left a message', async () => {
    const { url, admin } = stage;
    // Carla (cust-1) comes first, while nobody is online; Alice then takes her, Dan, and Carla's second visit.
    const first = await createSession(url, { customerName: 'Carla', customerId: 'cust-1', message: 'Hello, anyone there?' });
    const agent = await createOperator(url, admin.token, { name: 'Alice Agent', maxConcurrentSessions: 20 });
    await setStatus(url, agent.token, agent.id, 'online');
    const second = await assignedChat(url, agent, { customerName: 'Dan', customerId: 'cust-2' });
    await closeSession(url, agent.token, first.session.id, 'resolved');
    await closeSession(url, second.customerToken, second.session.id);
    const again = await assignedChat(url, agent, { customerId: 'cust-1' });
    await closeSession(url, again.customerToken, again.session.id);
    // Two sessions of the billing department, which only Gina serves.
    const billing = await onlineOperator(url, admin.token, { name: 'Gina Billing', departments: ['billing'], maxConcurrentSessions: 5 });
    for (const customerName of ['Finn', 'Hugo']) await assignedChat(url, billing, { customerName, department: 'billing' });

    const get = async (query: Record<string, string>) => {
      const res = await request(url).get('/api/chat/sessions/history').query({ limit: '100', ...query }).set(bearer(agent.token));
      expectStatus(res, 200);
      return res.body.data as SessionBody[];
    };
    const closed = await get({ status: 'closed' });
    expect(closed.length).toBeGreaterThanOrEqual(3);
    expect(closed.every((s) => s.status === 'closed')).toBe(true);
    expect(closed.map((s) => s.id)).toEqual(expect.arrayContaining([first.session.id, second.session.id]));

    const billingOnes = await get({ operatorId: String(billing.id) });
    expect(billingOnes.length).toBe(2);
    expect(billingOnes.every((s) => s.department === 'billing' && s.operatorId === billing.id)).toBe(true);

    const carla = await get({ customerId: 'cust-1' });
    expect(carla.length).toBe(2);
    expect(carla.every((s) => s.customerId === 'cust-1')).toBe(true);
    expect(await get({ customerId: 'nobody' })).toEqual([]);

    // from/to bound the creation time.
    expect(await get({ from: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expect(await get({ to: new Date(Date.parse(first.session.createdAt) - 1).toISOString() })).toEqual([]);
    const window = await get({ from: first.session.createdAt, to: first.session.createdAt });
    expect(window.map((s) => s.id)).toEqual([first.session.id]);
    expect(await get({ status: 'waiting' })).toEqual([]);

    // Rating and "left a message": Carla's first visit came while nobody was online; Dan rated his 4.
    expectStatus(await request(url).post(`/api/chat/sessions/${second.session.id}/rating`).set(bearer(second.customerToken)).send({ rating: 4, comment: 'quick' }), 200);
    expect((await get({ rating: '4' })).map((s) => s.id)).toEqual([second.session.id]);
    expect(await get({ rating: '5' })).toEqual([]);
    const offline = await get({ offline: 'true' });
    expect(offline.map((s) => s.id)).toEqual([first.session.id]);
    expect(offline[0]).toMatchObject({ offline: true, customerName: 'Carla' });
    const answered = await get({ offline: 'false' });
    expect(answered.length).toBeGreaterThanOrEqual(4);
    expect(answered.every((s) => !s.offline)).toBe(true);
    expect((await get({ offline: 'true', status: 'closed', customerId: 'cust-1' })).map((s) => s.id)).toEqual([first.session.id]);
    for (const bad of [{ rating: '0' }, { rating: '6' }, { rating: 'great' }, { offline: 'yes' }, { offline: '1' }]) {
      const res = await request(url).get('/api/chat/sessions/history').query(bad).set(bearer(agent.token));
      expectStatus(res, 400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(Object.keys(bad));
    }
  });

  it('active sessions: waiting and active for everyone, ?mine=true for my own', async () => {
    const { url, admin } = stage;
    const agent = await alice();
    const bob = await createOperator(url, admin.token, { name: 'Bob Backup', maxConcurrentSessions: 1 });
    const first = await assignedChat(url, agent, { customerName: 'Carla' });
    await closeSession(url, agent.token, first.session.id);
    for (const customerName of ['Dan', 'Erin', 'Finn']) await assignedChat(url, agent, { customerName });
    // One waiting too: nobody online serves legal.
    expect((await createSession(url, { customerName: 'Gus', department: 'legal' })).session.status).toBe('waiting');

    const everyone = await request(url).get('/api/chat/sessions/active').set(bearer(bob.token));
    expectStatus(everyone, 200);
    const sessions = everyone.body.data as SessionBody[];
    expect(sessions.length).toBeGreaterThanOrEqual(3);
    expect(sessions.every((s) => s.status === 'active' || s.status === 'waiting')).toBe(true);
    expect(sessions.map((s) => s.id)).not.toContain(first.session.id);

    const mine = await request(url).get('/api/chat/sessions/active?mine=true').set(bearer(agent.token));
    expectStatus(mine, 200);
    const own = mine.body.data as SessionBody[];
    expect(own.length).toBe((await getOperator(url, admin.token, agent.id)).activeSessions);
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((s) => s.operatorId === agent.id)).toBe(true);
    const bobs = await request(url).get('/api/chat/sessions/active?mine=true').set(bearer(bob.token));
    expect(bobs.body.data).toEqual([]);
  });

  it("one customer's sessions, newest first", async () => {
    const { url, admin } = stage;
    const bob = await createOperator(url, admin.token, { name: 'Bob Backup' });
    const first = await createSession(url, { customerName: 'Carla', customerId: 'cust-1' });
    await closeSession(url, first.customerToken, first.session.id);
    await createSession(url, { customerName: 'Carla', customerId: 'cust-1' });
    await createSession(url, { customerName: 'Dan', customerId: 'cust-2' });

    const res = await request(url).get('/api/users/cust-1/sessions').set(bearer(bob.token));
    expectStatus(res, 200);
    const sessions = res.body.data as SessionBody[];
    expect(sessions.length).toBe(2);
    expect(sessions.every((s) => s.customerId === 'cust-1')).toBe(true);
    expect(sessions[1]!.id).toBe(first.session.id);
    expect(Date.parse(sessions[0]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(sessions[1]!.createdAt));
    const unknown = await request(url).get('/api/users/no-such-customer/sessions').set(bearer(bob.token));
    expectStatus(unknown, 200);
    expect(unknown.body.data).toEqual([]);
  });

  it('availability follows the operators: offline everyone → online:false again, and new sessions wait', async () => {
    const { url, admin } = stage;
    const agent = await alice();
    await assignedChat(url, agent, { customerName: 'Carla' });
    const bob = await onlineOperator(url, admin.token, { name: 'Bob Backup', maxConcurrentSessions: 1 });
    const billing = await onlineOperator(url, admin.token, { name: 'Gina Billing', departments: ['billing'], maxConcurrentSessions: 5 });
    expect(await availability(url)).toMatchObject({ online: true });

    for (const staff of [agent, bob, billing]) await setStatus(url, staff.token, staff.id, 'offline');
    expect(await availability(url)).toMatchObject({ online: false, availableOperators: 0 });
    const waiting = await createSession(url, {});
    expect(waiting.session).toMatchObject({ status: 'waiting', queuePosition: 1 });
    const now = await availability(url);
    expect(now).toMatchObject({ online: false, waiting: 1 });
    expect(now.estimatedWaitSeconds).toBeGreaterThanOrEqual(0);

    // The next customer is second in line; when the first gives up, they move up.
    const next = await createSession(url, {});
    expect(next.session).toMatchObject({ status: 'waiting', queuePosition: 2 });
    const gaveUp = await closeSession(url, waiting.customerToken, waiting.session.id);
    expect(gaveUp).toMatchObject({ status: 'closed', closedBy: 'customer', operatorId: null });
    expect(await getSession(url, next.customerToken, next.session.id)).toMatchObject({ status: 'waiting', queuePosition: 1 });
    expect(await availability(url)).toMatchObject({ waiting: 1 });
  });
});
