import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * A clientMessageId is its sender's key, not the session's: a customer and an operator who both number their
 * messages 1, 2, 3 must not find each other's message as a "retry" (the second one would be answered with
 * the first and never stored). `sender_key` names the sender: `customer`, `operator:<id>`, or '' for system
 * lines (which have no clientMessageId); the unique key becomes (session, sender, clientMessageId).
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('chat_messages', 'sender_key', { type: DataTypes.STRING(32).BINARY, allowNull: false, defaultValue: '' });
  const operatorKey = qi.sequelize.getDialect() === 'mysql' ? "CONCAT('operator:', sender_id)" : "'operator:' || sender_id";
  await qi.sequelize.query(
    `UPDATE chat_messages SET sender_key = CASE sender_type WHEN 'customer' THEN 'customer' WHEN 'operator' THEN ${operatorKey} ELSE '' END`,
  );
  await qi.addIndex('chat_messages', ['session_id', 'sender_key', 'client_message_id'], { unique: true, name: 'chat_messages_session_sender_client_unique' });
  await qi.removeIndex('chat_messages', 'chat_messages_session_client_unique');
}

/** Fails if a session holds the same clientMessageId from two senders (the old key cannot hold both). */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addIndex('chat_messages', ['session_id', 'client_message_id'], { unique: true, name: 'chat_messages_session_client_unique' });
  await qi.removeIndex('chat_messages', 'chat_messages_session_sender_client_unique');
  await qi.removeColumn('chat_messages', 'sender_key');
}
