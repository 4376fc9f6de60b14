import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { Socket } from 'socket.io-client';
import { createMysqlDatabase, deleteRedisKeys, mariadbRedisBackend, availableBackends } from '../helpers/backends';
import request from 'supertest';
import { bearer, createSession, getData, login, type Customer, type MessageBody, type OperatorBody, type SessionBody } from '../helpers/api';
import { buildCompiledServer, spawnServer, type ServerProcess } from '../helpers/compiledServer';
import { createNetwork, networkNamespacesUnavailable, type TestHost, type TestNetwork } from '../helpers/netns';
import { mysqlTarget } from '../helpers/realBackends';
import { call, closeAllSockets, cmid, connectCustomer, connectOperator, connectedOperator, nextEvent, type ConnectedOperator } from '../helpers/sockets';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy';
import { sleep, waitFor } from '../helpers/wait';

/**
 * One deployment on three hosts (network namespaces with addresses of their own; MariaDB and Redis on the machine
 * outside them): customers on host A, operators on host B, a colleague on host C. Host B is killed (SIGKILL)
 * while both sides are writing. One of B's operators comes back through host C, her console sending again what
 * was not acknowledged (as public/shared/outbox.ts does); the other never comes back. Afterwards every message is
 * stored once and has reached the other side (live, or by the customer's sync), the routing invariants hold,
 * and the operator who did not come back went offline after the grace, his chats requeued to the colleague on C.
 *
 * Not covered, because it is not so: a message the dead host stored but had not yet told anyone, from a sender
 * who never comes back, is in the conversation's history but is not pushed to the other side.
 */

const GRACE_SECONDS = 3;
const CUSTOMERS = 6;
const ADMIN = { email: 'hosts-admin@example.com', password: 'hosts-admin-password-2026' };

const unavailable = networkNamespacesUnavailable();
const real = availableBackends().includes(mariadbRedisBackend);
const required = process.env.REQUIRE_REAL_BACKENDS === '1';

if (unavailable !== null && !required) {
  // Said once in the run's output: the suite is listed as skipped, with why.
  process.stderr.write(`several-hosts: skipped, network namespaces cannot be made here (${unavailable})\n`);
}

const suite = unavailable === null && real ? describe : required ? describe : describe.skip;

suite('three hosts of one deployment [mariadb+redis, network namespaces]', () => {
  if (unavailable !== null || !real) {
    it('needs network namespaces and MariaDB + Redis', () => {
      throw new Error(`REQUIRE_REAL_BACKENDS=1 but ${unavailable === null ? 'MariaDB and Redis are not both reachable' : `network namespaces cannot be made here: ${unavailable}`}`);
    });
    return;
  }

  let network: TestNetwork;
  let database: { name: string; drop(): Promise<void> };
  const proxies: TcpProxy[] = [];
  const servers = new Map<string, ServerProcess>();
  const redisPrefix = `hosts:${randomBytes(4).toString('hex')}:`;
  let env: Record<string, string>;
  let entry: string;
  let workDir: string;

  beforeAll(async () => {
    entry = await buildCompiledServer();
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-hosts-'));
    network = await createNetwork(3);
    database = await createMysqlDatabase();
    // MariaDB and Redis listen on the machine's loopback only: relayed from its address on the hosts' bridge.
    const mysqlRelay = await startTcpProxy(mysqlTarget, network.machineAddress);
    const redisRelay = await startTcpProxy({ host: '127.0.0.1', port: 6379 }, network.machineAddress);
    proxies.push(mysqlRelay, redisRelay);
    env = {
      PORT: '3000',
      LOG_LEVEL: 'info',
      DB_HOST: network.machineAddress,
      DB_PORT: String(mysqlRelay.port),
      DB_USER: mysqlTarget.user,
      DB_PASSWORD: mysqlTarget.password,
      DB_NAME: database.name,
      REDIS_URL: `redis://${network.machineAddress}:${redisRelay.port}`,
      REDIS_KEY_PREFIX: redisPrefix,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      OPERATOR_PRESENCE_GRACE_SECONDS: String(GRACE_SECONDS),
      RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
      RATE_LIMIT_LOGINS_PER_MINUTE: '0',
      LOGIN_LOCKOUT_FAILURES: '0',
    };
  }, 240_000);

  afterAll(async () => {
    closeAllSockets();
    for (const server of servers.values()) server.kill();
    await Promise.all([...servers.values()].map((server) => server.exited));
    for (const proxy of proxies) await proxy.close();
    await network?.remove();
    await database?.drop();
    await deleteRedisKeys(redisPrefix);
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  /** Our compiled server on a host, as a deployment runs it; resolves once it listens. */
  async function startOn(host: TestHost): Promise<string> {
    const server = spawnServer(entry, env, workDir, ['ip', 'netns', 'exec', host.name]);
    servers.set(host.name, server);
    await server.waitForLog((line) => line.msg === 'chat server listening', 60_000);
    return `http://${host.address}:3000`;
  }

  it('host B dies mid-conversation: nothing is lost or stored twice, its operators go offline after the grace and their chats move to host C', async () => {
    const [hostA, hostB, hostC] = network.hosts as [TestHost, TestHost, TestHost];
    // A first (it migrates), then B and C on the ready schema.
    const a = await startOn(hostA);
    const [b, c] = await Promise.all([startOn(hostB), startOn(hostC)]);
    const admin = await login(a, ADMIN.email, ADMIN.password);

    // Two operators on B take every chat; a colleague on C stands by (busy: no new chats yet).
    const onB = [
      await connectedOperator(a, admin.token, { name: 'Bea on B', maxConcurrentSessions: CUSTOMERS, status: 'online', on: b }),
      await connectedOperator(a, admin.token, { name: 'Ben on B', maxConcurrentSessions: CUSTOMERS, status: 'online', on: b }),
    ];
    const cid = await connectedOperator(a, admin.token, { name: 'Cid on C', maxConcurrentSessions: CUSTOMERS, status: 'busy', on: c });
    const customers: Array<Customer & { socket: Socket; seen: Map<number, MessageBody> }> = [];
    for (let i = 0; i < CUSTOMERS; i++) {
      const customer = await createSession(a, { customerName: `Customer ${i} on A` });
      expect(customer.session.status).toBe('active');
      customers.push({ ...customer, socket: await connectCustomer(a, customer.customerToken), seen: new Map<number, MessageBody>() });
    }
    for (const customer of customers) customer.socket.on('message:new', ({ message }: { message: MessageBody }) => customer.seen.set(message.id, message));
    // What each chat held before the customer listened (their first lines): the check below starts after it.
    const before = new Map<string, number>();
    for (const customer of customers) {
      const page = await getData<MessageBody[]>(a, customer.customerToken, `/api/chat/messages/${customer.session.id}`);
      before.set(customer.session.id, Math.max(0, ...page.map((m) => m.id)));
    }
    const holderOf = new Map(customers.map((customer) => [customer.session.id, onB.find((op) => op.id === customer.session.operatorId) as ConnectedOperator]));
    expect([...holderOf.values()].every(Boolean)).toBe(true);
    const [bea, ben] = onB as [ConnectedOperator, ConnectedOperator];
    // Bea's chats fill her seats: what Ben leaves goes to Cid, not to her.
    const beasCount = [...holderOf.values()].filter((op) => op === bea).length;
    expect((await request(a).patch(`/api/operators/${bea.id}`).set(bearer(admin.token)).send({ maxConcurrentSessions: beasCount })).status).toBe(200);

    // Both sides write, one message every 50 ms per chat, until B is killed and a little after.
    const acked: Array<{ sessionId: string; clientMessageId: string; id?: number }> = [];
    /** What each writer sent and had no acknowledgement of (its host died meanwhile), in the order sent. */
    const unacknowledged = new Map<Socket, Array<Record<string, unknown> & { clientMessageId: string }>>();
    let writing = true;
    const write = async (socket: Socket, sessionId: string, payload: Record<string, unknown>): Promise<void> => {
      for (let n = 0; writing; n++) {
        const body = { ...payload, content: `${String(payload.content)} ${n}`, clientMessageId: cmid() };
        try {
          const message = await call<MessageBody>(socket, 'message:send', body, 2_000);
          acked.push({ sessionId, clientMessageId: body.clientMessageId, id: message.id });
        } catch {
          unacknowledged.set(socket, [...(unacknowledged.get(socket) ?? []), body]);
          // B is gone: this side's messages stop being acknowledged (and are not counted as sent).
          if (!socket.connected) return;
        }
        await sleep(50);
      }
    };
    const writers = customers.flatMap((customer) => [
      write(customer.socket, customer.session.id, { content: `from ${customer.session.customerName}` }),
      write((holderOf.get(customer.session.id) as ConnectedOperator).socket, customer.session.id, { sessionId: customer.session.id, content: 'from the operator' }),
    ]);
    await sleep(1_500);
    servers.get(hostB.name)?.kill();
    const killedAt = Date.now();
    await servers.get(hostB.name)?.exited;
    await sleep(1_000);
    writing = false;
    await Promise.all(writers);

    // Bea comes back through host C; her console sends again what had no acknowledgement, with the same ids.
    const beaAgain = await connectOperator(c, bea.token);
    for (const resend of unacknowledged.get(bea.socket) ?? []) {
      const message = await call<MessageBody>(beaAgain, 'message:send', resend);
      acked.push({ sessionId: String(resend.sessionId), clientMessageId: resend.clientMessageId, id: message.id });
    }
    // What Ben sent without an acknowledgement: he never comes back to send it again.
    const neverResent = new Set((unacknowledged.get(ben.socket) ?? []).map((body) => body.clientMessageId));

    // Ben goes offline once his presence and the grace are over, and his chats are back in the queue; Cid takes them.
    await waitFor(
      async () => {
        const operators = await getData<OperatorBody[]>(a, admin.token, '/api/operators');
        return operators.find((o) => o.id === ben.id)?.status === 'offline' ? operators : false;
      },
      // B renewed their presence lease every 5 s for 15 s: it runs out, then the grace.
      (15 + GRACE_SECONDS + 25) * 1000,
      'Ben to go offline',
    );
    // Not before the grace: a host that restarts at once keeps its operators' chats.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000);
    await call(cid.socket, 'status:set', { status: 'online' });
    const bens = customers.filter((customer) => holderOf.get(customer.session.id) === ben);
    expect(bens.length).toBeGreaterThan(0);
    await waitFor(
      async () => {
        const all = await Promise.all(customers.map((customer) => getData<SessionBody>(a, admin.token, `/api/chat/sessions/${customer.session.id}`)));
        return all.every((session) => session.status === 'active' && session.operatorId === (holderOf.get(session.id) === ben ? cid.id : bea.id)) ? all : false;
      },
      20_000,
      "Ben's chats to be with Cid on C, Bea's still with her",
    );
    for (const customer of customers) {
      const trail = await getData<Array<{ type: string; detail: { reason?: string } | null }>>(a, admin.token, `/api/chat/sessions/${customer.session.id}/events`);
      const requeued = trail.filter((e) => e.type === 'requeued').map((e) => e.detail?.reason);
      expect(requeued).toEqual(holderOf.get(customer.session.id) === ben ? ['requeued: operator went offline'] : []);
    }
    expect((await getData<OperatorBody>(a, admin.token, `/api/operators/${bea.id}`)).status).toBe('online');

    // Every message: stored once (by its clientMessageId), and seen by the customer live or by their sync.
    const db = await mysql.createConnection({ ...mysqlTarget, database: database.name });
    try {
      for (const customer of customers) {
        const [rows] = (await db.query("SELECT id, client_message_id AS cmid, sender_type AS sender FROM chat_messages WHERE session_id = ? AND internal = 0 ORDER BY id", [customer.session.id])) as unknown as [
          Array<{ id: number; cmid: string | null; sender: string }>,
        ];
        // Each message sent once is stored once: no client message id twice (system lines have none).
        const sent = rows.filter((row) => row.cmid !== null);
        const stored = new Map(sent.map((row) => [row.cmid, Number(row.id)]));
        expect(stored.size).toBe(sent.length);
        for (const message of acked.filter((m) => m.sessionId === customer.session.id)) expect(stored.get(message.clientMessageId)).toBe(message.id);
        const lastSeen = Math.max(0, ...customer.seen.keys());
        const synced = await call<{ messages: MessageBody[] }>(customer.socket, 'messages:sync', { afterId: lastSeen });
        for (const message of synced.messages) customer.seen.set(message.id, message);
        // What the operators and the server said since the customer listened: each reached them.
        const missing = rows.filter(
          (row) => Number(row.id) > (before.get(customer.session.id) ?? 0) && row.sender !== 'customer' && !neverResent.has(row.cmid ?? '') && !customer.seen.has(Number(row.id)),
        );
        expect(missing).toEqual([]);
        expect(rows.filter((row) => row.sender === 'operator').length).toBeGreaterThan(0);
      }
      // Routing's invariants, in the database: nobody over capacity, every counter right, no chat held twice.
      const [[check]] = (await db.query(
        `SELECT
           (SELECT COUNT(*) FROM operators WHERE active_sessions > max_concurrent_sessions) AS overCapacity,
           (SELECT COUNT(*) FROM operators o WHERE o.active_sessions <> (SELECT COUNT(*) FROM chat_sessions s WHERE s.operator_id = o.id AND s.status = 'active')) AS counterDrift,
           (SELECT COUNT(*) FROM (SELECT session_id FROM session_assignments WHERE ended_at IS NULL GROUP BY session_id HAVING COUNT(*) > 1) d) AS heldTwice,
           (SELECT COUNT(*) FROM chat_sessions s JOIN operators o ON o.id = s.operator_id WHERE s.status = 'active' AND o.status = 'offline') AS heldByOffline`,
      )) as unknown as [[Record<string, number | string>]];
      expect(Object.fromEntries(Object.entries(check as Record<string, number | string>).map(([k, v]) => [k, Number(v)]))).toEqual({ overCapacity: 0, counterDrift: 0, heldTwice: 0, heldByOffline: 0 });
    } finally {
      await db.end();
    }
    // Cid hears Ben's chats now: a customer's next message reaches C.
    const [first] = bens;
    const said = await call<MessageBody>(first!.socket, 'message:send', { content: 'are you still there?', clientMessageId: cmid() });
    expect((await nextEvent<{ message: MessageBody }>(cid.socket, 'message:new', 10_000, (p) => p.message.id === said.id)).message.content).toBe('are you still there?');
  }, 180_000);
});
