import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * Statistics per assignment, and each message's writer by name (PROTOCOL.md invariant 6, Message.senderName):
 * - `session_assignments`: one row per time a session was given to an operator, with when they got it, their
 *   first message in it and when it left them. A transfer closes one row and opens the next, so the first
 *   response is measured for each operator from their own start, never across them.
 * - `chat_messages.sender_name`: the name the sender had when the message was stored.
 * - `chat_sessions.offline`: created while no operator was online (the "leave a message" path).
 *
 * Written for a rolling upgrade: columns are added with defaults (the previous release's inserts leave the name
 * null, shown as no name) and the history is backfilled from what the previous schema knew: each session's
 * last assignment, and its first response when it came after that assignment.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const mysql = qi.sequelize.getDialect() === 'mysql';
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
  await qi.addIndex('session_assignments', ['session_id', 'ended_at'], { name: 'session_assignments_session_open' });
  await qi.addIndex('session_assignments', ['operator_id', 'first_response_at'], { name: 'session_assignments_operator_response' });
  await qi.addColumn('chat_messages', 'sender_name', { type: DataTypes.STRING(120), allowNull: true });
  await qi.addColumn('chat_sessions', 'offline', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });

  await qi.sequelize.query(
    `INSERT INTO session_assignments (session_id, operator_id, assigned_at, first_response_at, ended_at)
     SELECT id, operator_id, assigned_at,
            CASE WHEN first_response_at >= assigned_at THEN first_response_at ELSE NULL END,
            CASE WHEN status = 'closed' THEN COALESCE(closed_at, assigned_at) ELSE NULL END
     FROM chat_sessions WHERE operator_id IS NOT NULL AND assigned_at IS NOT NULL`,
  );
  const names = mysql
    ? [
        "UPDATE chat_messages m JOIN operators o ON m.sender_type = 'operator' AND o.id = CAST(m.sender_id AS UNSIGNED) SET m.sender_name = o.name",
        "UPDATE chat_messages m JOIN chat_sessions s ON m.session_id = s.id SET m.sender_name = s.customer_name WHERE m.sender_type = 'customer'",
      ]
    : [
        "UPDATE chat_messages SET sender_name = (SELECT name FROM operators WHERE CAST(operators.id AS TEXT) = chat_messages.sender_id) WHERE sender_type = 'operator'",
        "UPDATE chat_messages SET sender_name = (SELECT customer_name FROM chat_sessions WHERE chat_sessions.id = chat_messages.session_id) WHERE sender_type = 'customer'",
      ];
  for (const sql of names) await qi.sequelize.query(sql);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  // Plain SQL: Sequelize's removeColumn rebuilds a SQLite table from its description and loses indexes on the way.
  await qi.sequelize.query('ALTER TABLE chat_sessions DROP COLUMN offline');
  await qi.sequelize.query('ALTER TABLE chat_messages DROP COLUMN sender_name');
  await qi.dropTable('session_assignments');
}
