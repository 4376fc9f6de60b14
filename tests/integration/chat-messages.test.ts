import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { bearer, expectError, expectStatus, listMessages, sendMessage, type MessageBody, type Staff } from '../helpers/api';
import { assignedChat, onlineOperator, serverPerTest } from '../helpers/scenarios';

/** Messages over REST, as the widget and the operator console send and page through them. */

const MAX_MESSAGE_LENGTH = 200;

describeEachBackend('chat messages', (backend) => {
  const stage = serverPerTest(backend, { MAX_MESSAGE_LENGTH: String(MAX_MESSAGE_LENGTH) });
  /** Alice online, with a customer's chat assigned to her. */
  const aliceChatting = async () => {
    const alice: Staff = await onlineOperator(stage.url, stage.admin.token, { name: 'Alice Agent', maxConcurrentSessions: 20 });
    return { alice, chat: await assignedChat(stage.url, alice, { customerName: 'Carla', message: 'Hello, anyone there?' }) };
  };

  it('the same clientMessageId twice: 201, then 200 with the first message, and one row only', async () => {
    const { url } = stage;
    const { alice, chat } = await aliceChatting();
    const path = `/api/chat/sessions/${chat.session.id}/messages`;
    const created = await request(url).post(path).set(bearer(chat.customerToken)).send({ content: 'Is my order shipped?', clientMessageId: 'web-1' });
    expectStatus(created, 201);
    expect(created.body.data).toMatchObject({ senderType: 'customer', content: 'Is my order shipped?', clientMessageId: 'web-1', sessionId: chat.session.id });
    const retried = await request(url).post(path).set(bearer(chat.customerToken)).send({ content: 'Is my order shipped?', clientMessageId: 'web-1' });
    expectStatus(retried, 200);
    expect(retried.body.data).toEqual(created.body.data);
    // A retry with edited text still returns what was stored first.
    const edited = await request(url).post(path).set(bearer(chat.customerToken)).send({ content: 'edited', clientMessageId: 'web-1' });
    expectStatus(edited, 200);
    expect(edited.body.data.id).toBe(created.body.data.id);

    const messages = await listMessages(url, alice.token, chat.session.id, '?limit=200');
    expect(messages.filter((m) => m.clientMessageId === 'web-1')).toHaveLength(1);
    expect(messages.map((m) => m.content)).not.toContain('edited');

    const reply = await sendMessage(url, alice.token, chat.session.id, { content: 'Yes, yesterday.', clientMessageId: 'console-1' });
    expect(reply).toMatchObject({ senderType: 'operator', content: 'Yes, yesterday.' });
    expect(reply.id).toBeGreaterThan(created.body.data.id);
  });

  it('a clientMessageId is its sender’s: customer, operator and admin all numbering from 1 store three messages; each retry gets its own', async () => {
    const { url, admin } = stage;
    const { alice, chat } = await aliceChatting();
    const path = `/api/chat/sessions/${chat.session.id}/messages`;
    const senders = [
      { token: chat.customerToken, content: 'customer says 1', senderType: 'customer' },
      { token: alice.token, content: 'operator says 1', senderType: 'operator' },
      { token: admin.token, content: 'admin says 1', senderType: 'operator' },
    ];
    const created = [];
    for (const { token, content, senderType } of senders) {
      const res = await request(url).post(path).set(bearer(token)).send({ content, clientMessageId: '1' });
      expectStatus(res, 201);
      expect(res.body.data).toMatchObject({ content, senderType, clientMessageId: '1' });
      created.push(res.body.data);
    }
    for (const [index, { token, content }] of senders.entries()) {
      const retried = await request(url).post(path).set(bearer(token)).send({ content, clientMessageId: '1' });
      expectStatus(retried, 200);
      expect(retried.body.data).toEqual(created[index]);
    }
    const stored = await listMessages(url, alice.token, chat.session.id, '?limit=200');
    expect(stored.filter((m) => m.clientMessageId === '1').map((m) => m.content)).toEqual(senders.map((s) => s.content));
  });

  it('a burst of new messages with a retry among them: the new ones are created once each, the retry gets its first message', async () => {
    const { url } = stage;
    const { alice, chat } = await aliceChatting();
    const path = `/api/chat/sessions/${chat.session.id}/messages`;
    const original = await request(url).post(path).set(bearer(chat.customerToken)).send({ content: 'Hello?', clientMessageId: 'burst-0' });
    expectStatus(original, 201);
    // Sent together, so they share the server's grouped writes with the retry.
    const sent = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => request(url).post(path).set(bearer(chat.customerToken)).send({ content: `line ${i + 1}`, clientMessageId: `burst-${i + 1}` })),
      request(url).post(path).set(bearer(chat.customerToken)).send({ content: 'Hello?', clientMessageId: 'burst-0' }),
    ]);
    const retry = sent.pop() as request.Response;
    expectStatus(retry, 200);
    expect(retry.body.data).toEqual(original.body.data);
    for (const res of sent) expectStatus(res, 201);
    const ids = sent.map((res) => res.body.data.id as number);
    expect(new Set(ids).size).toBe(12);

    const stored = (await listMessages(url, alice.token, chat.session.id, '?limit=200')).filter((m) => m.clientMessageId?.startsWith('burst-'));
    expect(stored.map((m) => m.clientMessageId).sort()).toEqual(Array.from({ length: 13 }, (_, i) => `burst-${i}`).sort());
    // Each created message was answered as it is stored: same id, same time to the millisecond, same fields.
    for (const res of sent) expect(stored.find((m) => m.clientMessageId === res.body.data.clientMessageId)).toEqual(res.body.data);
  });

  it('pages: latest first page, after= and before= cursors, limit, meta.hasMore', async () => {
    const { url, admin } = stage;
    const alice = await onlineOperator(url, admin.token, { name: 'Alice Agent', maxConcurrentSessions: 20 });
    const chat = await assignedChat(url, alice, { customerName: 'Dan' });
    for (let i = 1; i <= 8; i++) await sendMessage(url, chat.customerToken, chat.session.id, { content: `line ${i}` });
    const all = await listMessages(url, chat.customerToken, chat.session.id, '?limit=200');
    expect(all.length).toBe(9); // the "joined" system line and eight lines
    const ids = all.map((m) => m.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    const page = async (query: string) => {
      const res = await request(url).get(`/api/chat/messages/${chat.session.id}${query}`).set(bearer(alice.token));
      expectStatus(res, 200);
      return { ids: (res.body.data as MessageBody[]).map((m) => m.id), hasMore: res.body.meta.hasMore as boolean };
    };
    expect(await page('?limit=3')).toEqual({ ids: ids.slice(-3), hasMore: true });
    expect(await page('?limit=200')).toEqual({ ids, hasMore: false });
    expect(await page(`?after=${ids[1]}&limit=3`)).toEqual({ ids: ids.slice(2, 5), hasMore: true });
    expect(await page(`?after=${ids[5]}&limit=3`)).toEqual({ ids: ids.slice(6, 9), hasMore: false });
    expect(await page(`?after=${ids[8]}`)).toEqual({ ids: [], hasMore: false });
    expect(await page(`?before=${ids[5]}&limit=2`)).toEqual({ ids: ids.slice(3, 5), hasMore: true });
    expect(await page(`?before=${ids[2]}&limit=5`)).toEqual({ ids: ids.slice(0, 2), hasMore: false });
    expect(await page(`?after=${ids[1]}&before=${ids[4]}`)).toEqual({ ids: ids.slice(2, 4), hasMore: false });
  });

  it('a blank message, or one longer than MAX_MESSAGE_LENGTH, is 400 and not stored', async () => {
    const { url } = stage;
    const { alice, chat } = await aliceChatting();
    const path = `/api/chat/sessions/${chat.session.id}/messages`;
    const before = (await listMessages(url, alice.token, chat.session.id, '?limit=200')).length;
    for (const content of ['', '   ', '\n\t ']) {
      const res = await request(url).post(path).set(bearer(chat.customerToken)).send({ content });
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'content' })]);
    }
    const tooLong = await request(url).post(path).set(bearer(chat.customerToken)).send({ content: 'x'.repeat(MAX_MESSAGE_LENGTH + 1) });
    expectError(tooLong, 400, 'VALIDATION_ERROR');
    expect(tooLong.body.error.details).toEqual([expect.objectContaining({ field: 'content' })]);
    expect((await listMessages(url, alice.token, chat.session.id, '?limit=200')).length).toBe(before);

    const longest = await sendMessage(url, chat.customerToken, chat.session.id, { content: 'y'.repeat(MAX_MESSAGE_LENGTH) });
    expect(longest.content).toHaveLength(MAX_MESSAGE_LENGTH);
    // Characters, not UTF-16 units: an emoji counts once, so the longest emoji message is stored whole.
    const emoji = '😀'.repeat(MAX_MESSAGE_LENGTH);
    expect((await sendMessage(url, chat.customerToken, chat.session.id, { content: emoji })).content).toBe(emoji);
    expectError(await request(url).post(path).set(bearer(chat.customerToken)).send({ content: `${emoji}😀` }), 400, 'VALIDATION_ERROR');
  });
});
