import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { serverPerTest } from '../helpers/scenarios';
import { bearer, createOperator, createSession, expectStatus, listMessages, setStatus } from '../helpers/api';
import { PrivateRedis } from '../../scripts/bench/privateRedis';
import { call, cmid, closeAllSockets, connectCustomer, connectOperator, connectedOperator, nextEvent, waitDisconnected, type MessageMsg } from '../helpers/sockets';
import { startTestServer } from '../helpers/testServer';
import { sleep } from '../helpers/wait';
import type { MessageDTO, OperatorStats } from '../../services/contract';

/**
 * What a transfer leaves behind: every message still shows who wrote it, in the console of the operator who
 * handed the chat over and in the one who took it (PROTOCOL.md Message.senderName), and the statistics stay per
 * assignment (invariant 6): each operator's first response is measured from when they got the session, is never
 * negative, and the first operator's figure does not move when the second one answers.
 */
describeEachBackend('after a transfer', (backend) => {
  let url: string;
  let adminToken: string;
  serverPerTest(backend, {}, (stage) => {
    url = stage.url;
    adminToken = stage.admin.token;
  });

  const stats = async (): Promise<OperatorStats> => {
    const res = await request(url).get('/api/operators/stats').set(bearer(adminToken));
    expectStatus(res, 200);
    return res.body.data;
  };
  const firstResponse = async (operatorId: number): Promise<number | null> => (await stats()).operators.find((o) => o.operatorId === operatorId)?.avgFirstResponseSeconds ?? null;
  const writers = (messages: MessageDTO[]): Array<[string, string | null]> => messages.filter((m) => m.senderType !== 'system').map((m) => [m.content, m.senderName]);

  it('each message keeps its writer’s name in both consoles, and first responses stay with their operator', async () => {
    const ann = await connectedOperator(url, adminToken, { name: 'Ann Archer', status: 'online' });
    const ben = await connectedOperator(url, adminToken, { name: 'Ben Brook', status: 'busy' });
    const customer = await createSession(url, { customerName: 'Carla Customer', message: 'My invoice is wrong' });
    expect(customer.session.operatorId).toBe(ann.id);
    const widget = await connectCustomer(url, customer.customerToken);
    const id = customer.session.id;

    await sleep(300);
    const annReply = await call<MessageDTO>(ann.socket, 'message:send', { sessionId: id, content: 'Ann here, let me look', clientMessageId: cmid() });
    expect(annReply.senderName).toBe('Ann Archer');
    const annFirst = await firstResponse(ann.id);
    expect(annFirst).toBeGreaterThanOrEqual(0.25);

    const toBen = nextEvent(ben.socket, 'session:assigned');
    await call(ann.socket, 'session:transfer', { sessionId: id, operatorId: ben.id });
    await toBen;
    await sleep(500);
    const benSees = nextEvent<MessageMsg>(ben.socket, 'message:new', undefined, (m) => m.message.content === 'Ben from billing');
    const customerSees = nextEvent<MessageMsg>(widget, 'message:new', undefined, (m) => m.message.content === 'Ben from billing');
    await call(ben.socket, 'message:send', { sessionId: id, content: 'Ben from billing', clientMessageId: cmid() });
    expect((await benSees).message.senderName).toBe('Ben Brook');
    expect((await customerSees).message.senderName).toBe('Ben Brook');

    const expected: Array<[string, string | null]> = [
      ['My invoice is wrong', 'Carla Customer'],
      ['Ann here, let me look', 'Ann Archer'],
      ['Ben from billing', 'Ben Brook'],
    ];
    // Ben's console syncs the conversation he was handed; Ann's reads it as any operator may.
    const benConsole = await call<{ messages: MessageDTO[] }>(ben.socket, 'messages:sync', { sessionId: id, afterId: 0 });
    expect(writers(benConsole.messages)).toEqual(expected);
    expect(writers(await listMessages(url, ann.token, id))).toEqual(expected);
    expect(writers(await listMessages(url, customer.customerToken, id))).toEqual(expected);
    expect(benConsole.messages.filter((m) => m.senderType === 'system').every((m) => m.senderName === null)).toBe(true);

    const after = await stats();
    const figure = (operatorId: number): number | null => after.operators.find((o) => o.operatorId === operatorId)?.avgFirstResponseSeconds ?? null;
    expect(figure(ann.id)).toBe(annFirst);
    expect(figure(ben.id)).toBeGreaterThanOrEqual(0.45);
    expect(figure(ben.id)).toBeLessThan(5);
  });

  it('a renamed operator’s earlier messages keep the name they were written under; later ones carry the new one', async () => {
    const ann = await connectedOperator(url, adminToken, { name: 'Ann Archer', status: 'online' });
    const customer = await createSession(url, { customerName: 'Carla Customer' });
    const before = await call<MessageDTO>(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'before', clientMessageId: cmid() });
    expect(before.senderName).toBe('Ann Archer');
    // The rename ends her sockets (they act with the name their handshake found); the console reconnects.
    const dropped = waitDisconnected(ann.socket);
    expectStatus(await request(url).patch(`/api/operators/${ann.id}`).set(bearer(adminToken)).send({ name: 'Ann Archer-Smith' }), 200);
    await dropped;
    const again = await connectOperator(url, ann.token);
    const after = await call<MessageDTO>(again, 'message:send', { sessionId: customer.session.id, content: 'after', clientMessageId: cmid() });
    expect(after.senderName).toBe('Ann Archer-Smith');
    const rest = await request(url).post(`/api/chat/sessions/${customer.session.id}/messages`).set(bearer(ann.token)).send({ content: 'by REST' });
    expect(rest.body.data.senderName).toBe('Ann Archer-Smith');
    expect(writers(await listMessages(url, customer.customerToken, customer.session.id))).toEqual([
      ['before', 'Ann Archer'],
      ['after', 'Ann Archer-Smith'],
      ['by REST', 'Ann Archer-Smith'],
    ]);
  });

  it('only the holder’s own first message counts as their first response (an admin’s does not)', async () => {
    const ann = await connectedOperator(url, adminToken, { name: 'Ann Archer', status: 'online' });
    const customer = await createSession(url, { customerName: 'Carla Customer' });
    expect(customer.session.operatorId).toBe(ann.id);
    const adminLine = await request(url).post(`/api/chat/sessions/${customer.session.id}/messages`).set(bearer(adminToken)).send({ content: 'Supervisor checking in' });
    expectStatus(adminLine, 201);
    expect(adminLine.body.data.senderName).toBe('Ada Admin');
    expect(await firstResponse(ann.id)).toBeNull();
    await sleep(200);
    await call(ann.socket, 'message:send', { sessionId: customer.session.id, content: 'Ann here', clientMessageId: cmid() });
    expect(await firstResponse(ann.id)).toBeGreaterThanOrEqual(0.15);
  });
});

describeEachBackend('availability with Redis down', (backend) => {
  afterEach(() => closeAllSockets());

  it('counts only operators with a free seat, from the cache and from the database alike', async () => {
    const redis = await PrivateRedis.start();
    const server = await startTestServer(backend, { env: { REDIS_URL: redis.url } });
    try {
      const admin = await server.server.operators.create({ kind: 'system' }, { name: 'Ada Admin', email: 'ada@example.com', password: 'correct-horse-battery-staple', role: 'admin' });
      const { token } = (await request(server.url).post('/api/auth/login').send({ email: admin.email, password: 'correct-horse-battery-staple' })).body.data;
      const full = await createOperator(server.url, token, { name: 'Full Fiona', maxConcurrentSessions: 1 });
      await setStatus(server.url, full.token, full.id, 'online');
      expect((await createSession(server.url)).session.operatorId).toBe(full.id);
      const free = await createOperator(server.url, token, { name: 'Free Fred', maxConcurrentSessions: 2 });
      await setStatus(server.url, free.token, free.id, 'online');
      const availability = async () => (await request(server.url).get('/api/chat/availability')).body.data;

      expect(await availability()).toMatchObject({ online: true, availableOperators: 1, waiting: 0 });
      await redis.crash();
      expect(await server.server.cache.getOperators()).toBeNull();
      expect(await availability()).toMatchObject({ online: true, availableOperators: 1, waiting: 0 });
    } finally {
      redis.thaw();
      await server.close();
      redis.cleanup();
    }
  });
});
