import { SignJWT } from 'jose';
import request from 'supertest';
import { describeEachBackend, type ProvisionedBackend } from '../helpers/backends';
import { provisionShared } from '../helpers/database';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { sleep, waitFor } from '../helpers/wait';
import { bearer, createAdmin, createOperator, createSession, expectError, expectStatus, login, setStatus, type Staff } from '../helpers/api';

/**
 * The hot paths' shortcuts — the operators list memo (StateCache) and the verified-token memo (AuthService) —
 * never show a user something this process already knows to be out of date.
 */

const ids = (operators: Array<{ id: number }>): number[] => operators.map((o) => o.id);

async function available(url: string, token: string): Promise<number[]> {
  const res = await request(url).get('/api/operators/available').set(bearer(token));
  expectStatus(res, 200);
  return ids(res.body.data);
}

async function me(url: string, token: string): Promise<request.Response> {
  return request(url).get('/api/auth/me').set(bearer(token));
}

/** The claims AuthService.login puts in a token, with a lifetime of our choosing. */
function signOperatorToken(secret: string, operatorId: number, expiresAt: number, tokenVersion = 0): Promise<string> {
  return new SignJWT({ role: 'operator', tv: tokenVersion })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(operatorId))
    .setIssuer('live-chat-server')
    .setAudience('operator')
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(secret));
}

describeEachBackend('fast paths', (backend) => {
  let server: TestServer;
  let url: string;
  let admin: Staff;

  beforeAll(async () => {
    server = await startTestServer(backend, { env: { OPERATOR_PRESENCE_GRACE_SECONDS: '3600' } });
    url = server.url;
    admin = await createAdmin(server);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await server?.close();
  });
  afterEach(() => jest.restoreAllMocks());

  describe('GET /api/operators/available, served from a short in-process memo', () => {
    it('shows an operator set online, then offline, at once (this process\'s own writes clear the memo)', async () => {
      const olga = await createOperator(url, admin.token, { name: 'Olga' });
      expect(await available(url, admin.token)).not.toContain(olga.id);
      // Stop the clock: the memo can no longer expire, so only the write itself can make the change visible.
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now);
      const cache = server.server.cache;
      await available(url, admin.token);
      expect(await cache.getOperatorsForDisplay()).toBe(await cache.getOperatorsForDisplay());

      await setStatus(url, olga.token, olga.id, 'online');
      expect(await available(url, admin.token)).toContain(olga.id);
      await setStatus(url, olga.token, olga.id, 'offline');
      expect(await available(url, admin.token)).not.toContain(olga.id);
    });

    it('drops an operator whose last seat was just taken, and shows a raised capacity, at once', async () => {
      const pia = await createOperator(url, admin.token, { name: 'Pia', maxConcurrentSessions: 1, departments: ['fast-paths-capacity'] });
      await setStatus(url, pia.token, pia.id, 'online');
      jest.spyOn(Date, 'now').mockReturnValue(Date.now());
      expect(await available(url, admin.token)).toContain(pia.id);

      // The claim's write-through clears the memo: her one seat is taken, so she is no longer available.
      const customer = await createSession(url, { customerName: 'Carl', department: 'fast-paths-capacity' });
      expect(customer.session).toMatchObject({ status: 'active', operatorId: pia.id });
      expect(await available(url, admin.token)).not.toContain(pia.id);

      expectStatus(await request(url).patch(`/api/operators/${pia.id}`).set(bearer(admin.token)).send({ maxConcurrentSessions: 2 }), 200);
      const listed = (await request(url).get('/api/operators/available').set(bearer(admin.token))).body.data as Array<{ id: number; maxConcurrentSessions: number; activeSessions: number }>;
      expect(listed.find((o) => o.id === pia.id)).toMatchObject({ maxConcurrentSessions: 2, activeSessions: 1 });
    });

    it('never decides routing: a session goes to an operator the memo does not show yet', async () => {
      const rita = await createOperator(url, admin.token, { name: 'Rita', departments: ['fast-paths-only'] });
      jest.spyOn(Date, 'now').mockReturnValue(Date.now());
      expect(await available(url, admin.token)).not.toContain(rita.id);
      // Online as another process would make her: in the database, behind this process's cache.
      await server.server.db.models.Operator.update(
        { status: 'online', presentUntil: new Date(Date.now() + 600_000) },
        { where: { id: rita.id } },
      );
      expect(await available(url, admin.token)).not.toContain(rita.id);
      const customer = await createSession(url, { customerName: 'Dora', department: 'fast-paths-only' });
      expect(customer.session).toMatchObject({ status: 'active', operatorId: rita.id });
    });
  });

  describe('operator tokens, verified once and remembered', () => {
    it('a token is refused right after its operator logs out, while another operator\'s token still works', async () => {
      const lena = await createOperator(url, admin.token, { name: 'Lena' });
      const mark = await createOperator(url, admin.token, { name: 'Mark' });
      expectStatus(await me(url, lena.token), 200);
      expectStatus(await me(url, mark.token), 200);

      expectStatus(await request(url).post('/api/auth/logout').set(bearer(lena.token)), 200);
      expectError(await me(url, lena.token), 401, 'UNAUTHENTICATED');
      expectError(await request(url).get('/api/operators/available').set(bearer(lena.token)), 401, 'UNAUTHENTICATED');
      expectStatus(await me(url, mark.token), 200);

      const again = await login(url, lena.email, lena.password);
      expectStatus(await me(url, again.token), 200);
    });

    it('a token is refused right after an admin disables its operator (PATCH disabled: true)', async () => {
      const nina = await createOperator(url, admin.token, { name: 'Nina' });
      expectStatus(await me(url, nina.token), 200);
      expectStatus(await request(url).patch(`/api/operators/${nina.id}`).set(bearer(admin.token)).send({ disabled: true }), 200);
      expectError(await me(url, nina.token), 401, 'UNAUTHENTICATED');
      expectError(await request(url).get('/api/operators/available').set(bearer(nina.token)), 401, 'UNAUTHENTICATED');
    });

    it('a token past its exp is refused, even though it was accepted (and remembered) before', async () => {
      const otto = await createOperator(url, admin.token, { name: 'Otto' });
      const exp = Math.floor(Date.now() / 1000) + 2;
      const token = await signOperatorToken(server.config.jwtSecret, otto.id, exp);
      expectStatus(await me(url, token), 200);
      expectStatus(await me(url, token), 200);
      await sleep(exp * 1000 - Date.now() + 50);
      expectError(await me(url, token), 401, 'UNAUTHENTICATED');
      expectError(await request(url).get('/api/operators/available').set(bearer(token)), 401, 'UNAUTHENTICATED');
    });

    it('a remembered token does not vouch for a tampered or wrongly signed copy', async () => {
      const [header, payload, signature] = admin.token.split('.');
      expectStatus(await me(url, admin.token), 200);
      const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
      expectError(await me(url, `${header}.${payload}.${flipped}`), 401, 'UNAUTHENTICATED');
      const forged = await signOperatorToken('some-other-secret-that-is-long-enough-for-hs256', admin.id, Math.floor(Date.now() / 1000) + 600);
      expectError(await me(url, forged), 401, 'UNAUTHENTICATED');
    });
  });

  if (backend.name !== 'mariadb+redis') return;

  describe('with a second process of the same deployment', () => {
    let provisioned: ProvisionedBackend;
    let first: TestServer;
    let second: TestServer;
    let boss: Staff;

    beforeAll(async () => {
      provisioned = await provisionShared(backend);
      first = await startTestServer(backend, { provisioned, env: { OPERATOR_PRESENCE_GRACE_SECONDS: '3600' } });
      second = await startTestServer(backend, { provisioned, env: { OPERATOR_PRESENCE_GRACE_SECONDS: '3600' } });
      boss = await createAdmin(first);
    });
    afterAll(async () => {
      await second?.close();
      await first?.close();
      await provisioned?.dispose();
    });

    it('an operator set online through the other process shows up here within the memo window', async () => {
      const vera = await createOperator(first.url, boss.token, { name: 'Vera' });
      expect(await available(first.url, boss.token)).not.toContain(vera.id);
      await setStatus(second.url, vera.token, vera.id, 'online');
      const started = Date.now();
      await waitFor(async () => (await available(first.url, boss.token)).includes(vera.id), 2_000, 'the other process\'s change', 25);
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('a logout through the other process ends the token here within the state-check window', async () => {
      const walt = await createOperator(first.url, boss.token, { name: 'Walt' });
      expectStatus(await me(first.url, walt.token), 200);
      expectStatus(await request(second.url).post('/api/auth/logout').set(bearer(walt.token)), 200);
      await waitFor(async () => (await me(first.url, walt.token)).status === 401, 8_000, 'the token to end on the first process', 200);
    });
  });
});
