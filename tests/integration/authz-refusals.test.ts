import request from 'supertest';
import { access } from '../../middleware/auth';
import { mountGroup, type RouteGroup } from '../../routes/registry';
import { describeEachBackend } from '../helpers/backends';
import type { TestServer } from '../helpers/testServer';
import { bearer, call, createSession, expectError, fillPath, getOperator, getSession, listMessages, liveToken, registeredRoutes, setStatus, type Customer, type RegisteredRoute, type Staff } from '../helpers/api';
import { castOf, sharedServer } from '../helpers/scenarios';

/**
 * Refusals that must change nothing: a route without an access rule is refused at start-up, no staff route is
 * open to a customer, and a refused write leaves the operator or the session as it was.
 */

const ROUTES = registeredRoutes();

describeEachBackend('authorization matrix', (backend) => {
  const stage = sharedServer(backend);
  let server: TestServer;
  let url: string;
  let admin: Staff;
  let operator: Staff;
  let unassigned: Staff;
  let third: Staff;
  let mine: Customer;
  let stranger: Customer;
  let customerId: string;
  beforeAll(async () => {
    ({ server, url } = stage);
    ({ admin, operator, unassigned, third, mine, stranger, customerId } = await castOf(stage));
  });

  /** A token that still works (a test may end the caller's tokens). */
  const live = (staff: Staff): Promise<string> => liveToken(url, staff);
  const pathOf = (route: RegisteredRoute): string => fillPath(route.template, { sessionId: mine.session.id, operatorId: String(third.id), customerId });

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
});
