import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * Presence as a lease: while an operator has a live connection, its server process keeps pushing
 * `present_until` forward; once it lies more than the grace period in the past the operator is offline. The
 * database holds it, so it works across processes and survives a crashed one (its leases simply run out).
 * `requeued_from` remembers who let a session wait, so it never goes straight back to them.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('operators', 'present_until', { type: DataTypes.DATE(3), allowNull: true });
  await qi.addColumn('chat_sessions', 'requeued_from', { type: DataTypes.INTEGER, allowNull: true });
  await qi.addIndex('chat_sessions', ['status', 'last_message_at'], { name: 'chat_sessions_status_last_message' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex('chat_sessions', 'chat_sessions_status_last_message');
  await qi.removeColumn('chat_sessions', 'requeued_from');
  await qi.removeColumn('operators', 'present_until');
}
