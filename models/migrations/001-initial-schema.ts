import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * The first schema. Types are chosen to mean the same on SQLite and MySQL/MariaDB: enums are short strings
 * checked by the services, JSON is TEXT parsed by the models (MariaDB's JSON is LONGTEXT and comes back as a
 * string through mysql2), times carry milliseconds, and MySQL tables are utf8mb4 so emoji round-trip.
 */
const tableOptions = { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' };
/**
 * Identifiers compare byte for byte (utf8mb4_bin on MySQL, as SQLite always does): 'Bob' and 'bob' are two
 * customers, and two clientMessageIds differing in case are two messages.
 */
const identifier = (length: number) => DataTypes.STRING(length).BINARY;
/**
 * Message text up to the largest MAX_MESSAGE_LENGTH (100,000 characters of up to 4 bytes): MEDIUMTEXT on
 * MySQL, whose TEXT stops at 64 KB; SQLite's TEXT has no such limit (and warns about a size option).
 */
const messageText = (qi: QueryInterface) => (qi.sequelize.getDialect() === 'mysql' ? DataTypes.TEXT('medium') : DataTypes.TEXT);

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable(
    'operators',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.STRING(120), allowNull: false },
      email: { type: DataTypes.STRING(191), allowNull: false },
      password_hash: { type: DataTypes.STRING(255), allowNull: false },
      role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'operator' },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'offline' },
      max_concurrent_sessions: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 5 },
      departments: { type: DataTypes.TEXT, allowNull: false },
      active_sessions: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      token_version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      disabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      last_assigned_at: { type: DataTypes.DATE(3), allowNull: true },
      last_seen_at: { type: DataTypes.DATE(3), allowNull: true },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    tableOptions,
  );
  await qi.addIndex('operators', ['email'], { unique: true, name: 'operators_email_unique' });
  await qi.addIndex('operators', ['status'], { name: 'operators_status' });

  await qi.createTable(
    'chat_sessions',
    {
      id: { type: DataTypes.CHAR(36), primaryKey: true, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'waiting' },
      customer_id: { type: identifier(191), allowNull: true },
      customer_name: { type: DataTypes.STRING(120), allowNull: true },
      customer_email: { type: DataTypes.STRING(191), allowNull: true },
      department: { type: DataTypes.STRING(64), allowNull: true },
      metadata: { type: DataTypes.TEXT, allowNull: true },
      operator_id: {
        type: DataTypes.INTEGER,
        allowNull: true,
        references: { model: 'operators', key: 'id' },
        onDelete: 'SET NULL',
      },
      customer_token_hash: { type: DataTypes.STRING(64), allowNull: false },
      queued_at: { type: DataTypes.DATE(3), allowNull: true },
      assigned_at: { type: DataTypes.DATE(3), allowNull: true },
      closed_at: { type: DataTypes.DATE(3), allowNull: true },
      closed_by: { type: DataTypes.STRING(16), allowNull: true },
      close_reason: { type: DataTypes.STRING(500), allowNull: true },
      last_message_at: { type: DataTypes.DATE(3), allowNull: true },
      first_response_at: { type: DataTypes.DATE(3), allowNull: true },
      rating: { type: DataTypes.INTEGER, allowNull: true },
      rating_comment: { type: DataTypes.TEXT, allowNull: true },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    tableOptions,
  );
  await qi.addIndex('chat_sessions', ['status', 'created_at'], { name: 'chat_sessions_status_created' });
  await qi.addIndex('chat_sessions', ['status', 'queued_at'], { name: 'chat_sessions_status_queued' });
  await qi.addIndex('chat_sessions', ['operator_id', 'status'], { name: 'chat_sessions_operator_status' });
  await qi.addIndex('chat_sessions', ['customer_id', 'created_at'], { name: 'chat_sessions_customer' });

  await qi.createTable(
    'chat_messages',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      session_id: {
        type: DataTypes.CHAR(36),
        allowNull: false,
        references: { model: 'chat_sessions', key: 'id' },
        onDelete: 'CASCADE',
      },
      sender_type: { type: DataTypes.STRING(16), allowNull: false },
      sender_id: { type: DataTypes.STRING(191), allowNull: true },
      type: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'text' },
      content: { type: messageText(qi), allowNull: false },
      client_message_id: { type: identifier(64), allowNull: true },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      read_at: { type: DataTypes.DATE(3), allowNull: true },
    },
    tableOptions,
  );
  await qi.addIndex('chat_messages', ['session_id', 'id'], { name: 'chat_messages_session_id' });
  await qi.addIndex('chat_messages', ['session_id', 'client_message_id'], {
    unique: true,
    name: 'chat_messages_session_client_unique',
  });

  await qi.createTable(
    'session_events',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      session_id: {
        type: DataTypes.CHAR(36),
        allowNull: false,
        references: { model: 'chat_sessions', key: 'id' },
        onDelete: 'CASCADE',
      },
      type: { type: DataTypes.STRING(32), allowNull: false },
      operator_id: { type: DataTypes.INTEGER, allowNull: true },
      detail: { type: DataTypes.TEXT, allowNull: true },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    tableOptions,
  );
  await qi.addIndex('session_events', ['session_id', 'id'], { name: 'session_events_session_id' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('session_events');
  await qi.dropTable('chat_messages');
  await qi.dropTable('chat_sessions');
  await qi.dropTable('operators');
}
