import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { bearer, createAdmin, createOperator, createSession, setStatus, startApiServer, type Staff } from '../helpers/api';

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

async function events(server: TestServer, token: string, id: string): Promise<Array<{ type: string; operatorId: number | null; detail: Record<string, unknown> }>> {
  const res = await request(server.url).get(`/api/chat/sessions/${id}/events`).set(bearer(token));
  return res.body.data;
}

describeEachBackend('routing rules', (backend) => {
  describe('departments and returning customers', () => {
    let server: TestServer;
    let admin: Staff;
    beforeAll(async () => {
      server = await startApiServer(backend);
      admin = await createAdmin(server);
    });
    afterAll(async () => server?.close());

    it('a session with a department goes only to an operator of that department', async () => {
      const sales = await createOperator(server.url, admin.token, { name: 'Sam Sales', departments: ['sales'] });
      const support = await createOperator(server.url, admin.token, { name: 'Sue Support', departments: ['support'] });
      await setStatus(server.url, sales.token, sales.id, 'online');
      await setStatus(server.url, support.token, support.id, 'online');
      const first = await createSession(server.url, { department: 'support' });
      const second = await createSession(server.url, { department: 'sales' });
      expect(first.session.operatorId).toBe(support.id);
      expect(second.session.operatorId).toBe(sales.id);
      const nobody = await createSession(server.url, { department: 'billing' });
      expect(nobody.session.status).toBe('waiting');
      for (const staff of [sales, support]) await setStatus(server.url, staff.token, staff.id, 'offline');
    });

    it('a long line for a department nobody serves does not hold up a customer an operator can take', async () => {
      const gil = await createOperator(server.url, admin.token, { name: 'Gil General' });
      await setStatus(server.url, gil.token, gil.id, 'online');
      // More than one routing pass looks at (100), all waiting for billing, which nobody online serves.
      for (let i = 0; i < 110; i++) expect((await createSession(server.url, { department: 'billing' })).session.status).toBe('waiting');
      const general = await createSession(server.url);
      expect(general.session).toMatchObject({ status: 'active', operatorId: gil.id });
      await setStatus(server.url, gil.token, gil.id, 'offline');
    });

    it('a returning customer goes back to their previous operator when that one is available', async () => {
      const a = await createOperator(server.url, admin.token, { name: 'Ann' });
      const b = await createOperator(server.url, admin.token, { name: 'Ben' });
      await setStatus(server.url, a.token, a.id, 'online');
      const first = await createSession(server.url, { customerId: 'returning-1' });
      expect(first.session.operatorId).toBe(a.id);
      await request(server.url).put(`/api/chat/sessions/${first.session.id}/close`).set(bearer(first.customerToken)).expect(200);
      // Ben is now the less busy one (Ann has been assigned most recently): only the preference sends it to Ann.
      await setStatus(server.url, b.token, b.id, 'online');
      const again = await createSession(server.url, { customerId: 'returning-1' });
      expect(again.session.operatorId).toBe(a.id);
      const trail = await events(server, admin.token, again.session.id);
      expect(trail.find((e) => e.type === 'assigned')?.detail).toMatchObject({ reason: 'previous operator' });
      for (const staff of [a, b]) await setStatus(server.url, staff.token, staff.id, 'offline');
    });
  });

  it('round-robin rotates through the operators, the rotation shared by every process', async () => {
    const provisioned = await backend.provision();
    const env = { ASSIGNMENT_STRATEGY: 'round-robin', OPERATOR_PRESENCE_GRACE_SECONDS: '3600' };
    const first = await startTestServer(backend, { provisioned, env });
    const servers = backend.name === 'sqlite' ? [first] : [first, await startTestServer(backend, { provisioned, env })];
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
      for (const server of servers) await server.close();
      await provisioned.dispose();
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
      const trail = await events(server, admin.token, customer.session.id);
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
