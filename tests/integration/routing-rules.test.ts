import request from 'supertest';
import { describeEachBackend, type Backend } from '../helpers/backends';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { bearer, closeSession, createAdmin, createOperator, createSession, listMessages, sessionEvents, setStatus, startApiServer, type Staff } from '../helpers/api';
import { onlineOperator, serverPerTest } from '../helpers/scenarios';

/** PROTOCOL.md's routing rules, as a customer and an operator would notice them. */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function sessionOf(server: TestServer, token: string, id: string): Promise<{ status: string; operatorId: number | null }> {
  const res = await request(server.url).get(`/api/chat/sessions/${id}`).set(bearer(token));
  return res.body.data;
}

/** One deployment: two processes sharing MariaDB + Redis (as under pm2), one on SQLite (in memory, one process's). */
async function deploy(backend: Backend, env: Record<string, string>): Promise<{ servers: [TestServer, ...TestServer[]]; close(): Promise<void> }> {
  const provisioned = await backend.provision();
  const first = await startTestServer(backend, { provisioned, env });
  const servers: [TestServer, ...TestServer[]] = backend.name === 'sqlite' ? [first] : [first, await startTestServer(backend, { provisioned, env })];
  return {
    servers,
    async close() {
      for (const server of servers) await server.close();
      await provisioned.dispose();
    },
  };
}

describeEachBackend('routing rules', (backend) => {
  describe('departments and returning customers', () => {
    // Who is online decides where each session goes: every test has a server of its own.
    const stage = serverPerTest(backend);

    it('a session with a department goes only to an operator of that department', async () => {
      const { url, admin } = stage;
      const sales = await onlineOperator(url, admin.token, { name: 'Sam Sales', departments: ['sales'] });
      const support = await onlineOperator(url, admin.token, { name: 'Sue Support', departments: ['support'] });
      const first = await createSession(url, { department: 'support' });
      const second = await createSession(url, { department: 'sales' });
      expect(first.session.operatorId).toBe(support.id);
      expect(second.session.operatorId).toBe(sales.id);
      const nobody = await createSession(url, { department: 'billing' });
      expect(nobody.session.status).toBe('waiting');
    });

    it('a long line for a department nobody serves does not hold up a customer an operator can take', async () => {
      const { url, admin } = stage;
      const gil = await onlineOperator(url, admin.token, { name: 'Gil General' });
      // More than one routing pass looks at (100), all waiting for billing, which nobody online serves.
      for (let i = 0; i < 110; i++) expect((await createSession(url, { department: 'billing' })).session.status).toBe('waiting');
      const general = await createSession(url);
      expect(general.session).toMatchObject({ status: 'active', operatorId: gil.id });
    });

    it('a returning customer goes back to their previous operator when that one is available', async () => {
      const { url, admin } = stage;
      const a = await onlineOperator(url, admin.token, { name: 'Ann' });
      const b = await createOperator(url, admin.token, { name: 'Ben' });
      const first = await createSession(url, { customerId: 'returning-1' });
      expect(first.session.operatorId).toBe(a.id);
      await request(url).put(`/api/chat/sessions/${first.session.id}/close`).set(bearer(first.customerToken)).expect(200);
      // Ben is now the less busy one (Ann has been assigned most recently): only the preference sends it to Ann.
      await setStatus(url, b.token, b.id, 'online');
      const again = await createSession(url, { customerId: 'returning-1' });
      expect(again.session.operatorId).toBe(a.id);
      const trail = await sessionEvents(url, admin.token, again.session.id);
      expect(trail.find((e) => e.type === 'assigned')?.detail).toMatchObject({ reason: 'previous operator' });
    });
  });

  it('round-robin rotates through the operators, the rotation shared by every process', async () => {
    const deployment = await deploy(backend, { ASSIGNMENT_STRATEGY: 'round-robin', OPERATOR_PRESENCE_GRACE_SECONDS: '3600' });
    const { servers } = deployment;
    const [first] = servers;
    try {
      const admin = await createAdmin(first);
      const staff: Staff[] = [];
      for (const name of ['R1', 'R2', 'R3']) staff.push(await createOperator(first.url, admin.token, { name, maxConcurrentSessions: 10 }));
      for (const s of staff) await setStatus(first.url, s.token, s.id, 'online');
      const got: number[] = [];
      for (let i = 0; i < 6; i++) got.push(Number((await createSession(servers[i % servers.length]!.url)).session.operatorId));
      const ids = staff.map((s) => s.id);
      expect(got).toEqual([...ids, ...ids]);
    } finally {
      await deployment.close();
    }
  });

  it('POST /assign with a strategy routes that one session at once, by that strategy, and says so everywhere', async () => {
    // Under manual nothing is routed on its own: every assignment below is the explicit one.
    const server = await startApiServer(backend, { ASSIGNMENT_STRATEGY: 'manual' });
    try {
      const admin = await createAdmin(server);
      const staff: Staff[] = [];
      for (const name of ['E1', 'E2', 'E3']) staff.push(await createOperator(server.url, admin.token, { name, maxConcurrentSessions: 5 }));
      for (const s of staff) await setStatus(server.url, s.token, s.id, 'online');
      const [e1, e2, e3] = staff.map((s) => s.id);
      const told: Array<{ name: string; strategy?: string; reason?: string }> = [];
      const { events: domain } = server.server;
      domain.on('session.assigned', ({ strategy, reason }) => void told.push({ name: 'session.assigned', strategy, reason }));
      domain.on('message.created', () => void told.push({ name: 'message.created' }));
      domain.on('queue.changed', () => void told.push({ name: 'queue.changed' }));
      const assign = async (sessionId: string, strategy: string) => {
        told.length = 0;
        const res = await request(server.url).post('/api/operators/assign').set(bearer(admin.token)).send({ sessionId, strategy });
        expect(res.status).toBe(200);
        const trail = await sessionEvents(server.url, admin.token, sessionId);
        return { ...(res.body.data as { session: { status: string; operatorId: number }; operator: { id: number; activeSessions: number } }), trail, told: [...told] };
      };

      const queue = [];
      for (let i = 0; i < 6; i++) queue.push((await createSession(server.url)).session.id);
      // The last in line first: an explicit assignment does not wait its turn.
      const first = await assign(queue[5]!, 'round-robin');
      expect(first.session).toMatchObject({ status: 'active', operatorId: e1 });
      expect(first.operator).toMatchObject({ id: e1, activeSessions: 1 });
      expect(first.trail.find((e) => e.type === 'assigned')).toMatchObject({ operatorId: e1, detail: { strategy: 'round-robin', reason: 'round-robin: next in rotation' } });
      expect(first.told).toEqual([
        { name: 'session.assigned', strategy: 'round-robin', reason: 'round-robin: next in rotation' },
        { name: 'message.created' },
        { name: 'queue.changed' },
      ]);
      const lines = await listMessages(server.url, admin.token, queue[5]!);
      expect(lines[lines.length - 1]).toMatchObject({ senderType: 'system', content: 'E1 joined the chat' });
      // The rotation moved on: the next ones go to E2, then E3.
      expect((await assign(queue[0]!, 'round-robin')).session.operatorId).toBe(e2);
      expect((await assign(queue[1]!, 'round-robin')).session.operatorId).toBe(e3);

      const idle = await assign(queue[2]!, 'longest-idle');
      expect(idle.session.operatorId).toBe(e1);
      expect(idle.trail.find((e) => e.type === 'assigned')?.detail).toMatchObject({ strategy: 'longest-idle', reason: expect.stringMatching(/^longest-idle: last assigned \d{4}-/) });
      // E1 now has 2 of 5; E2 and E3 have 1 each, and E2 has waited longer.
      const busy = await assign(queue[3]!, 'least-busy');
      expect(busy).toMatchObject({ session: { operatorId: e2 }, operator: { id: e2, activeSessions: 2 } });
      expect(busy.trail.find((e) => e.type === 'assigned')?.detail).toEqual({ strategy: 'least-busy', reason: 'least-busy: 1/5 active' });

      // A returning customer goes back to their previous operator, whatever the strategy named, and the
      // round-robin rotation stays where it was (after E3: E1 is next).
      const before = await createSession(server.url, { customerId: 'explicit-return' });
      expect((await assign(before.session.id, 'least-busy')).session.operatorId).toBe(e3);
      await closeSession(server.url, before.customerToken, before.session.id);
      const again = await createSession(server.url, { customerId: 'explicit-return' });
      const back = await assign(again.session.id, 'round-robin');
      expect(back.session.operatorId).toBe(e3);
      expect(back.trail.find((e) => e.type === 'assigned')?.detail).toEqual({ strategy: 'previous-operator', reason: 'previous operator' });
      expect(back.told[0]).toEqual({ name: 'session.assigned', strategy: 'previous-operator', reason: 'previous operator' });
      expect((await assign(queue[4]!, 'round-robin')).session.operatorId).toBe(e1);
    } finally {
      await server.close();
    }
  });

  it('explicit assignments racing the automatic routing of every process: no seat over capacity, no session twice', async () => {
    const deployment = await deploy(backend, { OPERATOR_PRESENCE_GRACE_SECONDS: '3600' });
    const { servers } = deployment;
    const [first] = servers;
    try {
      const admin = await createAdmin(first);
      const staff: Staff[] = [];
      for (const name of ['C1', 'C2', 'C3']) staff.push(await createOperator(first.url, admin.token, { name, maxConcurrentSessions: 2 }));
      // Everyone offline: the sessions queue up, then operators coming online (drains) race the explicit calls.
      const queued: string[] = [];
      for (let i = 0; i < 12; i++) queued.push((await createSession(servers[i % servers.length]!.url)).session.id);
      const strategies = ['least-busy', 'round-robin', 'longest-idle'];
      const answers = await Promise.all([
        ...staff.map((s) => setStatus(servers[s.id % servers.length]!.url, s.token, s.id, 'online').then(() => 200)),
        ...queued.map(async (sessionId, i) => {
          const res = await request(servers[i % servers.length]!.url)
            .post('/api/operators/assign')
            .set(bearer(admin.token))
            .send({ sessionId, strategy: strategies[i % strategies.length] });
          return res.status === 409 ? `409 ${res.body.error.code}` : res.status;
        }),
      ]);
      expect(answers.every((a) => a === 200 || a === '409 NO_OPERATOR_AVAILABLE' || a === '409 ALREADY_ASSIGNED')).toBe(true);

      const { ChatSession, Operator, SessionEvent } = first.server.db.models;
      const active = await ChatSession.findAll({ where: { status: 'active' } });
      expect(active).toHaveLength(6);
      for (const s of staff) {
        const held = active.filter((session) => Number(session.operatorId) === s.id).length;
        expect(held).toBe(2);
        expect((await Operator.findByPk(s.id))?.activeSessions).toBe(held);
      }
      const assigned = await SessionEvent.findAll({ where: { type: 'assigned' } });
      expect(assigned).toHaveLength(6);
      expect(new Set(assigned.map((e) => e.sessionId)).size).toBe(6);
    } finally {
      await deployment.close();
    }
  });

  it('ASSIGNMENT_ACCEPT_TIMEOUT_SECONDS: an operator who does not reply loses the session to another, never straight back', async () => {
    const server = await startApiServer(backend, { ASSIGNMENT_ACCEPT_TIMEOUT_SECONDS: '1' });
    try {
      const admin = await createAdmin(server);
      const slow = await createOperator(server.url, admin.token, { name: 'Slow' });
      const quick = await createOperator(server.url, admin.token, { name: 'Quick' });
      await setStatus(server.url, slow.token, slow.id, 'online');
      const customer = await createSession(server.url);
      expect(customer.session.operatorId).toBe(slow.id);
      // Slow never answers; with nobody else online the session must wait rather than bounce back to Slow.
      const requeued = await eventually(() => sessionOf(server, admin.token, customer.session.id), (s) => s.status === 'waiting');
      expect(requeued).toMatchObject({ status: 'waiting', operatorId: null });
      await setStatus(server.url, quick.token, quick.id, 'online');
      const moved = await eventually(() => sessionOf(server, admin.token, customer.session.id), (s) => s.status === 'active');
      expect(moved.operatorId).toBe(quick.id);
      const trail = await sessionEvents(server.url, admin.token, customer.session.id);
      expect(trail.find((e) => e.type === 'requeued')).toMatchObject({ operatorId: slow.id, detail: { reason: 'requeued: no reply in 1 s' } });
      const slowNow = await request(server.url).get(`/api/operators/${slow.id}`).set(bearer(admin.token));
      expect(slowNow.body.data.activeSessions).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('REQUEUE_ON_OFFLINE: an operator gone past the grace period gives their sessions back to the queue', async () => {
    const server = await startTestServer(backend, { env: { REQUEUE_ON_OFFLINE: 'true', OPERATOR_PRESENCE_GRACE_SECONDS: '1' } });
    try {
      const admin = await createAdmin(server);
      const gone = await createOperator(server.url, admin.token, { name: 'Gone' });
      await setStatus(server.url, gone.token, gone.id, 'online');
      const customer = await createSession(server.url);
      expect(customer.session.operatorId).toBe(gone.id);
      // No connection and no REST call: the lease runs out, then the grace.
      await server.server.db.models.Operator.update({ presentUntil: new Date(Date.now() - 5_000) }, { where: { id: gone.id } });
      const back = await eventually(() => sessionOf(server, admin.token, customer.session.id), (s) => s.status === 'waiting');
      expect(back).toMatchObject({ status: 'waiting', operatorId: null });
      const operator = await request(server.url).get(`/api/operators/${gone.id}`).set(bearer(admin.token));
      expect(operator.body.data).toMatchObject({ status: 'offline', activeSessions: 0 });
      // Back online, she gets it again (she only went away; she did not let it wait), and the chat behind it too.
      const later = await createSession(server.url);
      expect(later.session.status).toBe('waiting');
      await setStatus(server.url, gone.token, gone.id, 'online');
      for (const id of [customer.session.id, later.session.id]) {
        expect(await eventually(() => sessionOf(server, admin.token, id), (s) => s.status === 'active')).toMatchObject({ operatorId: gone.id });
      }
    } finally {
      await server.close();
    }
  });

  it('SESSION_IDLE_TIMEOUT_MINUTES: an idle active session is closed once, with a system message', async () => {
    const server = await startApiServer(backend, { SESSION_IDLE_TIMEOUT_MINUTES: '30' });
    try {
      const admin = await createAdmin(server);
      const op = await createOperator(server.url, admin.token, { name: 'Ida' });
      await setStatus(server.url, op.token, op.id, 'online');
      const customer = await createSession(server.url, { message: 'hello?' });
      const longAgo = new Date(Date.now() - 31 * 60_000);
      await server.server.db.models.ChatSession.update({ lastMessageAt: longAgo, assignedAt: longAgo }, { where: { id: customer.session.id } });
      const closed = await eventually(() => sessionOf(server, admin.token, customer.session.id), (s) => s.status === 'closed');
      expect(closed).toMatchObject({ status: 'closed', closedBy: 'system' });
      const messages = await request(server.url).get(`/api/chat/messages/${customer.session.id}`).set(bearer(customer.customerToken));
      const closing = messages.body.data.filter((m: { senderType: string; content: string }) => m.senderType === 'system' && m.content.startsWith('Chat closed'));
      expect(closing).toHaveLength(1);
      const op2 = await request(server.url).get(`/api/operators/${op.id}`).set(bearer(admin.token));
      expect(op2.body.data.activeSessions).toBe(0);
    } finally {
      await server.close();
    }
  });
});
