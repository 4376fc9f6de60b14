import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { serverPerTest, liveChat, onlineOperator } from '../helpers/scenarios';
import { bearer, closeSession, createAdmin, createOperator, createSession, expectError, getData, listMessages, sendMessage, setStatus, type MessageBody } from '../helpers/api';
import { call, cmid, connectCustomer, connectedOperator, eventsOf, expectNoEvent, nextEvent, refused } from '../helpers/sockets';
import { startWebhookReceiver } from '../helpers/webhookReceiver';
import { startTestServer } from '../helpers/testServer';
import { waitFor } from '../helpers/wait';

/**
 * Internal notes (PROTOCOL.md "Internal notes"): what an operator writes with `internal: true` reaches the
 * team and never the customer, by any path a customer has: live events, pages, sync, read receipts.
 */
const withNotes = (messages: MessageBody[]): MessageBody[] => messages.filter((m) => m.internal);
const spoken = (messages: MessageBody[]): MessageBody[] => messages.filter((m) => m.senderType !== 'system');

describeEachBackend('internal notes', (backend) => {
  const stage = serverPerTest(backend);

  it('reach the operators, REST and socket, and never the customer by any path', async () => {
    const { url, admin } = stage;
    const { op: ann, customer } = await liveChat(url, admin.token, { operator: { name: 'Ann Archer' }, customer: { customerName: 'Carla Customer' } });
    const id = customer.session.id;
    const secondTab = await connectCustomer(url, customer.customerToken);

    const byRest = await request(url).post(`/api/chat/sessions/${id}/messages`).set(bearer(ann.token)).send({ content: 'she seems upset', internal: true, clientMessageId: cmid() });
    expect(byRest.status).toBe(201);
    expect(byRest.body.data).toMatchObject({ internal: true, senderType: 'operator', senderName: 'Ann Archer', content: 'she seems upset' });
    const heard = await nextEvent<{ message: MessageBody }>(ann.socket, 'message:new', undefined, (p) => p.message.id === byRest.body.data.id);
    expect(heard.message.internal).toBe(true);

    const bySocket = await call<MessageBody>(ann.socket, 'message:send', { sessionId: id, content: 'offer the refund', clientMessageId: cmid(), internal: true });
    expect(bySocket).toMatchObject({ internal: true, content: 'offer the refund' });
    // A retry of the note answers the first one; the customer's read receipt passes over notes.
    const reply = await sendMessage(url, ann.token, id, { content: 'Sorry for the wait, Carla!' });
    expect(reply.internal).toBe(false);
    await call(customer.socket, 'messages:read', { upToId: reply.id });

    await expectNoEvent(customer.socket, 'message:new', 400, (p) => (p as { message: MessageBody }).message.internal !== false);
    expect(eventsOf<{ message: MessageBody }>(secondTab, 'message:new').map((e) => e.message.content)).toEqual(['Sorry for the wait, Carla!']);
    expect(spoken(await listMessages(url, customer.customerToken, id)).map((m) => m.content)).toEqual(['Sorry for the wait, Carla!']);
    const synced = await call<{ messages: MessageBody[] }>(customer.socket, 'messages:sync', { afterId: 0 });
    expect(withNotes(synced.messages)).toEqual([]);
    expect(spoken(synced.messages).map((m) => m.content)).toEqual(['Sorry for the wait, Carla!']);

    const forTeam = spoken(await listMessages(url, ann.token, id));
    expect(forTeam.map((m) => [m.content, m.internal])).toEqual([
      ['she seems upset', true],
      ['offer the refund', true],
      ['Sorry for the wait, Carla!', false],
    ]);
    // Read by the customer: the reply, not the notes.
    expect(forTeam.map((m) => m.readAt !== null)).toEqual([false, false, true]);
    const teamSync = await call<{ messages: MessageBody[] }>(ann.socket, 'messages:sync', { sessionId: id, afterId: 0 });
    expect(withNotes(teamSync.messages)).toHaveLength(2);
    // The session the customer reads says nothing of them either.
    const seen = await getData<{ lastMessageAt: string }>(url, customer.customerToken, `/api/chat/sessions/${id}`);
    expect(seen.lastMessageAt).toBe((await getData<{ lastMessageAt: string }>(url, ann.token, `/api/chat/sessions/${id}`)).lastMessageAt);
  });

  it('any operator may whisper into any session, open or closed; the holder hears it', async () => {
    const { url, admin } = stage;
    const { op: ann, customer } = await liveChat(url, admin.token, { operator: { name: 'Ann' } });
    const id = customer.session.id;
    const sam = await connectedOperator(url, admin.token, { name: 'Sam Supervisor' });

    const whisper = await call<MessageBody>(sam.socket, 'message:send', { sessionId: id, content: 'ask for the order number', clientMessageId: cmid(), internal: true });
    expect(whisper).toMatchObject({ internal: true, senderName: 'Sam Supervisor' });
    const heard = await nextEvent<{ message: MessageBody }>(ann.socket, 'message:new', undefined, (p) => p.message.id === whisper.id);
    expect(heard.message.internal).toBe(true);
    // Sam may not answer the customer in Ann's chat, only note.
    await refused(sam.socket, 'message:send', { sessionId: id, content: 'hello', clientMessageId: cmid() }, 'FORBIDDEN');

    await closeSession(url, ann.token, id);
    const late = await request(url).post(`/api/chat/sessions/${id}/messages`).set(bearer(sam.token)).send({ content: 'refund went out on Monday', internal: true });
    expect(late.status).toBe(201);
    expect(withNotes(await listMessages(url, admin.token, id)).map((m) => m.content)).toEqual(['ask for the order number', 'refund went out on Monday']);
    expect(withNotes(await listMessages(url, customer.customerToken, id))).toEqual([]);
    await expectNoEvent(customer.socket, 'message:new', 300, (p) => (p as { message: MessageBody }).message.internal !== false);
  });

  it('refuses what is not a note: a customer (403), a file, a blank or bad flag (400), an unknown session (404); nothing is stored', async () => {
    const { url, admin } = stage;
    const { op: ann, customer } = await liveChat(url, admin.token);
    const id = customer.session.id;
    const post = (token: string, body: Record<string, unknown>) => request(url).post(`/api/chat/sessions/${id}/messages`).set(bearer(token)).send(body);

    expectError(await post(customer.customerToken, { content: 'me too', internal: true }), 403, 'FORBIDDEN');
    await refused(customer.socket, 'message:send', { content: 'me too', clientMessageId: cmid(), internal: true }, 'FORBIDDEN');
    expectError(await post(ann.token, { content: 'x', internal: 'yes' }), 400, 'VALIDATION_ERROR');
    const blank = await post(ann.token, { content: '   ', internal: true });
    expectError(blank, 400, 'VALIDATION_ERROR');
    expect(blank.body.error.details).toEqual([expect.objectContaining({ field: 'content' })]);
    expectError(await request(url).post('/api/chat/sessions/00000000-0000-4000-8000-000000000000/messages').set(bearer(ann.token)).send({ content: 'lost', internal: true }), 404, 'NOT_FOUND');
    const file = (token: string) => request(url).post(`/api/chat/sessions/${id}/messages`).set(bearer(token)).field('internal', 'true').attach('file', Buffer.from('notes\n'), 'notes.txt');
    expectError(await file(ann.token), 400, 'VALIDATION_ERROR');
    expectError(await file(customer.customerToken), 403, 'FORBIDDEN');

    await expectNoEvent(customer.socket, 'message:new', 300, (p) => (p as { message: MessageBody }).message.senderType !== 'system');
    expect(spoken(await listMessages(url, ann.token, id))).toEqual([]);
  });

  it('a note is not an answer: the stats see no first response', async () => {
    const { url, admin } = stage;
    const ann = await onlineOperator(url, admin.token, { name: 'Ann' });
    const customer = await createSession(url, { message: 'hello?' });
    expect(customer.session.operatorId).toBe(ann.id);
    await request(url).post(`/api/chat/sessions/${customer.session.id}/messages`).set(bearer(ann.token)).send({ content: 'will answer after lunch', internal: true }).expect(201);
    const stats = await getData<{ operators: Array<{ operatorId: number; avgFirstResponseSeconds: number | null }> }>(url, ann.token, '/api/operators/stats');
    expect(stats.operators.find((o) => o.operatorId === ann.id)?.avgFirstResponseSeconds).toBeNull();
  });
});

describeEachBackend('internal notes and the accept timeout', (backend) => {
  it('an operator who only writes a note has not answered: the session goes back to the queue', async () => {
    const server = await startTestServer(backend, { env: { ASSIGNMENT_ACCEPT_TIMEOUT_SECONDS: '1' } });
    try {
      const admin = await createAdmin(server);
      const slow = await createOperator(server.url, admin.token, { name: 'Slow' });
      await setStatus(server.url, slow.token, slow.id, 'online');
      const customer = await createSession(server.url);
      expect(customer.session.operatorId).toBe(slow.id);
      await request(server.url).post(`/api/chat/sessions/${customer.session.id}/messages`).set(bearer(slow.token)).send({ content: 'looking into it', internal: true }).expect(201);
      const back = await waitFor(
        async () => {
          const session = await getData<{ status: string; operatorId: number | null }>(server.url, admin.token, `/api/chat/sessions/${customer.session.id}`);
          return session.status === 'waiting' && session;
        },
        8_000,
        'the session back in the queue',
      );
      expect(back.operatorId).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('webhooks carry notes, flagged internal', async () => {
    const receiver = await startWebhookReceiver();
    const server = await startTestServer(backend, { env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: 'a-webhook-secret-for-notes', WEBHOOK_RETRY_BASE_MS: '20' } });
    try {
      const admin = await createAdmin(server);
      const ann = await createOperator(server.url, admin.token, { name: 'Ann' });
      await setStatus(server.url, ann.token, ann.id, 'online');
      const customer = await createSession(server.url);
      await request(server.url).post(`/api/chat/sessions/${customer.session.id}/messages`).set(bearer(ann.token)).send({ content: 'vip customer', internal: true }).expect(201);
      const hook = await waitFor(
        () => receiver.received.find((h) => h.body.event === 'message.created' && (h.body.data as { message: MessageBody }).message.content === 'vip customer'),
        5_000,
        'the note as a webhook',
      );
      expect((hook.body.data as { message: MessageBody }).message.internal).toBe(true);
    } finally {
      await server.close();
      await receiver.close();
    }
  });
});
