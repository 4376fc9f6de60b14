import { DataTypes, QueryTypes, type QueryInterface } from 'sequelize';
import { hasColumn, hasIndex, tableNames } from './catalogue';

/**
 * Customer data (PROTOCOL.md "Customer data (privacy)"):
 * - `chat_sessions.erased_at`: when the session's content was erased (by an admin or by retention). Erasing is
 *   decided under the session's lock from it, so doing it twice does nothing; retention skips erased sessions.
 * - `audit_log`: who did which admin action when (never a secret); read newest first by id.
 * - `job_leases`: one row per periodic job that only one process may run at a time (retention): the process
 *   whose lease has not run out holds it; any other takes it over once it has.
 * Every step checks before it acts, so one stopped half-way runs again.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  if (!(await hasColumn(qi, 'chat_sessions', 'erased_at'))) await qi.addColumn('chat_sessions', 'erased_at', { type: DataTypes.DATE(3), allowNull: true });
  const tables = await tableNames(qi);
  if (!tables.has('audit_log')) {
    await qi.createTable(
      'audit_log',
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        created_at: { type: DataTypes.DATE(3), allowNull: false },
        // The actor's id and name as they were then (null: the system); no foreign key, so the entry outlives them.
        actor_id: { type: DataTypes.INTEGER, allowNull: true },
        actor_name: { type: DataTypes.STRING(120), allowNull: true },
        action: { type: DataTypes.STRING(48), allowNull: false },
        target_type: { type: DataTypes.STRING(24), allowNull: false },
        target_id: { type: DataTypes.STRING(191), allowNull: true },
        detail: { type: DataTypes.TEXT, allowNull: true },
      },
      { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
    );
  }
  if (!tables.has('job_leases')) {
    await qi.createTable(
      'job_leases',
      {
        name: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
        holder: { type: DataTypes.STRING(64), allowNull: true },
        held_until: { type: DataTypes.DATE(3), allowNull: false },
      },
      { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
    );
  }
  const [lease] = await qi.sequelize.query("SELECT COUNT(*) AS n FROM job_leases WHERE name = 'retention'", { type: QueryTypes.SELECT });
  if (Number((lease as { n: number | string } | undefined)?.n ?? 0) === 0) {
    await qi.sequelize.query("INSERT INTO job_leases (name, holder, held_until) VALUES ('retention', NULL, ?)", { replacements: [new Date(0)] });
  }
  // Closed sessions by when they closed: what retention looks for.
  if (qi.sequelize.getDialect() !== 'mysql') await qi.sequelize.query('CREATE INDEX IF NOT EXISTS chat_sessions_closed ON chat_sessions (status, closed_at)');
  else if (!(await hasIndex(qi, 'chat_sessions', 'chat_sessions_closed'))) await qi.addIndex('chat_sessions', ['status', 'closed_at'], { name: 'chat_sessions_closed' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('job_leases');
  await qi.dropTable('audit_log');
  await qi.sequelize.query(qi.sequelize.getDialect() === 'mysql' ? 'ALTER TABLE chat_sessions DROP INDEX chat_sessions_closed' : 'DROP INDEX IF EXISTS chat_sessions_closed');
  // Plain SQL, as in 006: Sequelize's removeColumn rebuilds a SQLite table and loses its indexes.
  await qi.sequelize.query('ALTER TABLE chat_sessions DROP COLUMN erased_at');
}
