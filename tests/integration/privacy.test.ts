import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { bearer, closeSession, createSession, expectError, getData, sessionEvents, type MessageBody, type SessionBody } from '../helpers/api';
import { smallPng, storedFiles, tempDir, upload } from '../helpers/files';
import { redisUrl } from '../helpers/realBackends';
import { assignedChat, onlineOperator, serverPerTest, type Stage } from '../helpers/scenarios';
import { nextEvent, waitDisconnected } from '../helpers/sockets';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhookReceiver';
import { waitFor } from '../helpers/wait';

/**
 * Customer data on request (PROTOCOL.md "Customer data (privacy)"): an admin exports one customer's data as one
 * document and erases it; afterwards nothing of them is found anywhere a user or the server could look, while
 * the statistics keep their counts.
 */

interface Export {
  customerId: string;
  sessions: Array<{ session: SessionBody; messages: MessageBody[]; events: Array<{ type: string; detail: Record<string, unknown> | null; operatorId: number | null }> }>;
}
interface Erasure {
  customerId: string | null;
  sessionId: string | null;
  sessions: number;
  messages: number;
  attachments: number;
}
interface AuditEntry {
  action: string;
  actor: { id: number | null; name: string | null };
  target: { type: string; id: string | null };
  detail: Record<string, unknown> | null;
}

const SECRET = 'webhook-secret-for-erasures';
/** What the customer of these tests is: each must be gone after the erasure. */
const PERSON = { name: 'Zoë Quenneville', email: 'zoe.quenneville@example.org', words: 'passport XQ7781 expires' };

/** Every value under the deployment's Redis prefix, as text (strings, hashes, sets, lists). */
async function redisText(prefix: string): Promise<string> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    const parts: string[] = [];
    for (const key of await redis.keys(`${prefix}*`)) {
      const type = await redis.type(key);
      const value =
        type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : type === 'set' ? (await redis.smembers(key)).join(',') : type === 'list' ? (await redis.lrange(key, 0, -1)).join(',') : '';
      parts.push(`${key}=${value ?? ''}`);
    }
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

/** The calls these tests make, against the stage's server. */
function privacyApi(stage: Stage) {
  const exportOf = async (token: string, customerId: string): Promise<Export> => getData<Export>(stage.url, token, `/api/users/${encodeURIComponent(customerId)}/export`);
  const eraseCustomer = (token: string, customerId: string) => request(stage.url).delete(`/api/users/${encodeURIComponent(customerId)}`).set(bearer(token));
  const eraseSession = (token: string, sessionId: string) => request(stage.url).delete(`/api/chat/sessions/${sessionId}`).set(bearer(token));
  const search = async (token: string, q: string): Promise<Array<{ session: SessionBody }>> => getData(stage.url, token, `/api/chat/search?q=${encodeURIComponent(q)}`);
  const auditOf = (token: string): Promise<AuditEntry[]> => getData<AuditEntry[]>(stage.url, token, '/api/audit?limit=100');
  const send = (token: string, sessionId: string, body: Record<string, unknown>) =>
    request(stage.url).post(`/api/chat/sessions/${sessionId}/messages`).set(bearer(token)).send({ clientMessageId: randomUUID(), ...body });
  /** What /stats counts, without the average rating: an erased rating is deleted (PROTOCOL.md), so it leaves the average. */
  const counts = async (token: string): Promise<unknown> => {
    const stats = await getData<{ operators: Array<Record<string, unknown>> } & Record<string, unknown>>(stage.url, token, '/api/operators/stats');
    return { ...stats, operators: stats.operators.map(({ avgRating: _avgRating, lastSeenAt: _seen, ...figures }) => figures) };
  };
  return { exportOf, eraseCustomer, eraseSession, search, auditOf, send, counts };
}

/** Both file stores: what is erased is gone from either. */
describe.each(['disk', 'database'] as const)('files in the %s store', (storage) => {
  describeEachBackend('customer data: export and erase', (backend) => {
    let receiver: WebhookReceiver;
    // Known once the receiver listens (before the first server boots).
    const env: Record<string, string> = {};
    const dir = storage === 'disk' ? tempDir('chat-erase-') : undefined;
    beforeAll(async () => {
      receiver = await startWebhookReceiver();
      Object.assign(env, { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE_MS: '20', ATTACHMENT_STORAGE: storage, ...(dir ? { ATTACHMENT_DIR: dir } : {}) });
    });
    afterAll(() => receiver.close());
    const stage = serverPerTest(backend, env);

    const { exportOf, eraseCustomer, eraseSession, search, auditOf, send, counts } = privacyApi(stage);

    /** A customer with two chats (one rated, with a note, a file and metadata) and a stranger who used the same words. */
    async function customerWithHistory(customerId: string) {
      const { url, admin } = stage;
      const ann = await onlineOperator(url, admin.token, { name: 'Ann Archer', maxConcurrentSessions: 5 });
      const person = { customerId, customerName: PERSON.name, customerEmail: PERSON.email, metadata: { plan: 'gold', phone: '+33 6 12 34 56 78' } };
      const first = await assignedChat(url, ann, { ...person, message: `my ${PERSON.words}` });
      const id = first.session.id;
      expect((await send(ann.token, id, { content: 'Thanks, I see your passport' })).status).toBe(201);
      expect((await send(ann.token, id, { content: 'she sent her passport twice', internal: true })).status).toBe(201);
      expect((await upload(url, first.customerToken, id, { bytes: await smallPng(), name: 'passport-scan.png' }, { clientMessageId: randomUUID() })).status).toBe(201);
      await closeSession(url, ann.token, id);
      expect((await request(url).post(`/api/chat/sessions/${id}/rating`).set(bearer(first.customerToken)).send({ rating: 2, comment: `slow, ${PERSON.name}` })).status).toBe(200);
      const second = await assignedChat(url, ann, { ...person, message: 'hello again about my passport' });
      await closeSession(url, ann.token, second.session.id, `asked about ${PERSON.email}`);
      const stranger = await assignedChat(url, ann, { customerId: 'someone-else', customerName: 'Bruno Other', message: 'my passport is lost' });
      return { ann, first, second, stranger };
    }

    it('an admin exports a customer as one document, then erases them: search, history, export, Redis and the file store hold nothing of them, and /stats counts the same', async () => {
      const { url, admin, server } = stage;
      const customerId = `c-${randomUUID()}`;
      const { ann, first, second, stranger } = await customerWithHistory(customerId);

      const exported = await exportOf(admin.token, customerId);
      expect(exported.customerId).toBe(customerId);
      expect(exported.sessions.map((s) => s.session.id)).toEqual([first.session.id, second.session.id]);
      const [one] = exported.sessions;
      expect(one!.session).toMatchObject({ customerName: PERSON.name, customerEmail: PERSON.email, rating: 2, metadata: { plan: 'gold' } });
      expect(one!.messages.map((m) => m.content)).toEqual(expect.arrayContaining([`my ${PERSON.words}`, 'she sent her passport twice']));
      expect(one!.messages.find((m) => m.internal)?.content).toBe('she sent her passport twice');
      const file = one!.messages.find((m) => m.attachment)?.attachment;
      expect(file?.fileName).toBe('passport-scan.png');
      expect((await request(url).get(file!.url)).status).toBe(200);
      expect(one!.events.map((e) => e.type)).toEqual(expect.arrayContaining(['created', 'assigned', 'closed', 'rated']));
      // Only admins; a customer's token not at all.
      expectError(await request(url).get(`/api/users/${customerId}/export`).set(bearer(ann.token)), 403, 'FORBIDDEN');
      expectError(await eraseCustomer(ann.token, customerId), 403, 'FORBIDDEN');
      expectError(await eraseCustomer(first.customerToken, customerId), 403, 'FORBIDDEN');
      expect((await search(admin.token, 'XQ7781')).length).toBe(1);
      const held = await storedFiles(server.server.db, dir);
      expect(storage === 'disk' ? held.onDisk : held.chunks).toBeGreaterThan(0);

      const before = await counts(admin.token);
      const erased = await eraseCustomer(admin.token, customerId);
      expect(erased.status).toBe(200);
      expect(erased.body.data).toEqual({ customerId, sessionId: null, sessions: 2, messages: expect.any(Number), attachments: 1 });
      expect((erased.body.data as Erasure).messages).toBeGreaterThanOrEqual(7);

      // Search: neither the words, the name, the email nor the id; the stranger who used the same word still is.
      for (const q of ['XQ7781', 'Quenneville', PERSON.email, customerId, 'twice']) expect(await search(admin.token, q)).toEqual([]);
      expect((await search(admin.token, 'passport')).map((r) => r.session.id)).toEqual([stranger.session.id]);
      // History: the sessions stay as anonymous rows; none by the customer's id.
      expect(await getData(url, admin.token, `/api/chat/sessions/history?customerId=${customerId}`)).toEqual([]);
      const history = await getData<SessionBody[]>(url, admin.token, '/api/chat/sessions/history?limit=100');
      for (const id of [first.session.id, second.session.id]) {
        const row = history.find((s) => s.id === id);
        expect(row).toMatchObject({ status: 'closed', customerId: null, customerName: null, customerEmail: null, metadata: null, rating: null, ratingComment: null, closeReason: null, operatorId: ann.id });
        expect(await getData<MessageBody[]>(url, admin.token, `/api/chat/messages/${id}`)).toEqual([]);
      }
      // The export: 200 with nothing in it.
      expect((await exportOf(admin.token, customerId)).sessions).toEqual([]);
      // The audit trail: who erased, when; nothing of what was said (the close reason and the rating went).
      const trail = await sessionEvents(url, admin.token, second.session.id);
      expect(trail.find((e) => e.type === 'erased')).toMatchObject({ operatorId: admin.id, detail: { by: 'admin', attachments: 0 } });
      expect(JSON.stringify(await sessionEvents(url, admin.token, first.session.id))).not.toMatch(/passport|Quenneville|example\.org|"rating":2/);
      // Files: no row, no chunk, nothing on disk; the old link is dead.
      expect(await storedFiles(server.server.db, dir)).toEqual({ rows: 0, chunks: 0, onDisk: 0 });
      expect((await request(url).get(file!.url)).status).toBe(404);
      // The customer's token no longer opens the session.
      expect((await request(url).get(`/api/chat/sessions/${first.session.id}`).set(bearer(first.customerToken))).status).toBe(401);
      // Redis: nothing of them (their words, name, email, id).
      const prefix = server.config.redis?.keyPrefix;
      if (prefix) expect(await redisText(prefix)).not.toMatch(new RegExp(`XQ7781|Quenneville|${PERSON.email.replace(/\./g, '\\.')}|${customerId}`));
      // The statistics count what they counted.
      expect(await counts(admin.token)).toEqual(before);

      // The audit log names the admin, the export and the erasure with its counts; never a secret.
      const audit = (await auditOf(admin.token)).filter((entry) => entry.target.id === customerId);
      expect(audit).toEqual([
        expect.objectContaining({ action: 'customer.exported', detail: { sessions: 0 } }),
        { id: expect.any(Number), at: expect.any(String), actor: { id: admin.id, name: expect.any(String) }, action: 'customer.erased', target: { type: 'customer', id: customerId }, detail: { sessions: 2, messages: (erased.body.data as Erasure).messages, attachments: 1 } },
        expect.objectContaining({ action: 'customer.exported', actor: { id: admin.id, name: expect.any(String) }, target: { type: 'customer', id: customerId }, detail: { sessions: 2 } }),
      ]);
      // The webhook tells integrations to forget the same customer.
      const hook = await waitFor(() => receiver.received.find((h) => h.body.event === 'customer.erased' && h.body.data.customerId === customerId), 5_000, 'the customer.erased webhook');
      expect(hook.body.data).toEqual({ customerId, sessionIds: [first.session.id, second.session.id], erasedBy: { id: admin.id, name: expect.any(String) }, reason: 'request', sessions: 2, messages: (erased.body.data as Erasure).messages, attachments: 1 });

      // Twice is harmless: zeros, no second webhook, nothing changes.
      const again = await eraseCustomer(admin.token, customerId);
      expect(again.status).toBe(200);
      expect(again.body.data).toEqual({ customerId, sessionId: null, sessions: 0, messages: 0, attachments: 0 });
      expect((await eraseSession(admin.token, first.session.id)).body.data).toEqual({ customerId: null, sessionId: first.session.id, sessions: 0, messages: 0, attachments: 0 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.received.filter((h) => h.body.event === 'customer.erased' && h.body.data.customerId === customerId)).toHaveLength(1);
      expect((await sessionEvents(url, admin.token, first.session.id)).filter((e) => e.type === 'erased')).toHaveLength(1);
      expect(await counts(admin.token)).toEqual(before);
    });
  });
});

describeEachBackend('customer data: erasing sessions', (backend) => {
  const stage = serverPerTest(backend);
  const { exportOf, eraseCustomer, eraseSession, search, auditOf } = privacyApi(stage);

  it('erasing one open session closes it first: its customer is told and disconnected, their token stops working; unknown sessions are 404', async () => {
    const { url, admin } = stage;
    const ann = await onlineOperator(url, admin.token, { name: 'Ann Archer', socket: true });
    const customer = await assignedChat(url, ann, { customerName: PERSON.name, customerEmail: PERSON.email, message: PERSON.words, socket: true });
    const id = customer.session.id;
    const gone = waitDisconnected(customer.socket);

    const erased = await eraseSession(admin.token, id);
    expect(erased.status).toBe(200);
    expect(erased.body.data).toEqual({ customerId: null, sessionId: id, sessions: 1, messages: expect.any(Number), attachments: 0 });
    // The news of the close already carries nothing of the customer (it is also what webhooks are sent).
    expect((await nextEvent<{ session: SessionBody }>(customer.socket, 'session:closed')).session).toMatchObject({ id, customerName: null, customerEmail: null });
    expect((await nextEvent<{ session: SessionBody }>(ann.socket, 'session:closed', undefined, (p) => p.session.id === id)).session).toMatchObject({ customerName: null });
    expect(await gone).toBe('io server disconnect');
    // The operator's console hears the session as it is left: closed, anonymous.
    const told = await nextEvent<{ session: SessionBody }>(ann.socket, 'session:updated', undefined, (p) => p.session.id === id && p.session.customerName === null);
    expect(told.session).toMatchObject({ status: 'closed', customerName: null, customerEmail: null });
    // Ann's seat is free again.
    expect((await getData<{ activeSessions: number }>(url, admin.token, `/api/operators/${ann.id}`)).activeSessions).toBe(0);
    expect((await request(url).get(`/api/chat/sessions/${id}`).set(bearer(customer.customerToken))).status).toBe(401);
    expect(await search(admin.token, 'XQ7781')).toEqual([]);
    const prefix = stage.server.config.redis?.keyPrefix;
    if (prefix) expect(await redisText(prefix)).not.toContain(id);
    expect(await auditOf(admin.token)).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'session.erased', target: { type: 'session', id } })]));
    // The close this erasure made keeps its line in the audit trail, without its details.
    expect((await sessionEvents(url, admin.token, id)).find((e) => e.type === 'closed')).toMatchObject({ detail: null });

    // Nothing more is kept in it: not even a note an operator writes in the chat still open in their console.
    const note = await request(url).post(`/api/chat/sessions/${id}/messages`).set(bearer(ann.token)).send({ content: `${PERSON.name} phoned again`, internal: true, clientMessageId: randomUUID() });
    expectError(note, 409, 'SESSION_CLOSED');
    expect(await getData<MessageBody[]>(url, admin.token, `/api/chat/messages/${id}`)).toEqual([]);

    expectError(await eraseSession(admin.token, randomUUID()), 404, 'NOT_FOUND');
    expectError(await eraseSession(admin.token, 'not-a-session'), 400, 'VALIDATION_ERROR');
    expectError(await eraseSession(ann.token, id), 403, 'FORBIDDEN');
    expectError(await request(url).delete(`/api/chat/sessions/${id}`), 401, 'UNAUTHENTICATED');
  });

  it('a customer with no data exports as an empty document and erases as zeros; a bad id is 400', async () => {
    const { url, admin } = stage;
    expect(await exportOf(admin.token, 'nobody-here')).toEqual({ customerId: 'nobody-here', exportedAt: expect.any(String), sessions: [] });
    expect((await eraseCustomer(admin.token, 'nobody-here')).body.data).toEqual({ customerId: 'nobody-here', sessionId: null, sessions: 0, messages: 0, attachments: 0 });
    expectError(await request(url).get(`/api/users/${'x'.repeat(192)}/export`).set(bearer(admin.token)), 400, 'VALIDATION_ERROR');
    expectError(await eraseCustomer(admin.token, 'x'.repeat(192)), 400, 'VALIDATION_ERROR');
    await createSession(url, { customerId: 'waiting-one', message: 'anyone there?' });
    // A waiting session is closed and erased too: it leaves the queue.
    expect((await eraseCustomer(admin.token, 'waiting-one')).body.data).toMatchObject({ sessions: 1 });
    expect(await getData<SessionBody[]>(url, admin.token, '/api/operators/pending-sessions')).toEqual([]);
  });
});
