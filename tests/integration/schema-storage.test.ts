import { ConfigError, loadConfig } from '../../config';
import { describeEachBackend } from '../helpers/backends';
import { databasePerFile, operatorRow, sessionRow, type TestDatabase } from '../helpers/database';

/** What the schema stores and refuses: unique keys, exact text of any script, lengths, ids, times, links. */

const MIXED_TEXT = '👋🏽 héllo 中文 𝄞';

/** The largest MAX_MESSAGE_LENGTH the configuration accepts (found by asking loadConfig, not copied from it). */
function largestAllowedMessageLength(): number {
  const accepted = (n: number): boolean => {
    try {
      loadConfig({ MAX_MESSAGE_LENGTH: String(n) });
      return true;
    } catch (error) {
      if (error instanceof ConfigError) return false;
      throw error;
    }
  };
  let low = 1;
  let high = 1 << 30;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (accepted(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

describeEachBackend('database schema', (backend) => {
  let t: TestDatabase;
  databasePerFile(backend, (database) => (t = database));

  it('refuses a second operator with the same email', async () => {
    const { Operator } = t.db.models;
    const first = operatorRow();
    await Operator.create(first);
    await expect(Operator.create(operatorRow({ email: first.email }))).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' });
    expect(await Operator.count({ where: { email: first.email } })).toBe(1);
  });

  it('stores a clientMessageId once per session and sender; other sessions, other senders and NULL ids are free', async () => {
    const { ChatSession, ChatMessage } = t.db.models;
    const [a, b] = await Promise.all([ChatSession.create(sessionRow()), ChatSession.create(sessionRow())]);
    const message = (sessionId: string, clientMessageId: string | null, content = 'hi') =>
      ({ sessionId, senderType: 'customer' as const, content, clientMessageId });

    await ChatMessage.create(message(a.id, 'c-1'));
    await expect(ChatMessage.create(message(a.id, 'c-1', 'again'))).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' });
    await ChatMessage.create(message(b.id, 'c-1'));
    // The operator's own 'c-1' in the same session is another message.
    await ChatMessage.create({ ...message(a.id, 'c-1', 'from the operator'), senderType: 'operator', senderId: '7' });
    await ChatMessage.create(message(a.id, null, 'no id 1'));
    await ChatMessage.create(message(a.id, null, 'no id 2'));
    // A grouped insert (the message path's bulkCreate) is held to the same rule.
    await expect(ChatMessage.bulkCreate([message(a.id, 'c-2'), message(a.id, 'c-2', 'twice')])).rejects.toMatchObject({
      name: 'SequelizeUniqueConstraintError',
    });

    const stored = await ChatMessage.findAll({ where: { sessionId: a.id }, order: [['id', 'ASC']] });
    expect(stored.map((m) => [m.clientMessageId, m.content])).toEqual([
      ['c-1', 'hi'],
      ['c-1', 'from the operator'],
      [null, 'no id 1'],
      [null, 'no id 2'],
    ]);
  });

  it('treats clientMessageIds that differ only in case as different messages', async () => {
    // Client ids are opaque keys (nanoid, base64url: the API accepts [A-Za-z0-9_:.-]): "aB3" and "ab3" are two
    // messages, and merging them would answer the second with the first as if it were a retry, losing it.
    const { ChatSession, ChatMessage } = t.db.models;
    const session = await ChatSession.create(sessionRow());
    const ids = ['Xy7-Qa', 'xy7-qa', 'XY7-QA'];
    for (const clientMessageId of ids) {
      await ChatMessage.create({ sessionId: session.id, senderType: 'customer', content: clientMessageId, clientMessageId });
    }
    expect(await ChatMessage.count({ where: { sessionId: session.id } })).toBe(ids.length);
    const exact = await ChatMessage.findAll({ where: { sessionId: session.id, clientMessageId: 'xy7-qa' } });
    expect(exact.map((m) => m.content)).toEqual(['xy7-qa']);
  });

  it('finds a customer\'s sessions by exact customerId (one differing only in case, accent or emoji is another customer)', async () => {
    // customerId is the integrator's identifier (verified by HMAC when IDENTITY_SECRET is set): "Bob" must never
    // be handed "bob"'s sessions.
    const { ChatSession } = t.db.models;
    for (const name of ['Bob', 'bob', 'böb', 'bob😀', 'bob🙂']) {
      await ChatSession.create(sessionRow({ customerId: `cust-${name}`, customerName: name }));
    }
    for (const name of ['bob', 'bob🙂']) {
      const found = await ChatSession.findAll({ where: { customerId: `cust-${name}` } });
      expect(found.map((s) => s.customerName)).toEqual([name]);
    }
  });

  it('round-trips emoji, skin tones, accents, CJK and non-BMP characters in names, content and metadata', async () => {
    const { ChatSession, ChatMessage, Operator } = t.db.models;
    const operator = await Operator.create(operatorRow({ name: `Zoë ${MIXED_TEXT}`, departments: ['ventes 🛒', '中文'] }));
    const session = await ChatSession.create(sessionRow({ customerName: MIXED_TEXT, metadata: { page: `/p/${MIXED_TEXT}`, n: 1 } }));
    const message = await ChatMessage.create({ sessionId: session.id, senderType: 'customer', content: `${MIXED_TEXT} 🧑‍🤝‍🧑 \u{1F600}`, clientMessageId: '🆔-1' });

    const storedSession = await ChatSession.findByPk(session.id);
    expect(storedSession?.customerName).toBe(MIXED_TEXT);
    expect(storedSession?.metadata).toEqual({ page: `/p/${MIXED_TEXT}`, n: 1 });
    const storedMessage = await ChatMessage.findByPk(message.id);
    expect(storedMessage?.content).toBe(`${MIXED_TEXT} 🧑‍🤝‍🧑 \u{1F600}`);
    expect(storedMessage?.clientMessageId).toBe('🆔-1');
    const storedOperator = await Operator.findByPk(operator.id);
    expect(storedOperator?.name).toBe(`Zoë ${MIXED_TEXT}`);
    expect(storedOperator?.departments).toEqual(['ventes 🛒', '中文']);

    // Searching by the stored text finds it (the column really holds the characters, not replacement marks).
    expect(await ChatSession.count({ where: { customerName: MIXED_TEXT } })).toBe(1);
    expect(await ChatSession.count({ where: { customerName: '?? héllo ?? ?' } })).toBe(0);
  });

  it('stores a message of the default maximum length made only of 4-byte characters', async () => {
    const { ChatSession, ChatMessage } = t.db.models;
    const session = await ChatSession.create(sessionRow());
    const content = '𝄞'.repeat(loadConfig({}).maxMessageLength);
    const message = await ChatMessage.create({ sessionId: session.id, senderType: 'customer', content });
    expect((await ChatMessage.findByPk(message.id))?.content).toBe(content);
  });

  it('stores a message as long as the largest MAX_MESSAGE_LENGTH the configuration accepts', async () => {
    // Whatever length an operator may configure must fit the column, in any characters: never a 500 or a cut.
    const { ChatSession, ChatMessage } = t.db.models;
    const session = await ChatSession.create(sessionRow());
    const content = '𝄞'.repeat(largestAllowedMessageLength());
    const message = await ChatMessage.create({ sessionId: session.id, senderType: 'customer', content });
    expect((await ChatMessage.findByPk(message.id))?.content).toBe(content);
  });

  it('gives messages ids that grow strictly, one by one and in a grouped insert, across sessions', async () => {
    const { ChatSession, ChatMessage } = t.db.models;
    const [a, b] = await Promise.all([ChatSession.create(sessionRow()), ChatSession.create(sessionRow())]);
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) {
      const message = await ChatMessage.create({ sessionId: i % 2 ? a.id : b.id, senderType: 'customer', content: `one ${i}` });
      expect(typeof message.id).toBe('number');
      ids.push(message.id);
    }
    const grouped = await ChatMessage.bulkCreate(
      Array.from({ length: 25 }, (_, i) => ({ sessionId: i % 2 ? a.id : b.id, senderType: 'operator' as const, content: `grouped ${i}` })),
    );
    ids.push(...grouped.map((m) => Number(m.id)));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);

    // The ids a grouped insert hands back are the ids of the rows it stored (the ack carries them).
    const stored = await ChatMessage.findAll({ where: { id: grouped.map((m) => m.id) }, order: [['id', 'ASC']] });
    expect(stored.map((m) => [m.id, m.content])).toEqual(grouped.map((m, i) => [m.id, `grouped ${i}`]));
  });

  it('keeps milliseconds and the instant of every time (UTC)', async () => {
    const { ChatSession } = t.db.models;
    const assignedAt = new Date('2025-03-30T01:59:59.123Z'); // a DST change night in Europe
    const session = await ChatSession.create(sessionRow({ assignedAt }));
    const stored = await ChatSession.findByPk(session.id);
    expect(stored?.assignedAt?.toISOString()).toBe('2025-03-30T01:59:59.123Z');
    expect(stored?.createdAt.getTime()).toBe(session.createdAt.getTime());
  });

  it('links sessions to their operator and messages (include operator, include messages in order)', async () => {
    const { Operator, ChatSession, ChatMessage } = t.db.models;
    const operator = await Operator.create(operatorRow({ name: 'Ada' }));
    const session = await ChatSession.create(sessionRow({ status: 'active', operatorId: operator.id }));
    for (const content of ['first', 'second', 'third']) await ChatMessage.create({ sessionId: session.id, senderType: 'customer', content });

    const withOperator = await ChatSession.findByPk(session.id, { include: [{ model: Operator, as: 'operator' }] });
    expect(withOperator?.operator?.name).toBe('Ada');
    expect(withOperator?.operatorId).toBe(operator.id);

    const withMessages = await ChatSession.findByPk(session.id, {
      include: [{ model: ChatMessage, as: 'messages' }],
      order: [[{ model: ChatMessage, as: 'messages' }, 'id', 'ASC']],
    });
    const messages = (withMessages as unknown as { messages: Array<{ content: string; sessionId: string }> }).messages;
    expect(messages.map((m) => m.content)).toEqual(['first', 'second', 'third']);
    expect(new Set(messages.map((m) => m.sessionId))).toEqual(new Set([session.id]));

    const sessions = await Operator.findByPk(operator.id, { include: [{ model: ChatSession, as: 'sessions' }] });
    expect((sessions as unknown as { sessions: Array<{ id: string }> }).sessions.map((s) => s.id)).toEqual([session.id]);

    const waiting = await ChatSession.findByPk((await ChatSession.create(sessionRow())).id, { include: [{ model: Operator, as: 'operator' }] });
    expect(waiting?.operator).toBeNull();
  });

  it('enforces the foreign keys: no message without its session; deleting an operator unassigns, deleting a session removes its messages', async () => {
    const { Operator, ChatSession, ChatMessage } = t.db.models;
    await expect(
      ChatMessage.create({ sessionId: '00000000-0000-4000-8000-000000000000', senderType: 'customer', content: 'orphan' }),
    ).rejects.toMatchObject({ name: 'SequelizeForeignKeyConstraintError' });

    const operator = await Operator.create(operatorRow());
    const session = await ChatSession.create(sessionRow({ status: 'active', operatorId: operator.id }));
    await ChatMessage.create({ sessionId: session.id, senderType: 'customer', content: 'kept until the session goes' });
    await operator.destroy();
    expect((await ChatSession.findByPk(session.id))?.operatorId).toBeNull();

    await ChatSession.destroy({ where: { id: session.id } });
    expect(await ChatMessage.count({ where: { sessionId: session.id } })).toBe(0);
  });
});
