import { SignJWT } from 'jose';
import request from 'supertest';
import { access, type AccessRule } from '../../middleware/auth';
import { mountGroup, type RouteGroup } from '../../routes/registry';
import { describeEachBackend } from '../helpers/backends';
import type { TestServer } from '../helpers/testServer';
import {
  bearer,
  call,
  createAdmin,
  createOperator,
  createSession,
  expectError,
  expectErrorEnvelope,
  fillPath,
  getOperator,
  getSession,
  listMessages,
  liveToken,
  registeredRoutes,
  sampleBody,
  setStatus,
  type Customer,
  type RegisteredRoute,
  type Staff,
  startApiServer,
} from '../helpers/api';

/**
 * Who may call what, route by route (PROTOCOL.md's "who" column). Walks the route registry, so a route added
 * to routes/index.ts is tried by every kind of caller without anyone editing this file.
 */

type Caller = 'no token' | 'bad token' | 'customer of this session' | 'customer of another session' | 'operator' | 'unassigned operator' | 'admin';
const CALLERS: Caller[] = ['no token', 'bad token', 'customer of this session', 'customer of another session', 'operator', 'unassigned operator', 'admin'];

type Outcome = 'allowed' | { status: number; code: string };
const UNAUTHENTICATED = { status: 401, code: 'UNAUTHENTICATED' };
const FORBIDDEN = { status: 403, code: 'FORBIDDEN' };
const NOT_FOUND = { status: 404, code: 'NOT_FOUND' };

/**
 * PROTOCOL.md's "who" for each endpoint it lists. The matrix checks behaviour against this, not against what a
 * route happens to declare; a route the contract does not list is checked against its declared rule.
 */
const PROTOCOL_WHO: Record<string, AccessRule['kind']> = {
  'POST /api/auth/login': 'public',
  'GET /api/auth/me': 'operator',
  'POST /api/auth/logout': 'operator',
  'POST /api/chat/sessions': 'public',
  'GET /api/chat/sessions/active': 'operator',
  'GET /api/chat/sessions/history': 'operator',
  'GET /api/chat/availability': 'public',
  'GET /api/chat/sessions/:sessionId': 'operatorOrSessionCustomer',
  'PUT /api/chat/sessions/:sessionId/close': 'operatorOrSessionCustomer',
  'PUT /api/chat/sessions/:sessionId/transfer': 'operator',
  'POST /api/chat/sessions/:sessionId/messages': 'operatorOrSessionCustomer',
  'POST /api/chat/sessions/:sessionId/rating': 'sessionCustomer',
  'GET /api/chat/sessions/:sessionId/events': 'operator',
  'GET /api/chat/messages/:sessionId': 'operatorOrSessionCustomer',
  'GET /api/operators': 'operator',
  'GET /api/operators/online': 'operator',
  'GET /api/operators/available': 'operator',
  'GET /api/operators/pending-sessions': 'operator',
  'GET /api/operators/stats': 'operator',
  'GET /api/operators/:operatorId': 'operator',
  'GET /api/operators/:operatorId/sessions': 'operator',
  'POST /api/operators': 'admin',
  'PATCH /api/operators/:operatorId': 'admin',
  'PUT /api/operators/:operatorId/status': 'operator',
  'POST /api/operators/assign': 'operator',
  'GET /api/users/:customerId/sessions': 'operator',
};

/**
 * Rules PROTOCOL.md adds on top of the route's rule, for the callers of this test: close, transfer and messages
 * belong to the assigned operator (or an admin); `:operatorId` in the paths is a third operator, whose status
 * only they or an admin may set.
 */
const NARROWER: Record<string, Partial<Record<Caller, Outcome>>> = {
  'PUT /api/chat/sessions/:sessionId/close': { 'unassigned operator': FORBIDDEN },
  'PUT /api/chat/sessions/:sessionId/transfer': { 'unassigned operator': FORBIDDEN },
  'POST /api/chat/sessions/:sessionId/messages': { 'unassigned operator': FORBIDDEN },
  'PUT /api/operators/:operatorId/status': { operator: FORBIDDEN, 'unassigned operator': FORBIDDEN },
};

const ROUTES = registeredRoutes();

function whoMayCall(route: RegisteredRoute): AccessRule['kind'] {
  return PROTOCOL_WHO[route.key] ?? route.spec.access.kind;
}

function expectedOutcome(route: RegisteredRoute, caller: Caller): Outcome {
  const who = whoMayCall(route);
  if (who === 'public') return 'allowed';
  if (caller === 'no token' || caller === 'bad token') return UNAUTHENTICATED;
  const narrower = NARROWER[route.key]?.[caller];
  if (narrower) return narrower;
  const customer = caller === 'customer of this session' || caller === 'customer of another session';
  switch (who) {
    case 'operator':
      return customer ? FORBIDDEN : 'allowed';
    case 'admin':
      return caller === 'admin' ? 'allowed' : FORBIDDEN;
    case 'operatorOrSessionCustomer':
      return caller === 'customer of another session' ? NOT_FOUND : 'allowed';
    case 'sessionCustomer':
      if (caller === 'customer of this session') return 'allowed';
      return caller === 'customer of another session' ? NOT_FOUND : FORBIDDEN;
  }
}

const describeOutcome = (outcome: Outcome): string => (outcome === 'allowed' ? 'gets through' : `${outcome.status} ${outcome.code}`);

describeEachBackend('authorization matrix', (backend) => {
  let server: TestServer;
  let url: string;
  let admin: Staff;
  let operator: Staff;
  let unassigned: Staff;
  let third: Staff;
  let mine: Customer;
  let stranger: Customer;
  const customerId = 'authz-customer-1';
  let badTokens: string[];

  beforeAll(async () => {
    server = await startApiServer(backend);
    url = server.url;
    admin = await createAdmin(server);
    operator = await createOperator(url, admin.token, { name: 'Assigned Operator', maxConcurrentSessions: 100 });
    unassigned = await createOperator(url, admin.token, { name: 'Unassigned Operator' });
    third = await createOperator(url, admin.token, { name: 'Third Operator' });
    await setStatus(url, operator.token, operator.id, 'online');
    mine = await createSession(url, { customerId, message: 'hello' });
    stranger = await createSession(url, { customerId: 'someone-else' });
    expect(mine.session).toMatchObject({ status: 'active', operatorId: operator.id });

    const key = new TextEncoder().encode(server.config.jwtSecret);
    const wrongKey = new TextEncoder().encode('a-different-secret-that-is-long-enough-for-hs256');
    const claims = { role: 'admin', tv: 0 };
    const signed = (k: Uint8Array, expires: number | string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(admin.id))
        .setIssuer('live-chat-server')
        .setAudience('operator')
        .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
        .setExpirationTime(expires)
        .sign(k);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: String(admin.id), role: 'admin', tv: 0, iss: 'live-chat-server', aud: 'operator' }),
    ).toString('base64url')}.`;
    badTokens = [
      'Bearer not-a-token',
      `Bearer ${await signed(wrongKey, '1h')}`, // wrongly signed
      `Bearer ${await signed(key, Math.floor(Date.now() / 1000) - 60)}`, // expired
      `Bearer ${unsigned}`, // alg none
      `Bearer ${mine.session.id}.${'A'.repeat(43)}`, // a customer token with a guessed secret
      `Bearer ${mine.customerToken}x`,
      `Basic ${Buffer.from(`${admin.email}:${admin.password}`).toString('base64')}`,
      'Bearer',
    ];
  });

  afterAll(async () => {
    await server?.close();
  });

  /** A token that still works: the matrix calls POST /api/auth/logout, which ends the caller's tokens. */
  const live = (staff: Staff): Promise<string> => liveToken(url, staff);

  async function authorizationOf(caller: Caller, subject: Customer): Promise<string[]> {
    switch (caller) {
      case 'no token':
        return [];
      case 'bad token':
        return badTokens;
      case 'customer of this session':
        return [`Bearer ${subject.customerToken}`];
      case 'customer of another session':
        return [`Bearer ${stranger.customerToken}`];
      case 'operator':
        return [`Bearer ${await live(operator)}`];
      case 'unassigned operator':
        return [`Bearer ${await live(unassigned)}`];
      case 'admin':
        return [`Bearer ${await live(admin)}`];
    }
  }

  function pathOf(route: RegisteredRoute, session: Customer = mine): string {
    return fillPath(route.template, { sessionId: session.session.id, operatorId: String(third.id), customerId });
  }

  it('the registry declares what PROTOCOL.md says for every endpoint the contract lists', () => {
    const registered = new Map(ROUTES.map((r) => [r.key, r.spec.access.kind]));
    for (const [key, who] of Object.entries(PROTOCOL_WHO)) {
      expect({ key, access: registered.get(key) }).toEqual({ key, access: who });
    }
  });

  it('mountGroup refuses a route that does not say who may call it', () => {
    const handler = async () => undefined;
    const group: RouteGroup = {
      prefix: '/api/test',
      tag: 'test',
      routes: [
        { method: 'get', path: '/fine', summary: 'has a rule', access: access.operator, responds: { status: 200, data: 'x' }, handler },
        { method: 'post', path: '/open', summary: 'forgot its rule', responds: { status: 200, data: 'x' }, handler } as unknown as RouteGroup['routes'][number],
      ],
    };
    expect(() => mountGroup(group, server.server.auth)).toThrow(/POST \/api\/test\/open has no access rule/);
    expect(() => mountGroup({ ...group, routes: [group.routes[0]!] }, server.server.auth)).not.toThrow();
  });

  it('no route of /api/operators or /api/users is open to a customer', async () => {
    const staffOnly = ROUTES.filter((r) => r.template.startsWith('/api/operators') || r.template.startsWith('/api/users'));
    expect(staffOnly.length).toBeGreaterThanOrEqual(12);
    for (const route of staffOnly) {
      expect({ route: route.key, access: ['operator', 'admin'].includes(route.spec.access.kind) }).toEqual({ route: route.key, access: true });
      for (const token of [mine.customerToken, stranger.customerToken]) {
        const res = await call(url, route.method, pathOf(route), { token, body: { status: 'online', name: 'x', role: 'admin' } });
        expect({ route: route.key, status: res.status }).toEqual({ route: route.key, status: 403 });
        expectError(res, 403, 'FORBIDDEN');
      }
    }
  });

  describe('refused writes change nothing', () => {
    it("a customer cannot touch an operator's record or status", async () => {
      const patch = await request(url).patch(`/api/operators/${third.id}`).set(bearer(mine.customerToken)).send({ role: 'admin' });
      expectError(patch, 403, 'FORBIDDEN');
      const status = await request(url).put(`/api/operators/${third.id}/status`).set(bearer(mine.customerToken)).send({ status: 'online' });
      expectError(status, 403, 'FORBIDDEN');
      expect(await getOperator(url, admin.token, third.id)).toMatchObject({ role: 'operator', status: 'offline' });
    });

    it("a plain operator cannot create operators, edit anyone (not even themselves) or set another's status", async () => {
      const create = await request(url)
        .post('/api/operators')
        .set(bearer(await live(operator)))
        .send({ name: 'Sneaky', email: 'sneaky@example.com', password: 'long-enough-password' });
      expectError(create, 403, 'FORBIDDEN');
      const promoteSelf = await request(url).patch(`/api/operators/${operator.id}`).set(bearer(operator.token)).send({ role: 'admin', maxConcurrentSessions: 100 });
      expectError(promoteSelf, 403, 'FORBIDDEN');
      const othersStatus = await request(url).put(`/api/operators/${third.id}/status`).set(bearer(operator.token)).send({ status: 'online' });
      expectError(othersStatus, 403, 'FORBIDDEN');

      expect(await getOperator(url, admin.token, third.id)).toMatchObject({ status: 'offline' });
      expect(await getOperator(url, admin.token, operator.id)).toMatchObject({ role: 'operator' });
      const list = await request(url).get('/api/operators').set(bearer(admin.token));
      expect(list.body.data.map((o: { email: string }) => o.email)).not.toContain('sneaky@example.com');
    });

    it('an operator sets their own status; an admin sets anyone’s', async () => {
      expect(await setStatus(url, await live(unassigned), unassigned.id, 'busy')).toMatchObject({ id: unassigned.id, status: 'busy' });
      expect(await setStatus(url, await live(admin), third.id, 'busy')).toMatchObject({ id: third.id, status: 'busy' });
      await setStatus(url, admin.token, third.id, 'offline');
      await setStatus(url, unassigned.token, unassigned.id, 'offline');
    });

    it("a customer never reads, writes or closes another customer's session", async () => {
      const target = await createSession(url, { message: 'private' });
      const asStranger = bearer(stranger.customerToken);
      const reads = [
        await request(url).get(`/api/chat/sessions/${target.session.id}`).set(asStranger),
        await request(url).get(`/api/chat/messages/${target.session.id}`).set(asStranger),
        await request(url).post(`/api/chat/sessions/${target.session.id}/messages`).set(asStranger).send({ content: 'injected' }),
        await request(url).put(`/api/chat/sessions/${target.session.id}/close`).set(asStranger).send({}),
        await request(url).post(`/api/chat/sessions/${target.session.id}/rating`).set(asStranger).send({ rating: 1 }),
      ];
      for (const res of reads) expectError(res, 404, 'NOT_FOUND');
      // The same answer as for a session that does not exist: nothing tells the caller it is there.
      const ghost = await request(url).get(`/api/chat/sessions/${'4'.repeat(8)}-4444-4444-8444-${'4'.repeat(12)}`).set(asStranger);
      expect(ghost.body).toEqual(reads[0]!.body);

      expect(await getSession(url, target.customerToken, target.session.id)).toMatchObject({ status: 'active' });
      const messages = await listMessages(url, target.customerToken, target.session.id);
      expect(messages.map((m) => m.content)).not.toContain('injected');
    });
  });

  describe.each(ROUTES.map((route) => [route.key, route] as const))('%s', (_key, route) => {
    // Each session route gets its own session (held by the assigned operator), so one route's calls (a close,
    // a transfer) never change what the next route sees.
    let subject: Customer;
    beforeAll(async () => {
      if (!route.template.includes(':sessionId')) {
        subject = mine;
        return;
      }
      subject = await createSession(url, { customerId, message: 'hello' });
      expect(subject.session).toMatchObject({ status: 'active', operatorId: operator.id });
    });

    it.each(CALLERS.map((caller) => [caller, describeOutcome(expectedOutcome(route, caller))] as const))('%s → %s', async (caller) => {
      const expected = expectedOutcome(route, caller);
      const authorizations = await authorizationOf(caller, subject);
      const attempts = authorizations.length === 0 ? [undefined] : authorizations;
      for (const authorization of attempts) {
        const body = sampleBody(route, { sessionId: subject.session.id, assignedOperatorId: operator.id, loginEmail: third.email });
        const res = await call(url, route.method, pathOf(route, subject), { authorization, body });
        const seen = { caller, authorization: authorization?.slice(0, 24), status: res.status, code: res.body?.error?.code };
        if (expected === 'allowed') {
          expect(seen.status).toBeLessThan(500);
          expect([401, 403, 404]).not.toContain(seen.status);
          // A valid body reaches the handler: what may still refuse it is the session's state (409), nothing else.
          expect([200, 201, 409]).toContain(seen.status);
          if (res.status >= 400) expectErrorEnvelope(res);
          else expect(res.body.success).toBe(true);
        } else {
          expect(seen).toEqual({ ...seen, status: expected.status, code: expected.code });
          expectErrorEnvelope(res);
        }
      }
    });
  });
});
