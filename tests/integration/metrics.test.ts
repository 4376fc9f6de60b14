import Redis from 'ioredis';
import { Counter, Registry } from 'prom-client';
import request from 'supertest';
import { ClusterMetrics } from '../../src/observability/metrics/clusterMetrics';
import { createLogger } from '../../src/observability/logger';
import { availableBackends, deleteRedisKeys, describeEachBackend, mariadbRedisBackend, sqliteBackend, type ProvisionedBackend } from '../helpers/backends';
import { redisUrl } from '../helpers/realBackends';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { bearer, createAdmin, createSession, expectError, sendMessage, type Staff } from '../helpers/api';
import { call, closeAllSockets, cmid, connectCustomer, connectedOperator, type ConnectedOperator } from '../helpers/sockets';
import { scrape } from '../helpers/metrics';
import { waitFor } from '../helpers/wait';

/**
 * /metrics as the person running the server reads it: after a scripted conversation, every figure says what
 * happened (requests by route, sockets, messages, assignments, queue, waits), and nothing else.
 */
describeEachBackend('GET /metrics after a scripted conversation', (backend) => {
  let server: TestServer;
  let admin: Staff;
  let operator: ConnectedOperator;
  let sessionId: string;
  let queuedId: string;

  // Each test reads the figures of its own server, right after the same scripted conversation.
  beforeEach(async () => {
    server = await startTestServer(backend);
    admin = await createAdmin(server);
    // One seat: the second customer has to wait.
    operator = await connectedOperator(server.url, admin.token, { maxConcurrentSessions: 1, status: 'online' });

    const customer = await createSession(server.url, { message: 'Hello, anyone there?' });
    sessionId = customer.session.id;
    expect(customer.session.operatorId).toBe(operator.id);
    const customerSocket = await connectCustomer(server.url, customer.customerToken);
    await call(customerSocket, 'message:send', { content: 'My order is late', clientMessageId: cmid() });
    await sendMessage(server.url, operator.token, sessionId, { content: 'Let me check that for you' });
    await call(operator.socket, 'message:send', { sessionId, content: 'It ships tomorrow', clientMessageId: cmid() });
    await sendMessage(server.url, customer.customerToken, sessionId, { content: 'Thanks!' });

    queuedId = (await createSession(server.url)).session.id;
    // A refused request and an unknown URL, for the route labels.
    expectError(await request(server.url).get(`/api/chat/sessions/${sessionId}`), 401, 'UNAUTHENTICATED');
    expect((await request(server.url).get(`/no/such/page/${sessionId}`)).status).toBe(404);
  });

  afterEach(async () => {
    closeAllSockets();
    await server?.close();
  });

  it('counts the messages stored, by sender', async () => {
    const metrics = await scrape(server.url);
    // The first message given with the session, one over the socket, one over REST.
    expect(metrics.value('chat_messages_stored_total', { sender_type: 'customer' })).toBe(3);
    expect(metrics.value('chat_messages_stored_total', { sender_type: 'operator' })).toBe(2);
    // "… joined the chat".
    expect(metrics.value('chat_messages_stored_total', { sender_type: 'system' })).toBe(1);
  });

  it('counts assignments by strategy, times the wait for an operator and the first answer (only the first)', async () => {
    const metrics = await scrape(server.url);
    expect(metrics.value('chat_assignments_total', { strategy: 'least-busy' })).toBe(1);
    expect(metrics.value('chat_assignments_total')).toBe(1);
    expect(metrics.value('chat_queue_wait_seconds_count')).toBe(1);
    expect(metrics.value('chat_queue_wait_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(metrics.value('chat_first_response_seconds_count')).toBe(1);
    // Answered within the test: well under a minute.
    expect(metrics.value('chat_first_response_seconds_bucket', { le: '60' })).toBe(1);
  });

  it('shows the waiting queue and the open sockets per namespace', async () => {
    const metrics = await scrape(server.url);
    expect(metrics.value('chat_queue_length')).toBe(1);
    expect(metrics.value('chat_sockets_connected', { namespace: '/customer' })).toBe(1);
    expect(metrics.value('chat_sockets_connected', { namespace: '/operator' })).toBe(1);

    // An admin closes the waiting session and everyone leaves: the figures follow.
    const res = await request(server.url).put(`/api/chat/sessions/${queuedId}/close`).set(bearer(admin.token)).send({});
    expect(res.status).toBe(200);
    closeAllSockets();
    await waitFor(async () => {
      const after = await scrape(server.url);
      return after.value('chat_queue_length') === 0 && after.value('chat_sockets_connected') === 0;
    }, 5_000, 'queue empty and no socket left');
  });

  it('counts and times HTTP requests by route pattern and status, never by raw URL', async () => {
    // A scrape counts once answered: the one before this one is in its figures.
    await scrape(server.url);
    const metrics = await scrape(server.url);
    const created = { method: 'POST', route: '/api/chat/sessions', status: '201' };
    expect(metrics.value('http_requests_total', created)).toBe(2);
    expect(metrics.value('http_request_duration_seconds_count', created)).toBe(2);
    expect(metrics.value('http_request_duration_seconds_bucket', { ...created, le: '+Inf' })).toBe(2);
    expect(metrics.value('http_requests_total', { method: 'POST', route: '/api/chat/sessions/:sessionId/messages', status: '201' })).toBe(2);
    // Refused before its handler ran: still labelled with the route that matched.
    expect(metrics.value('http_requests_total', { method: 'GET', route: '/api/chat/sessions/:sessionId', status: '401' })).toBe(1);
    expect(metrics.value('http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(metrics.value('http_requests_total', { route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(metrics.text).not.toContain(sessionId);
  });

  it('includes the default Node.js process figures', async () => {
    const metrics = await scrape(server.url);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect({ name, present: metrics.samples.some((s) => s.name === name) }).toEqual({ name, present: true });
    }
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const token = 'scrape-token-for-the-tests';
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(sqliteBackend, { env: { METRICS_TOKEN: token } });
  });
  afterAll(() => server?.close());

  it('answers only a scraper that sends the token', async () => {
    expectError(await request(server.url).get('/metrics'), 401, 'UNAUTHENTICATED');
    expectError(await request(server.url).get('/metrics').set(bearer('wrong-token')), 401, 'UNAUTHENTICATED');
    const metrics = await scrape(server.url, bearer(token));
    expect(metrics.value('http_requests_total', { route: '/metrics', status: '401' })).toBe(2);
  });
});

const clustered = availableBackends().includes(mariadbRedisBackend);

(clustered ? describe : describe.skip)('GET /metrics across two processes of one deployment [mariadb+redis]', () => {
  let provisioned: ProvisionedBackend;
  let a: TestServer;
  let b: TestServer;

  // Each test gets its own deployment, after the same conversation: the operator's socket on A, the customer's
  // on B; one seat, so a second customer waits.
  beforeEach(async () => {
    provisioned = await mariadbRedisBackend.provision();
    a = await startTestServer(mariadbRedisBackend, { provisioned });
    b = await startTestServer(mariadbRedisBackend, { provisioned });
    const admin = await createAdmin(a);
    const operator = await connectedOperator(a.url, admin.token, { maxConcurrentSessions: 1, status: 'online' });
    const customer = await createSession(b.url);
    expect(customer.session.operatorId).toBe(operator.id);
    const customerSocket = await connectCustomer(b.url, customer.customerToken);
    await call(customerSocket, 'message:send', { content: 'Hi from B', clientMessageId: cmid() });
    await sendMessage(a.url, customer.customerToken, customer.session.id, { content: 'Hi from A' });
    await sendMessage(a.url, operator.token, customer.session.id, { content: 'Hello!' });
    await createSession(a.url);
  });

  afterEach(async () => {
    closeAllSockets();
    await a?.close();
    await b?.close();
    await provisioned?.dispose();
  });

  it('adds up every process\'s counters and sockets, and counts the shared queue once, whichever process is scraped', async () => {
    const figures = async (server: TestServer): Promise<Record<string, number>> => {
      const metrics = await scrape(server.url);
      return {
        customerMessages: metrics.value('chat_messages_stored_total', { sender_type: 'customer' }),
        operatorMessages: metrics.value('chat_messages_stored_total', { sender_type: 'operator' }),
        assignments: metrics.value('chat_assignments_total', { strategy: 'least-busy' }),
        firstResponses: metrics.value('chat_first_response_seconds_count'),
        customerSockets: metrics.value('chat_sockets_connected', { namespace: '/customer' }),
        operatorSockets: metrics.value('chat_sockets_connected', { namespace: '/operator' }),
        queueLength: metrics.value('chat_queue_length'),
        sessionsCreated: metrics.value('http_requests_total', { method: 'POST', route: '/api/chat/sessions', status: '201' }),
      };
    };
    const expected = { customerMessages: 2, operatorMessages: 1, assignments: 1, firstResponses: 1, customerSockets: 1, operatorSockets: 1, queueLength: 1, sessionsCreated: 2 };
    // The scraped process's own figures are fresh; the other's are as of its last publication (every 5 s).
    for (const server of [a, b]) {
      const seen = await waitFor(async () => {
        const now = await figures(server);
        return JSON.stringify(now) === JSON.stringify(expected) ? now : undefined;
      }, 8_000, `the deployment's figures on ${server.url}`, 250).catch(async () => figures(server));
      expect(seen).toEqual(expected);
    }
  });

  it('drops a stopped process\'s sockets at once, and keeps its counts: a reload never makes a counter go down', async () => {
    // A has heard of B's figures (published every 5 s) before B stops.
    await waitFor(async () => (await scrape(a.url)).value('chat_sockets_connected', { namespace: '/customer' }) === 1, 8_000, "B's figures on A", 250);
    const before = await scrape(a.url);
    expect(before.value('chat_sockets_connected', { namespace: '/customer' })).toBe(1);
    expect(before.value('chat_messages_stored_total', { sender_type: 'customer' })).toBe(2);
    await b.close();
    const after = await scrape(a.url);
    // B held the customer's socket; it stored one of the two customer messages, which still count.
    expect(after.value('chat_sockets_connected', { namespace: '/customer' })).toBe(0);
    expect(after.value('chat_messages_stored_total', { sender_type: 'customer' })).toBe(2);
    expect(after.value('http_requests_total', { method: 'POST', route: '/api/chat/sessions', status: '201' })).toBe(2);
    // A process started after it (a reload's replacement) adds to the same sums.
    b = await startTestServer(mariadbRedisBackend, { provisioned });
    const customer = await createSession(b.url);
    await sendMessage(b.url, customer.customerToken, customer.session.id, { content: 'Hi from the new B' });
    const later = await scrape(b.url);
    expect(later.value('chat_messages_stored_total', { sender_type: 'customer' })).toBe(3);
    expect(later.value('http_requests_total', { method: 'POST', route: '/api/chat/sessions', status: '201' })).toBe(3);
  });
});

(clustered ? describe : describe.skip)('retired processes\' figures [redis]', () => {
  const prefix = `test:metrics-retired:${process.pid}:${Date.now()}:`;
  const redis = new Redis(redisUrl, { keyPrefix: prefix });
  afterAll(async () => {
    redis.disconnect();
    await deleteRedisKeys(prefix);
  });

  it('stay in the sums across many restarts, folded into a few entries', async () => {
    const RESTARTS = 40;
    const processOf = (): ClusterMetrics => {
      const registry = new Registry();
      new Counter({ name: 'restarts_seen_total', help: 'one per process', registers: [registry] }).inc();
      return new ClusterMetrics(registry, redis, createLogger('silent'));
    };
    for (let i = 0; i < RESTARTS; i++) {
      const metrics = processOf();
      metrics.start();
      await metrics.stop();
    }
    const live = processOf();
    const text = await live.render();
    expect(text).toContain(`restarts_seen_total ${RESTARTS + 1}`);
    // Folded as it went: the hash never holds one entry per restart.
    expect(await redis.hlen('metrics:retired')).toBeLessThanOrEqual(17);
  });
});
