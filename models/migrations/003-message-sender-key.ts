import { QueryTypes, type QueryInterface } from 'sequelize';

/**
 * A clientMessageId is its sender's key, not the session's: a customer and an operator who both number their
 * messages 1, 2, 3 must not find each other's message as a "retry" (the second one would be answered with
 * the first and never stored). `sender_key` names the sender (`customer`, `operator:<id>`, '' for system
 * lines, which carry no clientMessageId) and the unique key becomes (session, sender, clientMessageId).
 *
 * Written for a rolling upgrade (docs/OPERATIONS.md), with the previous release still writing meanwhile:
 * - `sender_key` is a virtual column the database computes, so the previous release's rows get it right, no
 *   backfill rewrites the table, and adding it locks nothing; writers never name it (the writer computes the
 *   same key in JavaScript: services/messageRows.ts `senderKeyOf`). Nothing reads the column back: MariaDB 10.11
 *   returns '' for a virtual column read from a covering index under a filesort (`SELECT id, sender_key ...
 *   ORDER BY id`); it serves the unique key and lookups through it, which are right.
 * - The old unique index gives way, in one statement on MariaDB, to a plain index of the same name and
 *   columns, which the previous release's FORCE INDEX hint still names. A later migration drops it.
 */
const SENDER_KEY = (dialect: string): string => {
  const operator = dialect === 'mysql' ? "CONCAT('operator:', COALESCE(sender_id, ''))" : "'operator:' || COALESCE(sender_id, '')";
  return `CASE sender_type WHEN 'customer' THEN 'customer' WHEN 'operator' THEN ${operator} ELSE '' END`;
};

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const dialect = qi.sequelize.getDialect();
  const type = dialect === 'mysql' ? 'VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : 'TEXT';
  await qi.sequelize.query(`ALTER TABLE chat_messages ADD COLUMN sender_key ${type} GENERATED ALWAYS AS (${SENDER_KEY(dialect)}) VIRTUAL`);
  await qi.addIndex('chat_messages', ['session_id', 'sender_key', 'client_message_id'], { unique: true, name: 'chat_messages_session_sender_client_unique' });
  if (dialect === 'mysql') {
    await qi.sequelize.query(
      'ALTER TABLE chat_messages DROP INDEX chat_messages_session_client_unique, ADD INDEX chat_messages_session_client_unique (session_id, client_message_id)',
    );
  } else {
    await qi.removeIndex('chat_messages', 'chat_messages_session_client_unique');
    await qi.addIndex('chat_messages', ['session_id', 'client_message_id'], { name: 'chat_messages_session_client_unique' });
  }
}

/**
 * Refused, before it changes anything, while a session holds the same clientMessageId from two senders: the
 * old key cannot hold both.
 */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  const [clash] = await qi.sequelize.query(
    'SELECT session_id FROM chat_messages WHERE client_message_id IS NOT NULL GROUP BY session_id, client_message_id HAVING COUNT(*) > 1 LIMIT 1',
    { type: QueryTypes.SELECT },
  );
  if (clash) throw new Error('a session holds the same clientMessageId from two senders; the key before 003 cannot hold both');
  if (qi.sequelize.getDialect() === 'mysql') {
    await qi.sequelize.query(
      'ALTER TABLE chat_messages DROP INDEX chat_messages_session_client_unique, ADD UNIQUE INDEX chat_messages_session_client_unique (session_id, client_message_id)',
    );
  } else {
    await qi.removeIndex('chat_messages', 'chat_messages_session_client_unique');
    await qi.addIndex('chat_messages', ['session_id', 'client_message_id'], { unique: true, name: 'chat_messages_session_client_unique' });
  }
  await qi.removeIndex('chat_messages', 'chat_messages_session_sender_client_unique');
  // Plain SQL: Sequelize's removeColumn rebuilds a SQLite table from its description and loses indexes on the way.
  await qi.sequelize.query('ALTER TABLE chat_messages DROP COLUMN sender_key');
}
