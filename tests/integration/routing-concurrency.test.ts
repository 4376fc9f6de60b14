import { SYSTEM } from '../../services/access';
import { availableBackends, deleteRedisKeys, type Backend, type ProvisionedBackend } from '../helpers/backends';
import { startTestServer, type TestServer } from '../helpers/testServer';

/**
 * PROTOCOL.md's routing invariants under load: 200 customers arrive at once, spread over the processes of
 * one deployment (two on MariaDB + Redis, one on SQLite), against 5 operators × capacity 3.
 */
const OPERATORS = 5;
const CAPACITY = 3;
const CUSTOMERS = 200;
const ROUNDS = Number(process.env.ROUTING_ROUNDS ?? 3);

interface Deployment {
  servers: TestServer[];
  provisioned: ProvisionedBackend;
  operatorIds: number[];
}

async function deploy(backend: Backend): Promise<Deployment> {
  const provisioned = await backend.provision();
  const first = await startTestServer(backend, { provisioned });
  const servers = [first];
  // SQLite in memory belongs to one process; MariaDB + Redis is shared by two, as under pm2.
  if (backend.name !== 'sqlite') servers.push(await startTestServer(backend, { provisioned }));
  const admin = { kind: 'operator' as const, operatorId: 0, role: 'admin' as const, name: 'Test Admin' };
  const operatorIds: number[] = [];
  for (let i = 0; i < OPERATORS; i++) {
    const operator = await first.server.operators.create(SYSTEM, {
      name: `Operator ${i}`,
      email: `op${i}@example.com`,
      password: 'password123',
      maxConcurrentSessions: CAPACITY,
    });
    await first.server.operators.setStatus({ ...admin, operatorId: operator.id }, operator.id, 'online');
    operatorIds.push(operator.id);
  }
  return { servers, provisioned, operatorIds };
}

interface Answer {
  id: string;
  status: string;
  queuePosition?: number;
  operator: { id: number; name: string } | null;
}

async function createSession(server: TestServer, n: number, message?: string): Promise<Answer> {
  const res = await fetch(`${server.url}/api/chat/sessions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ customerName: `Customer ${n}`, ...(message === undefined ? {} : { message }) }),
  });
  if (res.status !== 201) throw new Error(`session ${n}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { data: { session: Answer } };
  return body.data.session;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const backend of availableBackends()) {
  describe(`routing invariants under concurrency [${backend.name}]`, () => {
    for (let round = 1; round <= ROUNDS; round++) {
      it(`round ${round}: exactly ${OPERATORS * CAPACITY} assigned, nobody over capacity, the rest queued FIFO; closing drains in order`, async () => {
        const deployment = await deploy(backend);
        const { servers, operatorIds } = deployment;
        const { db } = servers[0]!.server;
        try {
          const creating = Promise.all(Array.from({ length: CUSTOMERS }, (_, n) => createSession(servers[n % servers.length]!, n)));
          // Redis emptied mid-run (as by FLUSHALL or a restart): nothing is lost, the counts come back right.
          const prefix = deployment.provisioned.env.REDIS_KEY_PREFIX;
          if (prefix) await deleteRedisKeys(prefix);
          const created = await creating;
          expect(new Set(created.map((s) => s.id)).size).toBe(CUSTOMERS);

          const { ChatSession, Operator, SessionEvent } = db.models;
          const active = await ChatSession.findAll({ where: { status: 'active' } });
          expect(active).toHaveLength(OPERATORS * CAPACITY);
          expect(await ChatSession.count({ where: { status: 'waiting' } })).toBe(CUSTOMERS - OPERATORS * CAPACITY);

          // Invariant 1: nobody over capacity, and the counter matches the sessions really held.
          for (const id of operatorIds) {
            const operator = await Operator.findByPk(id);
            const held = active.filter((s) => Number(s.operatorId) === id).length;
            expect(held).toBe(CAPACITY);
            expect(operator?.activeSessions).toBe(held);
          }
          // The cache, rebuilt from the database, agrees with it on every operator's load.
          await Promise.all(servers.map((s) => s.server.cache.ensureBuilt()));
          for (const server of servers) {
            const cached = (await server.server.cache.getOperators()) ?? [];
            for (const id of operatorIds) expect(cached.find((o) => o.id === id)?.activeSessions).toBe(CAPACITY);
          }
          // Invariant 2: one assignment per session, never two.
          const assignedEvents = await SessionEvent.count({ where: { type: 'assigned' } });
          expect(assignedEvents).toBe(OPERATORS * CAPACITY);
          // Every customer was answered with the session as it then stood: the ones told "active" (with their
          // operator) are the ones held, the others were told a place in the queue, and the audit trail says so.
          const toldActive = created.filter((s) => s.status === 'active');
          expect(toldActive.map((s) => s.id).sort()).toEqual(active.map((s) => s.id).sort());
          for (const s of toldActive) expect(s.operator?.id).toBe(Number(active.find((a) => a.id === s.id)?.operatorId));
          for (const s of created.filter((c) => c.status !== 'active')) expect(s.queuePosition).toBeGreaterThanOrEqual(1);
          expect(await SessionEvent.count({ where: { type: 'created' } })).toBe(CUSTOMERS);
          expect(await SessionEvent.count({ where: { type: 'queued' } })).toBe(CUSTOMERS - OPERATORS * CAPACITY);

          // The queue as every process serves it: FIFO by arrival, positions 1..n, identical on each process.
          const queues = await Promise.all(servers.map((s) => s.server.sessions.listQueue(SYSTEM)));
          const queue = queues[0]!;
          expect(queue.map((s) => s.queuePosition)).toEqual(queue.map((_, i) => i + 1));
          const arrival = queue.map((s) => new Date(s.createdAt).getTime());
          expect(arrival).toEqual([...arrival].sort((a, b) => a - b));
          for (const other of queues.slice(1)) expect(other.map((s) => s.id)).toEqual(queue.map((s) => s.id));

          // Closing one session per operator hands each freed seat to the oldest waiting sessions.
          const toClose = operatorIds.map((id) => active.find((s) => Number(s.operatorId) === id)!);
          await Promise.all(
            toClose.map((session, i) => servers[i % servers.length]!.server.chat.close({ kind: 'operator', operatorId: Number(session.operatorId), role: 'operator', name: 'Its Operator' }, session.id)),
          );
          const expectedNext = queue.slice(0, OPERATORS).map((s) => s.id).sort();
          await waitFor(async () => (await ChatSession.count({ where: { id: expectedNext, status: 'active' } })) === OPERATORS);
          expect(await ChatSession.count({ where: { status: 'active' } })).toBe(OPERATORS * CAPACITY);
          for (const id of operatorIds) {
            expect((await Operator.findByPk(id))?.activeSessions).toBe(await ChatSession.count({ where: { operatorId: id, status: 'active' } }));
          }
        } finally {
          for (const server of servers) await server.close();
          await deployment.provisioned.dispose();
        }
      }, 240_000);
    }

    it('a burst of customers who each start with a message: every conversation opens with its own message, then the operator joining', async () => {
      const deployment = await deploy(backend);
      const { servers } = deployment;
      const { ChatMessage } = servers[0]!.server.db.models;
      try {
        const created = await Promise.all(Array.from({ length: 40 }, (_, n) => createSession(servers[n % servers.length]!, n, `Hello from customer ${n}`)));
        for (const [n, session] of created.entries()) {
          const lines = await ChatMessage.findAll({ where: { sessionId: session.id }, order: [['id', 'ASC']] });
          const expected = [`customer: Hello from customer ${n}`, ...(session.status === 'active' ? [`system: ${session.operator?.name} joined the chat`] : [])];
          expect(lines.map((m) => `${m.senderType}: ${m.content}`)).toEqual(expected);
        }
        expect(created.filter((s) => s.status === 'active')).toHaveLength(OPERATORS * CAPACITY);
        // The passes wrote their operators to the cache as they left them (no re-read): each process's copy is the
        // database's row, load, assignment time and version alike.
        const { Operator } = servers[0]!.server.db.models;
        const rows = await Operator.findAll({ where: { id: deployment.operatorIds } });
        for (const server of servers) {
          const cached = (await server.server.cache.getOperators()) ?? [];
          for (const row of rows) {
            expect(cached.find((o) => o.id === row.id)).toMatchObject({ activeSessions: CAPACITY, lastAssignedAt: row.lastAssignedAt?.toISOString(), version: row.version });
          }
        }
      } finally {
        for (const server of servers) await server.close();
        await deployment.provisioned.dispose();
      }
    }, 120_000);
  });
}
