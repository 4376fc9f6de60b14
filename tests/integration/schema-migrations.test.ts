import { randomBytes, randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import * as assignmentsAndSenderNames from '../../models/migrations/004-assignments-and-sender-names';
import { insertAttachment } from '../../models/queries/attachments';
import { SYSTEM } from '../../services/access';
import { DatabaseFileStore } from '../../services/messages/attachments/DatabaseFileStore';
import { SearchService } from '../../services/messages/SearchService';
import { operatorStats } from '../../services/operators/stats';
import { describeEachBackend, describeRealBackend, mariadbRedisBackend, provisionMariadb } from '../helpers/backends';
import { databasePerFile, openTestDatabase, operatorRow, sessionRow, type TestDatabase } from '../helpers/database';

/** The migrations: up, down and up again, and what 003 and 004 do to the data the previous schema left. */

const APP_TABLES = ['chat_messages', 'chat_sessions', 'operators', 'session_assignments', 'session_events'];

describeEachBackend('database schema', (backend) => {
  let t: TestDatabase;
  databasePerFile(backend, (database) => (t = database));

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

      // Run again as after a crash half-way (the steps done, umzug not told): it checks before it acts.
      await assignmentsAndSenderNames.up({ context: old.db.sequelize.getQueryInterface() });
      expect(await SessionAssignment.count()).toBe(3);

      await old.migrator.down({ to: '004-assignments-and-sender-names' });
      expect(await ChatMessage.count({ where: { sessionId: open } })).toBe(3);
      await old.migrator.up();
      expect(await SessionAssignment.count()).toBe(3);
    } finally {
      await old.close();
    }
  });

  it('007 indexes what was stored before it and what came after, and all of it again after a down and up', async () => {
    const old = await openTestDatabase(backend, { migrate: false });
    try {
      await old.migrator.up({ to: '006-notes-labels-canned' });
      const store = async (name: string, text: string): Promise<string> => {
        const session = await old.db.models.ChatSession.create(sessionRow({ customerName: name, createdAt: new Date(), updatedAt: new Date() }));
        await old.db.sequelize.query("INSERT INTO chat_messages (session_id, sender_type, type, content, created_at) VALUES (?, 'customer', 'text', ?, ?)", {
          replacements: [session.id, text, new Date()],
        });
        return session.id;
      };
      const search = new SearchService(old.db, async () => new Map());
      const found = async (q: string) => (await search.search(SYSTEM, { q, limit: 5 })).results.map((r) => [r.session.id, r.message?.content ?? null]);
      const before = await store('Hermione Quillfeather', 'my parcel of marmalade is late');
      await old.migrator.up();
      const after = await store('Bartholomew Inkwell', 'the marmalade jar arrived broken');
      for (let round = 0; round < 2; round += 1) {
        expect(await found('quillfeather')).toEqual([[before, null]]);
        expect(await found('inkwell')).toEqual([[after, null]]);
        expect(await found('marmalade')).toEqual([
          [after, 'the marmalade jar arrived broken'],
          [before, 'my parcel of marmalade is late'],
        ]);
        await old.migrator.down({ to: '006-notes-labels-canned' });
        await old.migrator.up();
      }
    } finally {
      await old.close();
    }
  });

  it('012 answers every read of the operators’ statistics from an index alone, with the same figures before it, after it, and after a down and up', async () => {
    const { db } = t;
    const q = (sql: string, replacements: unknown[] = []) => db.sequelize.query(sql, { replacements });
    const [ada, bea] = [await db.models.Operator.create(operatorRow({ name: 'Ada Stats' })), await db.models.Operator.create(operatorRow({ name: 'Bea Stats' }))];
    // Every time today (the statistics count the day's closed sessions), seconds after a start.
    const startOfDay = new Date();
    startOfDay.setUTCHours(0, 0, 0, 0);
    const start = Math.max(startOfDay.getTime() + 1000, Date.now() - 600_000);
    const at = (seconds: number): Date => new Date(start + seconds * 1000);
    for (let i = 0; i < 120; i++) {
      const operator = i % 2 === 0 ? ada : bea;
      const status = i % 3 === 0 ? 'closed' : i % 3 === 1 ? 'active' : 'waiting';
      const assigned = status === 'waiting' ? null : at(i + 100);
      const session = sessionRow({ status, operatorId: assigned ? operator.id : null, assignedAt: assigned, createdAt: at(i), updatedAt: at(i), closedAt: status === 'closed' ? at(i + 200) : null, rating: status === 'closed' ? 1 + (i % 5) : null });
      await db.models.ChatSession.create(session);
      if (assigned) {
        await q('INSERT INTO session_assignments (session_id, operator_id, assigned_at, first_response_at, ended_at) VALUES (?, ?, ?, ?, ?)', [session.id, operator.id, assigned, i % 4 === 0 ? null : at(i + 110), null]);
      }
    }
    if (db.dialect === 'mysql') await q('ANALYZE TABLE chat_sessions, session_assignments');

    // Every statement the statistics run, as they run it: through Sequelize, or through Db.selectRows.
    const statements = new Map<string, unknown[]>();
    const original = db.selectRows.bind(db);
    const rowsSpy = jest.spyOn(db, 'selectRows').mockImplementation((sql, values, transaction) => {
      statements.set(sql, values);
      return original(sql, values, transaction);
    });
    const originalQuery = db.sequelize.query.bind(db.sequelize) as (sql: unknown, options?: unknown) => Promise<unknown>;
    const querySpy = jest.spyOn(db.sequelize, 'query').mockImplementation(((sql: unknown, options?: { replacements?: unknown[] }) => {
      if (typeof sql === 'string' && !statements.has(sql)) statements.set(sql, options?.replacements ?? []);
      return originalQuery(sql, options);
    }) as typeof db.sequelize.query);
    let figures: Awaited<ReturnType<typeof operatorStats>>;
    try {
      figures = await operatorStats(db);
    } finally {
      rowsSpy.mockRestore();
      querySpy.mockRestore();
    }
    const reads = [...statements].filter(([sql]) => /^SELECT/i.test(sql) && /\b(chat_sessions|session_assignments)\b/.test(sql));
    expect(reads.length).toBe(6);
    for (const [sql, values] of reads) {
      if (db.dialect === 'mysql') {
        const plan = await db.sequelize.query<{ table: string; Extra: string | null }>(`EXPLAIN ${sql}`, { replacements: values, type: QueryTypes.SELECT });
        for (const step of plan) expect([sql, step.Extra ?? '']).toEqual([sql, expect.stringMatching(/Using index(?! condition)/)]);
      } else {
        const plan = await db.sequelize.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, { replacements: values, type: QueryTypes.SELECT });
        for (const step of plan.filter((p) => /^(SCAN|SEARCH)/.test(p.detail))) expect([sql, step.detail]).toEqual([sql, expect.stringContaining('COVERING INDEX')]);
      }
    }
    const ours = (stats: typeof figures) => stats.operators.filter((o) => o.operatorId === ada.id || o.operatorId === bea.id);
    expect(ours(figures).map((o) => o.closedToday)).toEqual([20, 20]);
    expect(ours(figures).every((o) => o.avgRating !== null && o.avgFirstResponseSeconds === 10)).toBe(true);
    expect(figures.overall.avgWaitSeconds).toBe(100);

    await t.migrator.down({ to: '011-privacy-and-audit' });
    expect(ours(await operatorStats(db))).toEqual(ours(figures));
    await t.migrator.up();
    expect(await operatorStats(db)).toEqual(figures);
  });
});

/**
 * README: "CREATE DATABASE chat CHARACTER SET utf8mb4". Its collation is then the server's default for utf8mb4
 * (utf8mb4_general_ci on MariaDB 10, another on MySQL 8 or MariaDB 11), not the tests' own database's: every
 * table must still be created with the schema's collation, or a foreign key between two of them cannot be made.
 */
describeRealBackend('a MariaDB database created as the README says', () => {
  for (const options of ['CHARACTER SET utf8mb4', 'CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci']) {
    it(`(${options}) migrates whole, with every table in the schema's collation, and keeps a file`, async () => {
      const provisioned = await provisionMariadb(options);
      let t: TestDatabase | undefined;
      try {
        t = await openTestDatabase(mariadbRedisBackend, { provisioned });
        const { db, migrator } = t;
        expect(await migrator.pending()).toEqual([]);
        const columns = await db.sequelize.query<{ table: string; column: string; collation: string }>(
          `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS \`column\`, COLLATION_NAME AS collation FROM information_schema.COLUMNS
           WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL AND TABLE_NAME <> 'schema_migrations'`,
          { type: QueryTypes.SELECT },
        );
        expect(columns.length).toBeGreaterThan(20);
        // The schema's own, or binary where it means it (keys compared byte for byte): never the database's default.
        expect(columns.filter((c) => !['utf8mb4_unicode_ci', 'utf8mb4_bin'].includes(c.collation))).toEqual([]);

        const session = await db.models.ChatSession.create(sessionRow());
        const row = { id: randomUUID(), sessionId: session.id, fileName: 'invoice.pdf', contentType: 'application/pdf', size: 300_000, width: null, height: null, thumbnailType: null, storage: 'database' as const, createdAt: new Date() };
        await insertAttachment(db, row);
        const bytes = randomBytes(row.size);
        const store = new DatabaseFileStore(db);
        await store.put(row, 'original', bytes);
        const stream = await store.open(row, 'original');
        const read: Buffer[] = [];
        for await (const chunk of stream ?? []) read.push(chunk as Buffer);
        expect(Buffer.concat(read).equals(bytes)).toBe(true);
      } finally {
        await t?.close();
        await provisioned.dispose();
      }
    });
  }
});
