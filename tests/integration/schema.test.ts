import { QueryTypes } from 'sequelize';
import { ConfigError, loadConfig } from '../../config';
import { describeEachBackend } from '../helpers/backends';
import { openTestDatabase, operatorRow, sessionRow, type TestDatabase } from '../helpers/database';

const APP_TABLES = ['chat_messages', 'chat_sessions', 'operators', 'session_assignments', 'session_events'];
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

  beforeAll(async () => {
    t = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await t?.close();
  });

  const tables = async (): Promise<string[]> => {
    const all = (await t.db.sequelize.getQueryInterface().showAllTables()) as Array<string | { tableName: string }>;
    return all.map((table) => (typeof table === 'string' ? table : table.tableName)).sort();
  };

  it('migrates up, down (every table gone) and up again (every table back, empty)', async () => {
    const all = (await t.migrator.migrations(t.db.sequelize.getQueryInterface())).map((m) => m.name);
    expect(all[0]).toBe('001-initial-schema');
    expect(await tables()).toEqual(expect.arrayContaining(APP_TABLES));
    expect((await t.migrator.executed()).map((m) => m.name)).toEqual(all);
    expect(await t.migrator.pending()).toEqual([]);
    await t.db.models.Operator.create(operatorRow());

    await t.migrator.down({ to: 0 });
    const afterDown = await tables();
    for (const table of APP_TABLES) expect(afterDown).not.toContain(table);
    expect(await t.migrator.executed()).toEqual([]);
    expect((await t.migrator.pending()).map((m) => m.name)).toEqual(all);

    await t.migrator.up();
    expect(await tables()).toEqual(expect.arrayContaining(APP_TABLES));
    expect(await t.migrator.pending()).toEqual([]);
    expect(await t.db.models.Operator.count()).toBe(0);
    // Running up again with nothing pending changes nothing.
    expect(await t.migrator.up()).toEqual([]);
  });

  it('003 names the sender of every message, those stored before it and by writers that never name it; down and up again keep the messages', async () => {
    const old = await openTestDatabase(backend, { migrate: false });
    try {
      await old.migrator.up({ to: '002-presence-and-requeue' });
      const row = sessionRow();
      // Only the columns that schema has.
      const session = await old.db.models.ChatSession.create(row, { fields: Object.keys(row) as Array<keyof typeof row> });
      // As the previous release writes: no sender_key, before the migration and after it.
      const insert = (senderType: string, senderId: string | null, clientMessageId: string | null) =>
        old.db.sequelize.query("INSERT INTO chat_messages (session_id, sender_type, sender_id, type, content, client_message_id, created_at) VALUES (?, ?, ?, 'text', 'x', ?, ?)", {
          replacements: [session.id, senderType, senderId, clientMessageId, new Date()],
        });
      // Sorted here: MariaDB 10.11 reads a virtual column as '' in a filesort over a covering index (see 003).
      const keys = async () =>
        (
          await old.db.sequelize.query<{ id: number; key: string }>('SELECT id, sender_key AS `key` FROM chat_messages WHERE session_id = ?', {
            replacements: [session.id],
            type: QueryTypes.SELECT,
          })
        )
          .sort((x, y) => Number(x.id) - Number(y.id))
          .map((row) => row.key);
      await insert('customer', null, 'c-1');
      await insert('operator', '42', 'o-1');
      await insert('system', null, null);
      await old.migrator.up({ to: '003-message-sender-key' });
      await insert('operator', null, 'o-2');
      expect(await keys()).toEqual(['customer', 'operator:42', '', 'operator:']);
      // A retry of a message stored before the upgrade is still that message; another sender's same id is not.
      await expect(insert('operator', '42', 'o-1')).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' });
      await insert('customer', null, 'o-1');

      // Down is refused while two senders' 'o-1' share the session (the old key cannot hold both), changing nothing.
      await expect(old.migrator.down()).rejects.toThrow(/two senders/);
      expect(await keys()).toEqual(['customer', 'operator:42', '', 'operator:', 'customer']);
      await old.db.sequelize.query("DELETE FROM chat_messages WHERE sender_type = 'customer' AND client_message_id = 'o-1'");
      await old.migrator.down({ to: '003-message-sender-key' });
      expect(await old.db.models.ChatMessage.count({ where: { sessionId: session.id } })).toBe(4);
      await expect(insert('customer', null, 'c-1')).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' });
      await old.migrator.up();
      expect(await keys()).toEqual(['customer', 'operator:42', '', 'operator:']);
      await old.db.models.ChatMessage.create({ sessionId: session.id, senderType: 'customer', content: 'after', clientMessageId: 'c-2' });
      await expect(old.db.models.ChatMessage.create({ sessionId: session.id, senderType: 'customer', content: 'again', clientMessageId: 'c-2' })).rejects.toMatchObject({
        name: 'SequelizeUniqueConstraintError',
      });
    } finally {
      await old.close();
    }
  });

  it('004 backfills what the previous schema knew: each session’s assignment, its first response when it came after, the writers’ names', async () => {
    const old = await openTestDatabase(backend, { migrate: false });
    try {
      await old.migrator.up({ to: '003-message-sender-key' });
      const q = (sql: string, replacements: unknown[] = []) => old.db.sequelize.query(sql, { replacements });
      const at = (seconds: number): Date => new Date(Date.UTC(2026, 10, 1, 9, 0, seconds));
      await q("INSERT INTO operators (name, email, password_hash, role, status, max_concurrent_sessions, departments, active_sessions, token_version, version, disabled, created_at, updated_at) VALUES ('Olga Old', 'olga@example.com', 'x', 'operator', 'online', 5, '[]', 1, 0, 0, ?, ?, ?)", [false, at(0), at(0)]);
      const [[operator]] = (await q("SELECT id FROM operators WHERE email = 'olga@example.com'")) as [Array<{ id: number }>, unknown];
      const session = (id: string, status: string, assigned: Date | null, firstResponse: Date | null, closed: Date | null) =>
        q('INSERT INTO chat_sessions (id, status, customer_name, operator_id, customer_token_hash, assigned_at, first_response_at, closed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
          id, status, 'Carla Old', assigned ? operator!.id : null, 'f'.repeat(64), assigned, firstResponse, closed, at(0), at(0),
        ]);
      const [open, closed, transferred, queued] = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444'];
      await session(open, 'active', at(10), at(14), null);
      await session(closed, 'closed', at(10), at(20), at(30));
      // Transferred after its first answer: the old first response lies before the current assignment.
      await session(transferred, 'active', at(40), at(15), null);
      await session(queued, 'waiting', null, null, null);
      const message = (sessionId: string, senderType: string, senderId: string | null) =>
        q("INSERT INTO chat_messages (session_id, sender_type, sender_id, type, content, created_at) VALUES (?, ?, ?, 'text', 'x', ?)", [sessionId, senderType, senderId, at(12)]);
      await message(open, 'customer', null);
      await message(open, 'operator', String(operator!.id));
      await message(open, 'system', null);

      await old.migrator.up();
      const { SessionAssignment, ChatMessage } = old.db.models;
      const history = await SessionAssignment.findAll({ order: [['sessionId', 'ASC']] });
      expect(history.map((a) => [a.sessionId, a.operatorId, a.assignedAt.toISOString(), a.firstResponseAt?.toISOString() ?? null, a.endedAt?.toISOString() ?? null])).toEqual([
        [open, operator!.id, at(10).toISOString(), at(14).toISOString(), null],
        [closed, operator!.id, at(10).toISOString(), at(20).toISOString(), at(30).toISOString()],
        [transferred, operator!.id, at(40).toISOString(), null, null],
      ]);
      const names = await ChatMessage.findAll({ where: { sessionId: open }, order: [['id', 'ASC']] });
      expect(names.map((m) => [m.senderType, m.senderName])).toEqual([
        ['customer', 'Carla Old'],
        ['operator', 'Olga Old'],
        ['system', null],
      ]);

      await old.migrator.down({ to: '004-assignments-and-sender-names' });
      expect(await ChatMessage.count({ where: { sessionId: open } })).toBe(3);
      await old.migrator.up();
      expect(await SessionAssignment.count()).toBe(3);
    } finally {
      await old.close();
    }
  });

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
