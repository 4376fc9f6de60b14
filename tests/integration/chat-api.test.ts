import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import type { TestServer } from '../helpers/testServer';
import {
  bearer,
  closeSession,
  createAdmin,
  createOperator,
  createSession,
  expectError,
  expectStatus,
  getOperator,
  getSession,
  listMessages,
  sendMessage,
  setStatus,
  type Customer,
  type MessageBody,
  type SessionBody,
  type Staff,
  startApiServer,
} from '../helpers/api';

/** The chat REST API as the widget and the operator console use it. */

const MAX_MESSAGE_LENGTH = 200;

describeEachBackend('chat API', (backend) => {
  let server: TestServer;
  let url: string;
  let admin: Staff;
  let alice: Staff; // the first operator online
  let bob: Staff; // a second operator, one seat
  let billing: Staff; // joins later, serves the billing department
  let first: Customer; // queued while nobody was online
  let second: Customer;

  beforeAll(async () => {
    server = await startApiServer(backend, { MAX_MESSAGE_LENGTH: String(MAX_MESSAGE_LENGTH) });
    url = server.url;
    admin = await createAdmin(server);
    alice = await createOperator(url, admin.token, { name: 'Alice Agent', maxConcurrentSessions: 20 });
    bob = await createOperator(url, admin.token, { name: 'Bob Backup', maxConcurrentSessions: 1 });
  });

  afterAll(async () => {
    await server?.close();
  });

  const availability = async () => {
    const res = await request(url).get('/api/chat/availability');
    expectStatus(res, 200);
    return res.body.data as { online: boolean; availableOperators: number; waiting: number; estimatedWaitSeconds: number };
  };
  const events = async (sessionId: string) => {
    const res = await request(url).get(`/api/chat/sessions/${sessionId}/events`).set(bearer(admin.token));
    expectStatus(res, 200);
    return res.body.data as Array<{ type: string; operatorId: number | null; detail: Record<string, unknown> | null; createdAt: string }>;
  };
  const activeSessionsOf = async (staff: Staff) => (await getOperator(url, admin.token, staff.id)).activeSessions;

  describe('starting a chat', () => {
    it('with nobody online: the widget can tell, and a new session waits in line with its position', async () => {
      expect(await availability()).toMatchObject({ online: false, availableOperators: 0, waiting: 0 });

      const res = await request(url).post('/api/chat/sessions').send({ customerName: 'Carla', customerId: 'cust-1', message: 'Hello, anyone there?' });
      expectStatus(res, 201);
      expect(res.body.success).toBe(true);
      first = res.body.data;
      expect(typeof first.customerToken).toBe('string');
      expect(first.customerToken.length).toBeGreaterThan(30);
      expect(first.session).toMatchObject({ status: 'waiting', customerName: 'Carla', customerId: 'cust-1', operatorId: null, operator: null, queuePosition: 1 });
      expect(first.session.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

      second = await createSession(url, { customerName: 'Dan', customerId: 'cust-2' });
      expect(second.session).toMatchObject({ status: 'waiting', queuePosition: 2 });
      expect(await availability()).toMatchObject({ online: false, availableOperators: 0, waiting: 2 });

      // The first message was stored with the session.
      const messages = await listMessages(url, first.customerToken, first.session.id);
      expect(messages).toEqual([expect.objectContaining({ senderType: 'customer', type: 'text', content: 'Hello, anyone there?', sessionId: first.session.id })]);
    });

    it('an operator going online takes the queue in order; new sessions are assigned at once', async () => {
      const online = await setStatus(url, alice.token, alice.id, 'online');
      expect(online).toMatchObject({ status: 'online', activeSessions: 2 });
      expect(await getSession(url, first.customerToken, first.session.id)).toMatchObject({ status: 'active', operatorId: alice.id, operator: { id: alice.id, name: 'Alice Agent' } });
      expect(await getSession(url, second.customerToken, second.session.id)).toMatchObject({ status: 'active', operatorId: alice.id });
      expect(await availability()).toMatchObject({ online: true, availableOperators: 1, waiting: 0, estimatedWaitSeconds: 0 });

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
      const byCustomer = await getSession(url, first.customerToken, first.session.id);
      const byOperator = await getSession(url, bob.token, first.session.id);
      expect(byOperator).toEqual(byCustomer);
      expect(byCustomer).toMatchObject({ id: first.session.id, customerName: 'Carla', status: 'active' });
    });

    it('metadata up to 4 KB is kept; more is refused', async () => {
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
      const again = await createSession(url, { customerId: 'cust-1' });
      expect(again.session.id).not.toBe(first.session.id);
      // The first customer's token still opens only their own session.
      expect(await getSession(url, first.customerToken, first.session.id)).toMatchObject({ id: first.session.id });
      const foreign = await request(url).get(`/api/chat/sessions/${again.session.id}`).set(bearer(first.customerToken));
      expectError(foreign, 404, 'NOT_FOUND');
      await closeSession(url, again.customerToken, again.session.id);
    });
  });

  describe('messages', () => {
    it('the same clientMessageId twice: 201, then 200 with the first message, and one row only', async () => {
      const path = `/api/chat/sessions/${first.session.id}/messages`;
      const created = await request(url).post(path).set(bearer(first.customerToken)).send({ content: 'Is my order shipped?', clientMessageId: 'web-1' });
      expectStatus(created, 201);
      expect(created.body.data).toMatchObject({ senderType: 'customer', content: 'Is my order shipped?', clientMessageId: 'web-1', sessionId: first.session.id });
      const retried = await request(url).post(path).set(bearer(first.customerToken)).send({ content: 'Is my order shipped?', clientMessageId: 'web-1' });
      expectStatus(retried, 200);
      expect(retried.body.data).toEqual(created.body.data);
      // A retry with edited text still returns what was stored first.
      const edited = await request(url).post(path).set(bearer(first.customerToken)).send({ content: 'edited', clientMessageId: 'web-1' });
      expectStatus(edited, 200);
      expect(edited.body.data.id).toBe(created.body.data.id);

      const messages = await listMessages(url, alice.token, first.session.id, '?limit=200');
      expect(messages.filter((m) => m.clientMessageId === 'web-1')).toHaveLength(1);
      expect(messages.map((m) => m.content)).not.toContain('edited');

      const reply = await sendMessage(url, alice.token, first.session.id, { content: 'Yes, yesterday.', clientMessageId: 'console-1' });
      expect(reply).toMatchObject({ senderType: 'operator', content: 'Yes, yesterday.' });
      expect(reply.id).toBeGreaterThan(created.body.data.id);
    });

    it('a clientMessageId is its sender’s: customer, operator and admin all numbering from 1 store three messages; each retry gets its own', async () => {
      const path = `/api/chat/sessions/${first.session.id}/messages`;
      const senders = [
        { token: first.customerToken, content: 'customer says 1', senderType: 'customer' },
        { token: alice.token, content: 'operator says 1', senderType: 'operator' },
        { token: admin.token, content: 'admin says 1', senderType: 'operator' },
      ];
      const created = [];
      for (const { token, content, senderType } of senders) {
        const res = await request(url).post(path).set(bearer(token)).send({ content, clientMessageId: '1' });
        expectStatus(res, 201);
        expect(res.body.data).toMatchObject({ content, senderType, clientMessageId: '1' });
        created.push(res.body.data);
      }
      for (const [index, { token, content }] of senders.entries()) {
        const retried = await request(url).post(path).set(bearer(token)).send({ content, clientMessageId: '1' });
        expectStatus(retried, 200);
        expect(retried.body.data).toEqual(created[index]);
      }
      const stored = await listMessages(url, alice.token, first.session.id, '?limit=200');
      expect(stored.filter((m) => m.clientMessageId === '1').map((m) => m.content)).toEqual(senders.map((s) => s.content));
    });

    it('a burst of new messages with a retry among them: the new ones are created once each, the retry gets its first message', async () => {
      const path = `/api/chat/sessions/${first.session.id}/messages`;
      const original = await request(url).post(path).set(bearer(first.customerToken)).send({ content: 'Hello?', clientMessageId: 'burst-0' });
      expectStatus(original, 201);
      // Sent together, so they share the server's grouped writes with the retry.
      const sent = await Promise.all([
        ...Array.from({ length: 12 }, (_, i) => request(url).post(path).set(bearer(first.customerToken)).send({ content: `line ${i + 1}`, clientMessageId: `burst-${i + 1}` })),
        request(url).post(path).set(bearer(first.customerToken)).send({ content: 'Hello?', clientMessageId: 'burst-0' }),
      ]);
      const retry = sent.pop() as request.Response;
      expectStatus(retry, 200);
      expect(retry.body.data).toEqual(original.body.data);
      for (const res of sent) expectStatus(res, 201);
      const ids = sent.map((res) => res.body.data.id as number);
      expect(new Set(ids).size).toBe(12);

      const stored = (await listMessages(url, alice.token, first.session.id, '?limit=200')).filter((m) => m.clientMessageId?.startsWith('burst-'));
      expect(stored.map((m) => m.clientMessageId).sort()).toEqual(Array.from({ length: 13 }, (_, i) => `burst-${i}`).sort());
      // Each created message was answered as it is stored: same id, same time to the millisecond, same fields.
      for (const res of sent) expect(stored.find((m) => m.clientMessageId === res.body.data.clientMessageId)).toEqual(res.body.data);
    });

    it('pages: latest first page, after= and before= cursors, limit, meta.hasMore', async () => {
      for (let i = 1; i <= 8; i++) await sendMessage(url, second.customerToken, second.session.id, { content: `line ${i}` });
      const all = await listMessages(url, second.customerToken, second.session.id, '?limit=200');
      expect(all.length).toBe(9); // the "joined" system line and eight lines
      const ids = all.map((m) => m.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);

      const page = async (query: string) => {
        const res = await request(url).get(`/api/chat/messages/${second.session.id}${query}`).set(bearer(alice.token));
        expectStatus(res, 200);
        return { ids: (res.body.data as MessageBody[]).map((m) => m.id), hasMore: res.body.meta.hasMore as boolean };
      };
      expect(await page('?limit=3')).toEqual({ ids: ids.slice(-3), hasMore: true });
      expect(await page('?limit=200')).toEqual({ ids, hasMore: false });
      expect(await page(`?after=${ids[1]}&limit=3`)).toEqual({ ids: ids.slice(2, 5), hasMore: true });
      expect(await page(`?after=${ids[5]}&limit=3`)).toEqual({ ids: ids.slice(6, 9), hasMore: false });
      expect(await page(`?after=${ids[8]}`)).toEqual({ ids: [], hasMore: false });
      expect(await page(`?before=${ids[5]}&limit=2`)).toEqual({ ids: ids.slice(3, 5), hasMore: true });
      expect(await page(`?before=${ids[2]}&limit=5`)).toEqual({ ids: ids.slice(0, 2), hasMore: false });
      expect(await page(`?after=${ids[1]}&before=${ids[4]}`)).toEqual({ ids: ids.slice(2, 4), hasMore: false });
    });

    it('a blank message, or one longer than MAX_MESSAGE_LENGTH, is 400 and not stored', async () => {
      const path = `/api/chat/sessions/${second.session.id}/messages`;
      const before = (await listMessages(url, alice.token, second.session.id, '?limit=200')).length;
      for (const content of ['', '   ', '\n\t ']) {
        const res = await request(url).post(path).set(bearer(second.customerToken)).send({ content });
        expectError(res, 400, 'VALIDATION_ERROR');
        expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'content' })]);
      }
      const tooLong = await request(url).post(path).set(bearer(second.customerToken)).send({ content: 'x'.repeat(MAX_MESSAGE_LENGTH + 1) });
      expectError(tooLong, 400, 'VALIDATION_ERROR');
      expect(tooLong.body.error.details).toEqual([expect.objectContaining({ field: 'content' })]);
      expect((await listMessages(url, alice.token, second.session.id, '?limit=200')).length).toBe(before);

      const longest = await sendMessage(url, second.customerToken, second.session.id, { content: 'y'.repeat(MAX_MESSAGE_LENGTH) });
      expect(longest.content).toHaveLength(MAX_MESSAGE_LENGTH);
      // Characters, not UTF-16 units: an emoji counts once, so the longest emoji message is stored whole.
      const emoji = '😀'.repeat(MAX_MESSAGE_LENGTH);
      expect((await sendMessage(url, second.customerToken, second.session.id, { content: emoji })).content).toBe(emoji);
      expectError(await request(url).post(path).set(bearer(second.customerToken)).send({ content: `${emoji}😀` }), 400, 'VALIDATION_ERROR');
    });
  });

  describe('closing and rating', () => {
    it('rating an open session is 409', async () => {
      const res = await request(url).post(`/api/chat/sessions/${first.session.id}/rating`).set(bearer(first.customerToken)).send({ rating: 5 });
      expectStatus(res, 409);
      expect((await getSession(url, first.customerToken, first.session.id)).rating).toBeNull();
    });

    it('close: 200, then 409 SESSION_CLOSED; messages to it are 409 SESSION_CLOSED; the seat is freed', async () => {
      const seatsBefore = await activeSessionsOf(alice);
      const closed = await closeSession(url, alice.token, first.session.id, 'resolved');
      expect(closed).toMatchObject({ id: first.session.id, status: 'closed', closedBy: 'operator' });
      expect(closed.closedAt).not.toBeNull();
      expect(await activeSessionsOf(alice)).toBe(seatsBefore - 1);

      for (const token of [alice.token, first.customerToken, admin.token]) {
        const again = await request(url).put(`/api/chat/sessions/${first.session.id}/close`).set(bearer(token)).send({});
        expectError(again, 409, 'SESSION_CLOSED');
        const message = await request(url).post(`/api/chat/sessions/${first.session.id}/messages`).set(bearer(token)).send({ content: 'still there?' });
        expectError(message, 409, 'SESSION_CLOSED');
      }
      expect(await activeSessionsOf(alice)).toBe(seatsBefore - 1);
      // A client retrying a message it sent before the close gets its acknowledgement, not an error.
      const retry = await request(url).post(`/api/chat/sessions/${first.session.id}/messages`).set(bearer(first.customerToken)).send({ content: 'Is my order shipped?', clientMessageId: 'web-1' });
      expectStatus(retry, 200);
      expect(retry.body.data).toMatchObject({ clientMessageId: 'web-1', content: 'Is my order shipped?' });
      const messages = await listMessages(url, first.customerToken, first.session.id, '?limit=200');
      expect(messages.map((m) => m.content)).not.toContain('still there?');
      expect(messages[messages.length - 1]).toMatchObject({ senderType: 'system', content: expect.stringContaining('resolved') });
    });

    it('rating: 1..5 only, once', async () => {
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
      expect((await getSession(url, alice.token, first.session.id)).rating).toBe(4);
    });

    it('the customer can close their own chat', async () => {
      const closed = await closeSession(url, second.customerToken, second.session.id);
      expect(closed).toMatchObject({ status: 'closed', closedBy: 'customer' });
    });

    it("the audit trail shows created, queued, assigned (strategy and reason) and closed, each with its time", async () => {
      const trail = await events(first.session.id);
      expect(trail.map((e) => e.type)).toEqual(['created', 'queued', 'assigned', 'closed', 'rated']);
      const assigned = trail.find((e) => e.type === 'assigned')!;
      expect(assigned.operatorId).toBe(alice.id);
      expect(assigned.detail).toMatchObject({ strategy: 'least-busy', reason: expect.stringMatching(/^least-busy: \d+\/20 active$/) });
      expect(trail.find((e) => e.type === 'queued')!.detail).toMatchObject({ reason: expect.any(String) });
      expect(trail.find((e) => e.type === 'closed')!.detail).toMatchObject({ closedBy: 'operator', reason: 'resolved' });
      const times = trail.map((e) => Date.parse(e.createdAt));
      expect(times.every((t) => !Number.isNaN(t))).toBe(true);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    });
  });

  describe('transfers', () => {
    let moving: Customer;
    let staying: Customer;

    it('to another operator: the session, both operators’ loads and a system message say so', async () => {
      moving = await createSession(url, { customerName: 'Erin', message: 'I need Bob' });
      staying = await createSession(url, { customerName: 'Finn' });
      expect(moving.session.operatorId).toBe(alice.id);
      expect(staying.session.operatorId).toBe(alice.id);
      await setStatus(url, bob.token, bob.id, 'online');
      const aliceBefore = await activeSessionsOf(alice);

      const res = await request(url).put(`/api/chat/sessions/${moving.session.id}/transfer`).set(bearer(alice.token)).send({ operatorId: bob.id });
      expectStatus(res, 200);
      expect(res.body.data).toMatchObject({ id: moving.session.id, status: 'active', operatorId: bob.id, operator: { id: bob.id, name: 'Bob Backup' } });
      expect(await activeSessionsOf(alice)).toBe(aliceBefore - 1);
      expect(await activeSessionsOf(bob)).toBe(1);
      const bobs = await request(url).get(`/api/operators/${bob.id}/sessions`).set(bearer(bob.token));
      expect(bobs.body.data.map((s: SessionBody) => s.id)).toEqual([moving.session.id]);

      const messages = await listMessages(url, moving.customerToken, moving.session.id);
      expect(messages[messages.length - 1]).toMatchObject({ senderType: 'system', type: 'system', content: expect.stringContaining('Bob Backup') });
      expect((await events(moving.session.id)).map((e) => e.type)).toContain('transferred');

      // Bob may now write in it; Alice no longer holds it.
      await sendMessage(url, bob.token, moving.session.id, { content: 'Bob here' });
      const aliceWrites = await request(url).post(`/api/chat/sessions/${moving.session.id}/messages`).set(bearer(alice.token)).send({ content: 'me too' });
      expectError(aliceWrites, 403, 'FORBIDDEN');
    });

    it('to an operator with no free seat: 409 OPERATOR_AT_CAPACITY, and nothing moves', async () => {
      const aliceBefore = await activeSessionsOf(alice);
      const res = await request(url).put(`/api/chat/sessions/${staying.session.id}/transfer`).set(bearer(alice.token)).send({ operatorId: bob.id });
      expectError(res, 409, 'OPERATOR_AT_CAPACITY');
      expect(res.body.error.message).toBe('Bob Backup has no free seat (1 of 1) and cannot take another session now');
      expect(await getSession(url, staying.customerToken, staying.session.id)).toMatchObject({ status: 'active', operatorId: alice.id });
      expect(await activeSessionsOf(alice)).toBe(aliceBefore);
      expect(await activeSessionsOf(bob)).toBe(1);
    });

    it('to a department nobody serves yet: back to the queue; an operator of that department then picks it up', async () => {
      const aliceBefore = await activeSessionsOf(alice);
      const res = await request(url).put(`/api/chat/sessions/${staying.session.id}/transfer`).set(bearer(alice.token)).send({ department: 'billing' });
      expectStatus(res, 200);
      expect(res.body.data).toMatchObject({ id: staying.session.id, status: 'waiting', operatorId: null, department: 'billing', queuePosition: 1 });
      expect(await activeSessionsOf(alice)).toBe(aliceBefore - 1);
      const messages = await listMessages(url, staying.customerToken, staying.session.id);
      expect(messages[messages.length - 1]).toMatchObject({ senderType: 'system', content: expect.stringContaining('billing') });
      // Alice is online with free seats, but not in billing: it stays waiting for billing.
      expect(await getSession(url, staying.customerToken, staying.session.id)).toMatchObject({ status: 'waiting' });

      billing = await createOperator(url, admin.token, { name: 'Gina Billing', departments: ['billing'], maxConcurrentSessions: 5 });
      await setStatus(url, billing.token, billing.id, 'online');
      expect(await getSession(url, staying.customerToken, staying.session.id)).toMatchObject({ status: 'active', operatorId: billing.id });
    });

    it('to a department someone serves: straight to them', async () => {
      const another = await createSession(url, { customerName: 'Hugo' });
      const holder = another.session.operatorId!;
      const holderToken = [alice, bob, billing].find((s) => s.id === holder)!.token;
      const res = await request(url).put(`/api/chat/sessions/${another.session.id}/transfer`).set(bearer(holderToken)).send({ department: 'billing' });
      expectStatus(res, 200);
      expect(res.body.data).toMatchObject({ status: 'active', operatorId: billing.id, department: 'billing' });
    });

    it('an admin may transfer any session', async () => {
      const res = await request(url).put(`/api/chat/sessions/${moving.session.id}/transfer`).set(bearer(admin.token)).send({ operatorId: alice.id });
      expectStatus(res, 200);
      expect(res.body.data).toMatchObject({ operatorId: alice.id });
      expect(await activeSessionsOf(bob)).toBe(0);
    });
  });

  describe('lists', () => {
    it('history: newest first, every session once across cursor pages', async () => {
      const all: SessionBody[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: Record<string, string> = cursor ? { limit: '2', cursor } : { limit: '2' };
        const res = await request(url).get('/api/chat/sessions/history').query(query).set(bearer(alice.token));
        expectStatus(res, 200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        all.push(...res.body.data);
        cursor = res.body.meta.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      expect(cursor).toBeNull();

      const unpaged = await request(url).get('/api/chat/sessions/history?limit=100').set(bearer(alice.token));
      expect(unpaged.body.meta.nextCursor).toBeNull();
      expect(all.map((s) => s.id)).toEqual(unpaged.body.data.map((s: SessionBody) => s.id));
      expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
      expect(all.length).toBe(8);
      const created = all.map((s) => Date.parse(s.createdAt));
      expect([...created].sort((a, b) => b - a)).toEqual(created);
      expect(all.map((s) => s.id)).toEqual(expect.arrayContaining([first.session.id, second.session.id]));
    });

    it('history filters: status, operatorId, customerId', async () => {
      const get = async (query: Record<string, string>) => {
        const res = await request(url).get('/api/chat/sessions/history').query({ limit: '100', ...query }).set(bearer(alice.token));
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
    });

    it('active sessions: waiting and active for everyone, ?mine=true for my own', async () => {
      const everyone = await request(url).get('/api/chat/sessions/active').set(bearer(bob.token));
      expectStatus(everyone, 200);
      const sessions = everyone.body.data as SessionBody[];
      expect(sessions.length).toBeGreaterThanOrEqual(3);
      expect(sessions.every((s) => s.status === 'active' || s.status === 'waiting')).toBe(true);
      expect(sessions.map((s) => s.id)).not.toContain(first.session.id);

      const mine = await request(url).get('/api/chat/sessions/active?mine=true').set(bearer(alice.token));
      expectStatus(mine, 200);
      const own = mine.body.data as SessionBody[];
      expect(own.length).toBe(await activeSessionsOf(alice));
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((s) => s.operatorId === alice.id)).toBe(true);
      const bobs = await request(url).get('/api/chat/sessions/active?mine=true').set(bearer(bob.token));
      expect(bobs.body.data).toEqual([]);
    });

    it("one customer's sessions, newest first", async () => {
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
      for (const staff of [alice, bob, billing]) await setStatus(url, staff.token, staff.id, 'offline');
      expect(await availability()).toMatchObject({ online: false, availableOperators: 0 });
      const waiting = await createSession(url, {});
      expect(waiting.session).toMatchObject({ status: 'waiting', queuePosition: 1 });
      const now = await availability();
      expect(now).toMatchObject({ online: false, waiting: 1 });
      expect(now.estimatedWaitSeconds).toBeGreaterThanOrEqual(0);

      // The next customer is second in line; when the first gives up, they move up.
      const next = await createSession(url, {});
      expect(next.session).toMatchObject({ status: 'waiting', queuePosition: 2 });
      const gaveUp = await closeSession(url, waiting.customerToken, waiting.session.id);
      expect(gaveUp).toMatchObject({ status: 'closed', closedBy: 'customer', operatorId: null });
      expect(await getSession(url, next.customerToken, next.session.id)).toMatchObject({ status: 'waiting', queuePosition: 1 });
      expect(await availability()).toMatchObject({ waiting: 1 });
    });
  });
});

describeEachBackend('chat API with IDENTITY_SECRET', (backend) => {
  const secret = 'identity-secret-for-tests';
  const sign = (customerId: string) => createHmac('sha256', secret).update(customerId).digest('hex');
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    server = await startApiServer(backend, { IDENTITY_SECRET: secret });
    url = server.url;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('a customerId without a valid identityHash is 401, and no session is made', async () => {
    const customerId = `user-${randomUUID()}`;
    for (const identityHash of [undefined, sign('someone-else'), 'ab'.repeat(32), sign(customerId).slice(0, 62)]) {
      const res = await request(url).post('/api/chat/sessions').send({ customerId, identityHash });
      expectError(res, 401, 'UNAUTHENTICATED');
    }
    const admin = await createAdmin(server);
    const sessions = await request(url).get(`/api/users/${customerId}/sessions`).set(bearer(admin.token));
    expect(sessions.body.data).toEqual([]);
  });

  it('a verified customer gets their open session back with a fresh token; the old token stops working', async () => {
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
    const anonymous = await createSession(url, { customerName: 'Anon' });
    expect(anonymous.session.customerId).toBeNull();
  });
});
