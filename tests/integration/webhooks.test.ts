import { createHmac, timingSafeEqual } from 'node:crypto';
import request from 'supertest';
import { describeEachBackend, sqliteBackend } from '../helpers/backends';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { bearer, closeSession, createAdmin, createOperator, createSession, expectStatus, sendMessage, setStatus } from '../helpers/api';
import { startWebhookReceiver, type ReceivedHook, type WebhookReceiver } from '../helpers/webhookReceiver';
import { scrape } from '../helpers/metrics';
import { waitFor } from '../helpers/wait';

/**
 * Webhooks as a third-party integration sees them: a local receiver gets every event, signed, in order per
 * session, retried when it fails; the chat never waits for it.
 */

const SECRET = 'webhook-secret-shared-with-the-receiver';

const webhookEnv = (receiver: WebhookReceiver, extra: Record<string, string> = {}): Record<string, string> => ({
  WEBHOOK_URL: receiver.url,
  WEBHOOK_SECRET: SECRET,
  WEBHOOK_RETRY_BASE_MS: '20',
  ...extra,
});

/** What a receiver must do: HMAC-SHA256 of the raw body under the shared secret, compared in constant time. */
function signatureValid(hook: ReceivedHook): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(hook.raw).digest('hex')}`);
  const given = Buffer.from(String(hook.headers['x-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const sessionOf = (hook: ReceivedHook): string | undefined => {
  const data = hook.body.data as { session?: { id: string }; message?: { sessionId: string } };
  return data.session?.id ?? data.message?.sessionId;
};

describeEachBackend('webhooks: a scripted conversation reaches the receiver', (backend) => {
  let receiver: WebhookReceiver;
  let server: TestServer;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    server = await startTestServer(backend, { env: webhookEnv(receiver) });
  });

  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('posts each of the six events, signed, with its DTOs, in order per session', async () => {
    const admin = await createAdmin(server);
    const alice = await createOperator(server.url, admin.token, { name: 'Alice' });
    const bob = await createOperator(server.url, admin.token, { name: 'Bob' });
    await setStatus(server.url, alice.token, alice.id, 'online');
    const customer = await createSession(server.url, { message: 'Where is my parcel?' });
    const sessionId = customer.session.id;
    expect(customer.session.operatorId).toBe(alice.id);
    await sendMessage(server.url, alice.token, sessionId, { content: 'Checking now' });
    await setStatus(server.url, bob.token, bob.id, 'online');
    const moved = await request(server.url).put(`/api/chat/sessions/${sessionId}/transfer`).set(bearer(alice.token)).send({ operatorId: bob.id });
    expectStatus(moved, 200);
    await sendMessage(server.url, customer.customerToken, sessionId, { content: 'Thank you' });
    await closeSession(server.url, bob.token, sessionId);

    await waitFor(() => receiver.delivered().some((h) => h.body.event === 'session.closed' && sessionOf(h) === sessionId), 5_000, 'session.closed delivered');
    const hooks = receiver.delivered();

    for (const hook of hooks) {
      expect({ id: hook.body.id, valid: signatureValid(hook) }).toEqual({ id: hook.body.id, valid: true });
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['x-webhook-id']).toBe(hook.body.id);
      expect(hook.headers['x-webhook-event']).toBe(hook.body.event);
      expect(Object.keys(hook.body).sort()).toEqual(['data', 'event', 'id', 'occurredAt']);
      expect(new Date(hook.body.occurredAt).toISOString()).toBe(hook.body.occurredAt);
    }
    expect(new Set(hooks.map((h) => h.body.id)).size).toBe(hooks.length);

    const ofSession = hooks.filter((h) => sessionOf(h) === sessionId).map((h) => h.body);
    const lifecycle = ofSession.filter((b) => b.event.startsWith('session.')).map((b) => b.event);
    expect(lifecycle).toEqual(['session.created', 'session.assigned', 'session.transferred', 'session.closed']);
    const messages = ofSession.filter((b) => b.event === 'message.created').map((b) => b.data.message as { id: number; senderType: string; content: string });
    // Emitted in storage order, delivered in that order.
    expect(messages.map((m) => m.id)).toEqual([...messages.map((m) => m.id)].sort((x, y) => x - y));
    expect(messages.filter((m) => m.senderType !== 'system').map((m) => m.content)).toEqual(['Where is my parcel?', 'Checking now', 'Thank you']);
    // The transfer sits between the operator's answer and the customer's thanks, as it happened.
    const events = ofSession.map((b) => b.event);
    const contentAt = (content: string): number => ofSession.findIndex((b) => (b.data.message as { content?: string } | undefined)?.content === content);
    expect(contentAt('Checking now')).toBeLessThan(events.indexOf('session.transferred'));
    expect(events.indexOf('session.transferred')).toBeLessThan(contentAt('Thank you'));

    const assigned = ofSession.find((b) => b.event === 'session.assigned')?.data as { session: { operatorId: number }; operatorId: number; strategy: string };
    expect(assigned).toMatchObject({ operatorId: alice.id, strategy: 'least-busy', session: { operatorId: alice.id } });
    const transferred = ofSession.find((b) => b.event === 'session.transferred')?.data;
    expect(transferred).toMatchObject({ fromOperatorId: alice.id, toOperatorId: bob.id });

    const statusChanges = hooks.filter((h) => h.body.event === 'operator.status_changed').map((h) => h.body.data as { operator: { id: number; status: string }; previous: string });
    expect(statusChanges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ operator: expect.objectContaining({ id: alice.id, status: 'online' }), previous: 'offline' }),
        expect.objectContaining({ operator: expect.objectContaining({ id: bob.id, status: 'online' }), previous: 'offline' }),
      ]),
    );
    // No secret travels: the operator DTO has no password hash, the session no token.
    expect(hooks.map((h) => h.raw).join('\n')).not.toMatch(/passwordHash|customerTokenHash|customerToken/);

    const metrics = await scrape(server.url);
    expect(metrics.value('chat_webhook_deliveries_total', { outcome: 'delivered' })).toBe(hooks.length);
    expect(metrics.value('chat_webhook_deliveries_total', { outcome: 'retry' })).toBe(0);
  });
});

describe('webhooks: a failing receiver [sqlite]', () => {
  let receiver: WebhookReceiver;
  let server: TestServer | undefined;

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await receiver.close();
  });

  it('is retried with the same signed body until it answers, each event delivered once, still in order', async () => {
    // The first three requests fail (500, 503, then a hang past the timeout), everything after succeeds.
    receiver.respond = (_hook, n) => (n === 1 ? 500 : n === 2 ? 503 : n === 3 ? 'hang' : 200);
    server = await startTestServer(sqliteBackend, { env: webhookEnv(receiver, { WEBHOOK_TIMEOUT_MS: '300', WEBHOOK_RETRY_BASE_MS: '50' }) });
    const customer = await createSession(server.url, { message: 'first' });
    const sessionId = customer.session.id;
    await sendMessage(server.url, customer.customerToken, sessionId, { content: 'second' });
    await sendMessage(server.url, customer.customerToken, sessionId, { content: 'third' });

    const done = (): boolean => receiver.delivered().filter((h) => h.body.event === 'message.created').length === 3;
    await waitFor(done, 10_000, 'three messages delivered after the failures');

    // The first event (session.created) took four attempts: same id, same bytes, valid signature each time.
    const first = receiver.received.slice(0, 4);
    expect(first.map((h) => h.body.event)).toEqual(['session.created', 'session.created', 'session.created', 'session.created']);
    expect(new Set(first.map((h) => h.raw)).size).toBe(1);
    expect(first.every(signatureValid)).toBe(true);
    expect(first.map((h) => h.headers['x-webhook-attempt'])).toEqual(['1', '2', '3', '4']);
    // Backoff: 50 ms, doubling, never less than 80 % of it (timers never fire early). The hung attempt's
    // timeout runs from its sending, not its arrival, so only the backoff after it is a sure lower bound.
    const gaps = first.slice(1).map((h, i) => h.at - (first[i] as ReceivedHook).at);
    expect(gaps[0]).toBeGreaterThanOrEqual(39);
    expect(gaps[1]).toBeGreaterThanOrEqual(79);
    expect(gaps[2]).toBeGreaterThanOrEqual(159);

    const delivered = receiver.delivered();
    expect(new Set(delivered.map((h) => h.body.id)).size).toBe(delivered.length);
    expect(delivered.map((h) => h.body.event)).toEqual(['session.created', 'message.created', 'message.created', 'message.created']);
    expect(delivered.slice(1).map((h) => (h.body.data.message as { content: string }).content)).toEqual(['first', 'second', 'third']);

    const metrics = await scrape(server.url);
    expect(metrics.value('chat_webhook_deliveries_total', { event: 'session.created', outcome: 'retry' })).toBe(3);
    expect(metrics.value('chat_webhook_deliveries_total', { outcome: 'delivered' })).toBe(4);
    expect(metrics.value('chat_webhook_deliveries_total', { outcome: 'failed' })).toBe(0);
  });

  it('gives an event up after WEBHOOK_MAX_ATTEMPTS, counts it, and goes on with the next', async () => {
    receiver.respond = (hook) => (hook.body.event === 'session.created' ? 500 : 200);
    server = await startTestServer(sqliteBackend, { env: webhookEnv(receiver, { WEBHOOK_MAX_ATTEMPTS: '3' }) });
    await createSession(server.url, { message: 'hello' });

    await waitFor(() => receiver.delivered().some((h) => h.body.event === 'message.created'), 5_000, 'the next event delivered');
    expect(receiver.received.filter((h) => h.body.event === 'session.created')).toHaveLength(3);
    const metrics = await scrape(server.url);
    expect(metrics.value('chat_webhook_deliveries_total', { event: 'session.created', outcome: 'failed' })).toBe(1);
    expect(metrics.value('chat_webhook_deliveries_total', { event: 'session.created', outcome: 'retry' })).toBe(2);
    expect(metrics.value('chat_webhook_deliveries_total', { event: 'message.created', outcome: 'delivered' })).toBe(1);
  });

  it('never slows the chat while the receiver hangs, and does not hold up the server\'s stop', async () => {
    receiver.respond = () => 'hang';
    server = await startTestServer(sqliteBackend, { env: webhookEnv(receiver, { WEBHOOK_TIMEOUT_MS: '60000' }) });
    const started = Date.now();
    const customer = await createSession(server.url);
    for (let i = 0; i < 20; i++) await sendMessage(server.url, customer.customerToken, customer.session.id, { content: `message ${i}` });
    const chatMs = Date.now() - started;
    // 21 requests answered while the receiver holds the first delivery open for a minute.
    expect(chatMs).toBeLessThan(5_000);
    expect(receiver.received.length).toBe(1);

    const stopping = Date.now();
    await server.close();
    server = undefined;
    // The webhook stop deadline is 1.5 s; what was queued behind the hanging delivery is dropped.
    expect(Date.now() - stopping).toBeLessThan(4_000);
  });
});
