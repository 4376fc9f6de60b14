import request from 'supertest';
import { SYSTEM } from '../../services/access';
import { describeEachBackend } from '../helpers/backends';
import type { TestServer } from '../helpers/testServer';
import { PASSWORD, bearer, createAdmin, createSession, expectError, expectErrorEnvelope, expectStatus, sendChecked, startApiServer, uniqueEmail } from '../helpers/api';

/** The REST rate limits: new sessions and logins per minute, messages per 10 s; a refusal says when to retry. */

/** Every response is checked for secrets. */
const send = (test: request.Test): Promise<request.Response> => sendChecked(test);

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
