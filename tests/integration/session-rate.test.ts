import request from 'supertest';
import type { Socket } from 'socket.io-client';
import { bearer, createSession } from '../helpers/api';
import { describeEachBackend } from '../helpers/backends';
import { CROSS_MS, deploymentPerTest, describeCluster, operatorOn, startDeployment } from '../helpers/cluster';
import { adminView, liveChat, serverPerTest } from '../helpers/scenarios';
import { call, cmid, connectCustomer, emitWithAck, eventsOf, nextEvent, type AckReply, type MessageMsg } from '../helpers/sockets';
import { sleep } from '../helpers/wait';

/**
 * A customer's limit is per session, whatever carries the events (security review item 1): ten sockets of one
 * session once sent 300 messages in 0.4 s, REST had a bucket of its own, and 2,000 `typing` events in 1.5 s were
 * all relayed. Now messages (sockets and REST) share RATE_LIMIT_MESSAGES_PER_10_SECONDS, typing and read marks
 * share three times that, per session, across processes (Redis).
 */

const LIMIT = 5;
const codes = (replies: AckReply[]): string[] => replies.map((reply) => (reply.ok ? 'ok' : reply.error.code));

describeEachBackend('the customer limit is per session', (backend) => {
  const stage = serverPerTest(backend, { RATE_LIMIT_MESSAGES_PER_10_SECONDS: String(LIMIT) });
  const { messagesOf } = adminView(stage);

  it('ten sockets of one session sending 30 messages at once: 5 stored, the rest RATE_LIMITED; REST then 429 too', async () => {
    const { customer } = await liveChat(stage.url, stage.admin.token, { operator: { name: 'Olga Operator', maxConcurrentSessions: 5 }, customer: { customerName: 'Flo Flood' } });
    const sockets: Socket[] = [customer.socket];
    for (let i = 1; i < 10; i++) sockets.push(await connectCustomer(stage.url, customer.customerToken));
    const replies = await Promise.all(sockets.flatMap((socket, s) => [0, 1, 2].map((n) => emitWithAck(socket, 'message:send', { content: `flood ${s}.${n}`, clientMessageId: cmid() }))));
    expect(codes(replies).filter((code) => code === 'ok')).toHaveLength(LIMIT);
    expect(codes(replies).filter((code) => code !== 'ok').every((code) => code === 'RATE_LIMITED')).toBe(true);
    const stored = (await messagesOf(customer.session.id)).filter((m) => m.senderType === 'customer');
    expect(stored).toHaveLength(LIMIT);
    const rest = await request(stage.url).post(`/api/chat/sessions/${customer.session.id}/messages`).set(bearer(customer.customerToken)).send({ content: 'and by REST?' });
    expect(rest.status).toBe(429);
    expect(Number(rest.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another customer's session has its own bucket.
    const other = await createSession(stage.url, { customerName: 'Other' });
    expect((await request(stage.url).post(`/api/chat/sessions/${other.session.id}/messages`).set(bearer(other.customerToken)).send({ content: 'hello' })).status).toBe(201);
  });

  it('REST first, sockets after: one bucket', async () => {
    const { customer } = await liveChat(stage.url, stage.admin.token, { operator: { name: 'Olga Operator', maxConcurrentSessions: 5 }, customer: { customerName: 'Rex Rest' } });
    for (let i = 0; i < LIMIT; i++) expect((await request(stage.url).post(`/api/chat/sessions/${customer.session.id}/messages`).set(bearer(customer.customerToken)).send({ content: `rest ${i}` })).status).toBe(201);
    expect(codes([await emitWithAck(customer.socket, 'message:send', { content: 'socket', clientMessageId: cmid() })])).toEqual(['RATE_LIMITED']);
  });

  it('over the limit, a retry of a message already stored still gets it back (200 or ok), by REST and by socket; a new one waits', async () => {
    const { customer } = await liveChat(stage.url, stage.admin.token, { operator: { name: 'Olga Operator', maxConcurrentSessions: 5 }, customer: { customerName: 'Remy Retry' } });
    const post = (body: Record<string, string>) => request(stage.url).post(`/api/chat/sessions/${customer.session.id}/messages`).set(bearer(customer.customerToken)).send(body);
    const first = await post({ content: 'did this arrive?', clientMessageId: 'retry-1' });
    expect(first.status).toBe(201);
    for (let i = 1; i < LIMIT; i++) expect((await post({ content: `more ${i}` })).status).toBe(201);
    // The answer to 'retry-1' was lost on the way: the client sends it again, now over the limit.
    const again = await post({ content: 'did this arrive?', clientMessageId: 'retry-1' });
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ id: first.body.data.id, clientMessageId: 'retry-1' });
    const bySocket = await emitWithAck(customer.socket, 'message:send', { content: 'did this arrive?', clientMessageId: 'retry-1' });
    expect(bySocket).toMatchObject({ ok: true, data: { id: first.body.data.id } });
    expect((await post({ content: 'a new one', clientMessageId: 'retry-2' })).status).toBe(429);
    expect(codes([await emitWithAck(customer.socket, 'message:send', { content: 'a new one', clientMessageId: 'retry-3' })])).toEqual(['RATE_LIMITED']);
    expect((await messagesOf(customer.session.id)).filter((m) => m.content === 'did this arrive?')).toHaveLength(1);
  });

  it('a typing flood is cut at three times the message limit per 10 s: the operator hears no more; read marks count with it', async () => {
    const { op, customer } = await liveChat(stage.url, stage.admin.token, { operator: { name: 'Olga Operator', maxConcurrentSessions: 5 }, customer: { customerName: 'Tyler Typing' } });
    const second = await connectCustomer(stage.url, customer.customerToken);
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => emitWithAck(i % 2 === 0 ? customer.socket : second, 'typing', { isTyping: i % 4 < 2 })));
    expect(codes(replies).filter((code) => code === 'ok')).toHaveLength(LIMIT * 3);
    await sleep(500);
    expect(eventsOf(op.socket, 'typing').length).toBeLessThanOrEqual(LIMIT * 3);
    // The bucket is spent: a read mark waits for the window too; a message still goes (its own bucket).
    expect(codes([await emitWithAck(customer.socket, 'messages:read', { upToId: 1 })])).toEqual(['RATE_LIMITED']);
    const sent = await call<{ id: number }>(customer.socket, 'message:send', { content: 'still here', clientMessageId: cmid() });
    expect((await nextEvent<MessageMsg>(op.socket, 'message:new', undefined, (p) => p.message.id === sent.id)).message.content).toBe('still here');
  });
});

describeCluster('the customer limit across processes [mariadb+redis]', () => {
  const cluster = deploymentPerTest();

  it('sockets of one session on two processes share the bucket', async () => {
    await startDeployment(cluster, { RATE_LIMIT_MESSAGES_PER_10_SECONDS: String(LIMIT) }, 2);
    await operatorOn(cluster, cluster.a!, 'Olga on A', { status: 'online' });
    const customer = await createSession(cluster.a!.url, { customerName: 'Two Tabs' });
    const onA = await connectCustomer(cluster.a!.url, customer.customerToken);
    const onB = await connectCustomer(cluster.b!.url, customer.customerToken);
    const replies: AckReply[] = [];
    for (let i = 0; i < LIMIT + 3; i++) replies.push(await emitWithAck(i % 2 === 0 ? onA : onB, 'message:send', { content: `tab ${i}`, clientMessageId: cmid() }, CROSS_MS));
    expect(codes(replies)).toEqual([...Array<string>(LIMIT).fill('ok'), 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
  });
});
