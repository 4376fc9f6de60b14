import { DataTypes, type QueryInterface } from 'sequelize';
import { hasColumn } from './catalogue';

/**
 * Replies by email (PROTOCOL.md "Email"): `chat_sessions.mailed_up_to` is the last operator message already
 * mailed to the customer, so that each is mailed at most once, whichever process does it.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  if (!(await hasColumn(qi, 'chat_sessions', 'mailed_up_to'))) {
    await qi.addColumn('chat_sessions', 'mailed_up_to', { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 });
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  // Plain SQL, as in 006: Sequelize's removeColumn rebuilds a SQLite table and loses its indexes.
  await qi.sequelize.query('ALTER TABLE chat_sessions DROP COLUMN mailed_up_to');
}
