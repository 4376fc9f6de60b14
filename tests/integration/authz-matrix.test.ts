import { SignJWT } from 'jose';
import type { AccessRule } from '../../middleware/auth';
import { describeEachBackend } from '../helpers/backends';
import { call, expectErrorEnvelope, fillPath, liveToken, registeredRoutes, sampleBody, sampleQuery, type Customer, type RegisteredRoute, type Staff } from '../helpers/api';
import { smallPng, upload } from '../helpers/files';
import { assignedChat, castOf, sharedServer, type Cast } from '../helpers/scenarios';

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
  'PUT /api/auth/password': 'operator',
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
  'GET /api/chat/attachments/:attachmentId': 'signedLinkOrToken',
  'GET /api/chat/attachments/:attachmentId/thumbnail': 'signedLinkOrToken',
  'PUT /api/chat/sessions/:sessionId/labels': 'operator',
  'GET /api/labels': 'operator',
  'POST /api/labels': 'admin',
  'DELETE /api/labels/:name': 'admin',
  'POST /api/inbound/email': 'public',
  'GET /api/settings': 'operator',
  'PATCH /api/settings': 'admin',
  'GET /api/chat/search': 'operator',
  'GET /api/canned-responses': 'operator',
  'POST /api/canned-responses': 'operator',
  'PATCH /api/canned-responses/:id': 'operator',
  'DELETE /api/canned-responses/:id': 'operator',
  'GET /api/users/:customerId/export': 'admin',
  'DELETE /api/users/:customerId': 'admin',
  'DELETE /api/chat/sessions/:sessionId': 'admin',
  'GET /api/audit': 'admin',
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
  'PUT /api/chat/sessions/:sessionId/labels': { 'unassigned operator': FORBIDDEN },
  // `:id` is the assigned operator's personal response: nobody else learns of it.
  'PATCH /api/canned-responses/:id': { 'unassigned operator': NOT_FOUND, admin: NOT_FOUND },
  'DELETE /api/canned-responses/:id': { 'unassigned operator': NOT_FOUND, admin: NOT_FOUND },
  'PUT /api/operators/:operatorId/status': { operator: FORBIDDEN, 'unassigned operator': FORBIDDEN },
};

const ROUTES = registeredRoutes();
const MATRIX_LABEL = 'matrix-label';

function whoMayCall(route: RegisteredRoute): AccessRule['kind'] {
  return PROTOCOL_WHO[route.key] ?? route.spec.access.kind;
}

/**
 * Public routes that take a secret of their own instead of a token, which this test's server is not given: the
 * endpoint is not there for anyone (404; tests/integration/mail-replies.test.ts covers it with its secret).
 */
const OWN_SECRET = new Set(['POST /api/inbound/email']);

function expectedOutcome(route: RegisteredRoute, caller: Caller): Outcome {
  const who = whoMayCall(route);
  if (OWN_SECRET.has(route.key)) return NOT_FOUND;
  if (who === 'public') return 'allowed';
  if (who === 'signedLinkOrToken') {
    // Called without a signature: a token that may read the session, or nothing learnt at all.
    if (caller === 'bad token') return UNAUTHENTICATED;
    return caller === 'no token' || caller === 'customer of another session' ? NOT_FOUND : 'allowed';
  }
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
  const stage = sharedServer(backend);
  let cast: Cast;
  let badTokens: string[];
  /** An image in `cast.mine`'s session, for the file routes (`:attachmentId`). */
  let attachmentId: string;
  /** The assigned operator's personal canned response, for `:id`. */
  let cannedId: string;

  beforeAll(async () => {
    cast = await castOf(stage);
    const { admin, mine } = cast;
    attachmentId = (await upload(stage.url, mine.customerToken, mine.session.id, { bytes: await smallPng(), name: 'photo.png' })).body.data.attachment.id;
    // The label DELETE /api/labels/:name removes when an admin calls it (the only caller it lets through).
    await call(stage.url, 'post', '/api/labels', { authorization: `Bearer ${admin.token}`, body: { name: MATRIX_LABEL } });
    const canned = await call(stage.url, 'post', '/api/canned-responses', { authorization: `Bearer ${cast.operator.token}`, body: { shortcut: 'matrix', content: 'Mine', scope: 'personal' } });
    cannedId = String(canned.body.data.id);
    const key = new TextEncoder().encode(stage.server.config.jwtSecret);
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

  /** A token that still works: the matrix calls POST /api/auth/logout, which ends the caller's tokens. */
  const live = (staff: Staff): Promise<string> => liveToken(stage.url, staff);

  async function authorizationOf(caller: Caller, subject: Customer): Promise<string[]> {
    switch (caller) {
      case 'no token':
        return [];
      case 'bad token':
        return badTokens;
      case 'customer of this session':
        return [`Bearer ${subject.customerToken}`];
      case 'customer of another session':
        return [`Bearer ${cast.stranger.customerToken}`];
      case 'operator':
        return [`Bearer ${await live(cast.operator)}`];
      case 'unassigned operator':
        return [`Bearer ${await live(cast.unassigned)}`];
      case 'admin':
        return [`Bearer ${await live(cast.admin)}`];
    }
  }

  /** Erasing a customer (the only caller it lets through is an admin) erases another one than the cast's. */
  const customerOf = (route: RegisteredRoute): string => (route.key === 'DELETE /api/users/:customerId' ? 'matrix-erased-customer' : cast.customerId);
  const pathOf = (route: RegisteredRoute, session: Customer): string =>
    fillPath(route.template, { sessionId: session.session.id, operatorId: String(cast.third.id), customerId: customerOf(route), attachmentId, name: MATRIX_LABEL, id: cannedId });

  it('the registry declares what PROTOCOL.md says for every endpoint the contract lists', () => {
    const registered = new Map(ROUTES.map((r) => [r.key, r.spec.access.kind]));
    for (const [key, who] of Object.entries(PROTOCOL_WHO)) {
      expect({ key, access: registered.get(key) }).toEqual({ key, access: who });
    }
  });

  describe.each(ROUTES.map((route) => [route.key, route] as const))('%s', (_key, route) => {
    // Each session route gets its own session (held by the assigned operator), so one route's calls (a close,
    // a transfer) never change what the next route sees.
    let subject: Customer;
    beforeAll(async () => {
      if (!route.template.includes(':sessionId')) {
        subject = cast.mine;
        return;
      }
      subject = await assignedChat(stage.url, cast.operator, { customerId: cast.customerId, message: 'hello' });
    });

    it.each(CALLERS.map((caller) => [caller, describeOutcome(expectedOutcome(route, caller))] as const))('%s → %s', async (caller) => {
      const expected = expectedOutcome(route, caller);
      const authorizations = await authorizationOf(caller, subject);
      const attempts = authorizations.length === 0 ? [undefined] : authorizations;
      for (const authorization of attempts) {
        const body = sampleBody(route, { sessionId: subject.session.id, assignedOperatorId: cast.operator.id, loginEmail: cast.third.email });
        const res = await call(stage.url, route.method, pathOf(route, subject), { authorization, body }).query(sampleQuery(route));
        const seen = { caller, authorization: authorization?.slice(0, 24), status: res.status, code: res.body?.error?.code };
        if (expected === 'allowed') {
          expect(seen.status).toBeLessThan(500);
          expect([401, 403, 404]).not.toContain(seen.status);
          // A valid body reaches the handler: what may still refuse it is the session's state (409), nothing else.
          expect([200, 201, 409]).toContain(seen.status);
          if (res.status >= 400) expectErrorEnvelope(res);
          // A file comes as its bytes; everything else in the envelope.
          else if (route.template.startsWith('/api/chat/attachments/')) expect(res.headers['content-type']).toMatch(/^image\//);
          else expect(res.body.success).toBe(true);
        } else {
          expect(seen).toEqual({ ...seen, status: expected.status, code: expected.code });
          expectErrorEnvelope(res);
        }
      }
    });
  });
});
