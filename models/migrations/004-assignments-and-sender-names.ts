import { DataTypes, QueryTypes, type QueryInterface } from 'sequelize';
import { hasColumn } from './catalogue';

/**
 * Statistics per assignment, and each message's writer by name (PROTOCOL.md invariant 6, Message.senderName):
 * - `session_assignments`: one row per time a session was given to an operator, with when they got it, their
 *   first message in it and when it left them. A transfer closes one row and opens the next, so the first
 *   response is measured for each operator from their own start, never across them.
 * - `chat_messages.sender_name`: the name the sender had when the message was stored.
 * - `chat_sessions.offline`: created while no operator was online (the "leave a message" path).
 *
 * Written for a rolling upgrade, with the previous release still writing meanwhile: columns are added with
 * defaults (its inserts leave the name null, shown as no name), and the history is backfilled from what the
 * previous schema knew (each session's last assignment, and its first response when it came after that
 * assignment) in small batches of single statements, each its own commit, so that no lock is held on a whole
 * table while the previous release writes. Every step checks before it acts: a migration that stopped half-way
 * (a crash, a lock timeout) runs again from where it was.
 */
const BATCH = 2_000;

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const mysql = qi.sequelize.getDialect() === 'mysql';
  if (!(await qi.showAllTables()).includes('session_assignments')) {
    await qi.createTable(
      'session_assignments',
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        session_id: { type: DataTypes.CHAR(36), allowNull: false, references: { model: 'chat_sessions', key: 'id' }, onDelete: 'CASCADE' },
        operator_id: { type: DataTypes.INTEGER, allowNull: false },
        assigned_at: { type: DataTypes.DATE(3), allowNull: false },
        first_response_at: { type: DataTypes.DATE(3), allowNull: true },
        ended_at: { type: DataTypes.DATE(3), allowNull: true },
      },
      { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
    );
  }
  const indexes = new Set(((await qi.showIndex('session_assignments')) as Array<{ name: string }>).map((index) => index.name));
  // The open assignment of a session (ended_at null), and the statistics' newest first responses.
  if (!indexes.has('session_assignments_session_open')) await qi.addIndex('session_assignments', ['session_id', 'ended_at'], { name: 'session_assignments_session_open' });
  if (!indexes.has('session_assignments_first_response')) await qi.addIndex('session_assignments', ['first_response_at'], { name: 'session_assignments_first_response' });
  if (!(await hasColumn(qi, 'chat_messages', 'sender_name'))) await qi.addColumn('chat_messages', 'sender_name', { type: DataTypes.STRING(120), allowNull: true });
  if (!(await hasColumn(qi, 'chat_sessions', 'offline'))) await qi.addColumn('chat_sessions', 'offline', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });

  await backfillAssignments(qi);
  await backfillSenderNames(qi, mysql);
}

/** One assignment row for each assigned session that has none yet, a batch of sessions at a time. */
async function backfillAssignments(qi: QueryInterface): Promise<void> {
  for (let after = ''; ; ) {
    const batch = await qi.sequelize.query<{ id: string }>(
      'SELECT id FROM chat_sessions WHERE id > ? AND operator_id IS NOT NULL AND assigned_at IS NOT NULL ORDER BY id LIMIT ?',
      { replacements: [after, BATCH], type: QueryTypes.SELECT },
    );
    if (batch.length === 0) return;
    await qi.sequelize.query(
      `INSERT INTO session_assignments (session_id, operator_id, assigned_at, first_response_at, ended_at)
       SELECT s.id, s.operator_id, s.assigned_at,
              CASE WHEN s.first_response_at >= s.assigned_at THEN s.first_response_at ELSE NULL END,
              CASE WHEN s.status = 'closed' THEN COALESCE(s.closed_at, s.assigned_at) ELSE NULL END
       FROM chat_sessions s
       WHERE s.id IN (?) AND NOT EXISTS (SELECT 1 FROM session_assignments a WHERE a.session_id = s.id)`,
      { replacements: [batch.map((row) => row.id)] },
    );
    after = batch[batch.length - 1]?.id as string;
  }
}

/** The writer's name on every stored message that has none, a range of message ids at a time. */
async function backfillSenderNames(qi: QueryInterface, mysql: boolean): Promise<void> {
  const [range] = await qi.sequelize.query<{ low: number | string | null; high: number | string | null }>('SELECT MIN(id) AS low, MAX(id) AS high FROM chat_messages', {
    type: QueryTypes.SELECT,
  });
  if (!range || range.low === null || range.high === null) return;
  const statements = mysql
    ? [
        "UPDATE chat_messages m JOIN operators o ON o.id = CAST(m.sender_id AS UNSIGNED) SET m.sender_name = o.name WHERE m.id BETWEEN ? AND ? AND m.sender_type = 'operator' AND m.sender_name IS NULL",
        "UPDATE chat_messages m JOIN chat_sessions s ON s.id = m.session_id SET m.sender_name = s.customer_name WHERE m.id BETWEEN ? AND ? AND m.sender_type = 'customer' AND m.sender_name IS NULL",
      ]
    : [
        "UPDATE chat_messages SET sender_name = (SELECT name FROM operators WHERE operators.id = CAST(chat_messages.sender_id AS INTEGER)) WHERE id BETWEEN ? AND ? AND sender_type = 'operator' AND sender_name IS NULL",
        "UPDATE chat_messages SET sender_name = (SELECT customer_name FROM chat_sessions WHERE chat_sessions.id = chat_messages.session_id) WHERE id BETWEEN ? AND ? AND sender_type = 'customer' AND sender_name IS NULL",
      ];
  for (let low = Number(range.low); low <= Number(range.high); low += BATCH) {
    for (const sql of statements) await qi.sequelize.query(sql, { replacements: [low, low + BATCH - 1] });
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  // Plain SQL: Sequelize's removeColumn rebuilds a SQLite table from its description and loses indexes on the way.
  await qi.sequelize.query('ALTER TABLE chat_sessions DROP COLUMN offline');
  await qi.sequelize.query('ALTER TABLE chat_messages DROP COLUMN sender_name');
  await qi.dropTable('session_assignments');
}
