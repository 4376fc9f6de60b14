import { DataTypes, type QueryInterface } from 'sequelize';
import { tableNames } from './catalogue';

/**
 * The mail outbox (DESIGN.md decision 12, PROTOCOL.md "Email"): a mail is a row written in the same transaction
 * as the change that causes it, sent later by a worker in any process that claims it. `next_attempt_at` is both
 * the retry schedule and the claim: a process that claims a row moves it a lease ahead, so no other process
 * takes it meanwhile. A session's mails go with the session.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const tables = await tableNames(qi);
  if (tables.has('mail_outbox')) return;
  const text = qi.sequelize.getDialect() === 'mysql' ? DataTypes.TEXT('medium') : DataTypes.TEXT;
  await qi.createTable(
    'mail_outbox',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      session_id: { type: DataTypes.CHAR(36), allowNull: true, references: { model: 'chat_sessions', key: 'id' }, onDelete: 'CASCADE' },
      kind: { type: DataTypes.STRING(32), allowNull: false },
      recipients: { type: DataTypes.TEXT, allowNull: false },
      subject: { type: DataTypes.STRING(255), allowNull: false },
      text_body: { type: text, allowNull: false },
      html_body: { type: text, allowNull: false },
      reply_to: { type: DataTypes.STRING(255), allowNull: true },
      message_id: { type: DataTypes.STRING(255), allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      next_attempt_at: { type: DataTypes.DATE(3), allowNull: false },
      last_error: { type: DataTypes.STRING(500), allowNull: true },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      sent_at: { type: DataTypes.DATE(3), allowNull: true },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await qi.addIndex('mail_outbox', ['status', 'next_attempt_at'], { name: 'mail_outbox_due' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('mail_outbox');
}
