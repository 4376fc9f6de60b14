import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { assignedChat, onlineOperator, serverPerTest, sharedServer } from '../helpers/scenarios';
import { bearer, createSession, expectError, sendMessage, type Customer, type MessageBody, type SessionBody } from '../helpers/api';

/**
 * Search (PROTOCOL.md "Search"): every message, notes included, and the customers' names, emails and ids,
 * through the database's full-text index; newest first, paged with a cursor, filtered by date, operator and
 * label. Each test searches for words of its own, on one server.
 */
interface Result {
  session: SessionBody;
  message: MessageBody | null;
  snippet: string;
}

let serial = 0;
/** A word no other test wrote (letters only: a digit run would make it two words for no one). */
const freshWord = (): string => `zorbl${'abcdefghij'[serial % 10]}${'klmnopqrst'[Math.floor(serial++ / 10) % 10]}`;

describeEachBackend('search', (backend) => {
  const stage = sharedServer(backend);
  const search = (token: string, query: Record<string, string | number>) => request(stage.url).get('/api/chat/search').query(query).set(bearer(token));
  const found = async (query: Record<string, string | number>, token = stage.admin.token): Promise<{ results: Result[]; nextCursor: string | null }> => {
    const res = await search(token, query);
    expect(res.status).toBe(200);
    return { results: res.body.data, nextCursor: res.body.meta.nextCursor };
  };
  const say = (customer: Customer, content: string) => sendMessage(stage.url, customer.customerToken, customer.session.id, { content });
  const note = (sessionId: string, content: string) =>
    request(stage.url).post(`/api/chat/sessions/${sessionId}/messages`).set(bearer(stage.admin.token)).send({ content, internal: true }).expect(201);

  it('finds a word in customers’ messages and notes, newest first, ignoring case and accents, as the start of a word', async () => {
    const word = freshWord();
    const maria = await createSession(stage.url, { customerName: 'Maria Lopez', customerEmail: 'maria@example.com', message: `My ${word} for the café order is wrong` });
    const other = await createSession(stage.url, { customerName: 'Otto', message: 'Where is my parcel?' });
    await say(other, `Also the ${word.toUpperCase()}S you sent`);
    const noted = await note(maria.session.id, `Refunded her ${word} — the Crème brûlée one`);

    const { results, nextCursor } = await found({ q: word });
    expect(results.map((r) => [r.session.id, r.message?.content])).toEqual([
      [maria.session.id, `Refunded her ${word} — the Crème brûlée one`],
      [other.session.id, `Also the ${word.toUpperCase()}S you sent`],
      [maria.session.id, `My ${word} for the café order is wrong`],
    ]);
    expect(nextCursor).toBeNull();
    expect(results[0]?.message).toMatchObject({ id: noted.body.data.id, internal: true, senderType: 'operator' });
    expect(results[0]?.session).toMatchObject({ customerName: 'Maria Lopez', customerEmail: 'maria@example.com' });
    for (const result of results) expect(result.snippet.toLowerCase()).toContain(word);

    // Accents and case folded both ways; words in any order; a word's start is enough.
    expect((await found({ q: `CAFE ${word}` })).results.map((r) => r.message?.content)).toEqual([`My ${word} for the café order is wrong`]);
    expect((await found({ q: `creme brulee ${word}` })).results.map((r) => r.message?.id)).toEqual([noted.body.data.id]);
    expect((await found({ q: `refund ${word.slice(0, 6)}` })).results.map((r) => r.message?.id)).toEqual([noted.body.data.id]);
    // Every word must be there; a word inside another is not a match.
    expect((await found({ q: `${word} parcel` })).results).toEqual([]);
    expect((await found({ q: word.slice(2) })).results).toEqual([]);
  });

  it('finds a customer by name, email or id (message null), beside the messages that name them', async () => {
    const word = freshWord();
    const customerId = `crm-${word}-77`;
    const zoe = await createSession(stage.url, { customerName: `Zoë ${word}`, customerEmail: `${word}.zoe@shop.example`, customerId });
    await say(zoe, 'hello there');
    const mention = await createSession(stage.url, { customerName: 'Paul', message: `Is ${word} here?` });

    const byName = (await found({ q: `zoe ${word}` })).results;
    expect(byName.map((r) => [r.session.id, r.message])).toEqual([[zoe.session.id, null]]);
    expect(byName[0]?.snippet).toBe(`Zoë ${word} · ${word}.zoe@shop.example · ${customerId}`);
    expect((await found({ q: `${word}.zoe@shop.example` })).results.map((r) => r.session.id)).toEqual([zoe.session.id]);
    expect((await found({ q: customerId })).results.map((r) => r.session.id)).toEqual([zoe.session.id]);
    // The name's word also finds the message naming it; the newest comes first.
    const both = (await found({ q: word })).results;
    expect(both.map((r) => [r.session.id, r.message === null])).toEqual([
      [mention.session.id, false],
      [zoe.session.id, true],
    ]);
  });

  it('pages with a cursor: every match once, newest first, across messages and customers', async () => {
    const word = freshWord();
    const customer = await createSession(stage.url, { customerName: `Pat ${word}` });
    const sent: number[] = [];
    for (let i = 0; i < 7; i += 1) sent.push((await say(customer, `${word} number ${i}`)).id);
    const seen: Array<number | null> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { results: Result[]; nextCursor: string | null } = await found({ q: word, limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.results.length).toBeLessThanOrEqual(3);
      seen.push(...page.results.map((r) => r.message?.id ?? null));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    // Seven messages, newest first, then the session whose customer is named so (created before them).
    expect(seen).toEqual([...sent.reverse(), null]);
  });

  it('finds words in other scripts; CJK by the start of a run of characters', async () => {
    const word = freshWord();
    const customer = await createSession(stage.url, { customerName: 'Ada', message: `${word} Привет, мир! naïve résumé` });
    await say(customer, `${word} 你好世界 東京タワー`);
    await say(customer, `${word} pizza 🍕 tonight`);
    const contents = async (q: string) => (await found({ q })).results.map((r) => r.message?.content);
    expect(await contents(`ПРИВЕТ ${word}`)).toEqual([`${word} Привет, мир! naïve résumé`]);
    expect(await contents(`resume naive ${word}`)).toEqual([`${word} Привет, мир! naïve résumé`]);
    expect(await contents(`你好 ${word}`)).toEqual([`${word} 你好世界 東京タワー`]);
    expect(await contents(`東京 ${word}`)).toEqual([`${word} 你好世界 東京タワー`]);
    expect(await contents(`世界 ${word}`)).toEqual([]);
    expect(await contents(`🍕 pizza ${word}`)).toEqual([`${word} pizza 🍕 tonight`]);
  });

  it('answers bad input with a clear 400 and odd input with correct results, never a 500', async () => {
    const word = freshWord();
    const customer = await createSession(stage.url, { customerName: 'Odd', message: `${word} refund please, not shipping` });
    const { admin } = stage;
    for (const query of [
      {},
      { q: 'a' },
      { q: 'x'.repeat(201) },
      { q: '😀' },
      { q: word, limit: 51 },
      { q: word, limit: 0 },
      { q: word, limit: 'ten' },
      { q: word, cursor: 'not-a-cursor' },
      { q: word, cursor: Buffer.from('{"m":-4}').toString('base64url') },
      { q: word, from: 'yesterday' },
      { q: word, operatorId: 'ann' },
      { q: word, label: 'Not A Label' },
    ] as Array<Record<string, string | number>>) {
      expectError(await search(admin.token, query), 400, 'VALIDATION_ERROR');
    }
    expectError(await request(stage.url).get(`/api/chat/search?q=${word}&q=${word}`).set(bearer(admin.token)), 400, 'VALIDATION_ERROR');
    expectError(await search(customer.customerToken, { q: word }), 403, 'FORBIDDEN');
    expectError(await request(stage.url).get('/api/chat/search').query({ q: word }), 401, 'UNAUTHENTICATED');

    // 2–200 characters with no word of two or more letters or digits: no message, and no error.
    for (const q of ['😀😀', '"a" -b +c*', '!!', 'a b']) expect((await found({ q })).results).toEqual([]);
    // Only a customer's exact id finds them then.
    const labelled = await createSession(stage.url, { customerName: 'Idris', customerId: `x-${serial++ % 10}` });
    expect((await found({ q: labelled.session.customerId as string })).results.map((r) => [r.session.id, r.message])).toEqual([[labelled.session.id, null]]);

    // Quotes and operators are plain spaces: every word must be there.
    const hit = [`${word} refund please, not shipping`];
    const contents = async (q: string) => (await found({ q })).results.map((r) => r.message?.content);
    expect(await contents(`"${word}" -refund +ship*`)).toEqual(hit);
    expect(await contents(`${word} (refund) ~not <shipping> @2 "please`)).toEqual(hit);
    expect(await contents(`${word} -absent`)).toEqual([]);
    for (const q of [`' OR 1=1; DROP TABLE chat_messages; -- ${word}`, `${word}%' AND SLEEP(5) #`, `${word}\\`, `${word} _%`, `${word}\u0000x`, 'ab', '*'.repeat(2), `${word} ${'a '.repeat(90)}`]) {
      const res = await search(admin.token, { q });
      expect([200, 400]).toContain(res.status);
      if (res.status === 400) expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect(await contents(`${word}%' AND SLEEP(5) #`)).toEqual([]);
    expect(await contents(`${word} ${'refund '.repeat(25)}`)).toEqual(hit);
    // The messages are all still there.
    expect(await contents(word)).toEqual(hit);
  });
});

/** Each on a server of its own: which operator holds which chat, and which messages are the newest, depend on no other test. */
describeEachBackend('search, on a server of its own', (backend) => {
  const stage = serverPerTest(backend);
  const found = async (query: Record<string, string | number>): Promise<{ results: Result[] }> => {
    const res = await request(stage.url).get('/api/chat/search').query(query).set(bearer(stage.admin.token));
    expect(res.status).toBe(200);
    return { results: res.body.data };
  };
  const say = (customer: Customer, content: string) => sendMessage(stage.url, customer.customerToken, customer.session.id, { content });

  it('filters by date, by the session’s operator and by label', async () => {
    const word = 'kumquat';
    // Ann takes the first chat and has no seat for the second.
    const ann = await onlineOperator(stage.url, stage.admin.token, { name: 'Ann', maxConcurrentSessions: 1 });
    await assignedChat(stage.url, ann, { customerName: 'First', message: `${word} one` });
    const second = await createSession(stage.url, { customerName: 'Second', message: `${word} two` });
    expect(second.session.status).toBe('waiting');
    await request(stage.url).post('/api/labels').set(bearer(stage.admin.token)).send({ name: `l-${word}` }).expect(201);
    await request(stage.url).put(`/api/chat/sessions/${second.session.id}/labels`).set(bearer(stage.admin.token)).send({ labels: [`l-${word}`] }).expect(200);
    const later = new Date(Date.now() + 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const third = await say(second, `${word} three`);

    const contents = async (query: Record<string, string | number>) => (await found({ q: word, ...query })).results.map((r) => r.message?.content);
    expect(await contents({ operatorId: ann.id })).toEqual([`${word} one`]);
    expect(await contents({ label: `l-${word}` })).toEqual([`${word} three`, `${word} two`]);
    expect(await contents({ from: later.toISOString() })).toEqual([third.content]);
    expect(await contents({ to: later.toISOString() })).toEqual([`${word} two`, `${word} one`]);
    expect(await contents({ label: 'no-such-label' })).toEqual([]);
  });

  it('finds an old message behind thousands of newer ones, and pages on through them', async () => {
    const customer = await createSession(stage.url, { customerName: 'Old', message: 'the kumquat crate arrived broken' });
    // 3,000 newer messages in one statement, written as the message path writes them.
    const { db } = stage.server.server;
    const at = new Date().toISOString().replace('T', ' ').replace('Z', '');
    const rows = Array.from({ length: 3000 }, (_, i) => `('${customer.session.id}', 'customer', 'text', 'filler message ${i} about the kumquat${i % 1000 === 0 ? ' tree' : 's'}', '${at}${db.dialect === 'sqlite' ? ' +00:00' : ''}')`);
    await db.sequelize.query(`INSERT INTO chat_messages (session_id, sender_type, type, content, created_at) VALUES ${rows.join(', ')}`);
    await say(customer, 'newest: a kumquat tree');

    const contents = async (q: string, limit = 20) => (await found({ q, limit })).results.map((r) => r.message?.content);
    expect(await contents('crate kumquat')).toEqual(['the kumquat crate arrived broken']);
    expect(await contents('kumquat tree')).toEqual(['newest: a kumquat tree', 'filler message 2000 about the kumquat tree', 'filler message 1000 about the kumquat tree', 'filler message 0 about the kumquat tree']);
    // A common word pages through all of them.
    let cursor: string | null = null;
    let total = 0;
    do {
      const res: request.Response = await request(stage.url).get('/api/chat/search').query({ q: 'kumquat', limit: 50, ...(cursor ? { cursor } : {}) }).set(bearer(stage.admin.token));
      expect(res.status).toBe(200);
      total += res.body.data.length;
      cursor = res.body.meta.nextCursor;
    } while (cursor);
    expect(total).toBe(3002);
  });

  it('finds an old customer behind thousands of newer ones, and a word every customer’s email holds', async () => {
    const old = await createSession(stage.url, { customerName: 'Quincy Oldfield', customerEmail: 'quincy@shop.example' });
    const { db } = stage.server.server;
    const base = Date.now() + 1000;
    const at = (i: number) => `${new Date(base + i).toISOString().replace('T', ' ').replace('Z', '')}${db.dialect === 'sqlite' ? ' +00:00' : ''}`;
    const rows = Array.from({ length: 2500 }, (_, i) => `('${randomUUID()}', 'closed', 'Filler ${i}', 'filler${i}@shop.example', '${'f'.repeat(64)}', '${at(i)}', '${at(i)}')`);
    await db.sequelize.query(`INSERT INTO chat_sessions (id, status, customer_name, customer_email, customer_token_hash, created_at, updated_at) VALUES ${rows.join(', ')}`);

    const sessions = async (q: string, limit = 20) => (await found({ q, limit })).results.map((r) => r.session.customerName);
    expect(await sessions('quincy')).toEqual(['Quincy Oldfield']);
    expect(await sessions('oldfield shop')).toEqual(['Quincy Oldfield']);
    expect(await sessions('filler 2499')).toEqual(['Filler 2499']);
    // Every email holds "shop": the newest first, and the oldest is reached by paging.
    expect(await sessions('shop', 3)).toEqual(['Filler 2499', 'Filler 2498', 'Filler 2497']);
    let cursor: string | null = null;
    const names: string[] = [];
    do {
      const res: request.Response = await request(stage.url).get('/api/chat/search').query({ q: 'shop.example', limit: 50, ...(cursor ? { cursor } : {}) }).set(bearer(stage.admin.token));
      expect(res.status).toBe(200);
      names.push(...res.body.data.map((r: Result) => r.session.customerName as string));
      cursor = res.body.meta.nextCursor;
    } while (cursor);
    expect(names).toHaveLength(2501);
    expect(new Set(names).size).toBe(2501);
    expect(names[2500]).toBe(old.session.customerName);
  });
});
