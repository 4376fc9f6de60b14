import { DataTypes, type QueryInterface } from 'sequelize';
import { hasColumn } from './catalogue';

/**
 * `disconnected_at`: set when an operator's last connection drops, cleared when one is back. Routing passes them by
 * while it is set (PROTOCOL.md invariant 4: new chats stop going to them at once), though they stay `online`
 * through the grace period. An operator who never connects (status set over REST) never has it set.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  if (!(await hasColumn(qi, 'operators', 'disconnected_at'))) await qi.addColumn('operators', 'disconnected_at', { type: DataTypes.DATE(3), allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  // Plain SQL, as in 004: Sequelize's removeColumn rebuilds a SQLite table and loses its indexes.
  await qi.sequelize.query('ALTER TABLE operators DROP COLUMN disconnected_at');
}
