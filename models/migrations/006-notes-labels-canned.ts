import { DataTypes, type QueryInterface } from 'sequelize';
import { hasColumn, tableNames } from './catalogue';

/**
 * What operators keep for themselves (PROTOCOL.md "Internal notes", "Labels", "Canned responses"):
 * - `chat_messages.internal`: a note, never shown to the customer. Added with a default, so the previous
 *   release's inserts (which do not name it) store ordinary messages, as they mean to.
 * - `labels`: the team's labels (admin-defined), by name.
 * - `session_labels`: which session carries which label, for the history's and the search's `label` filter;
 *   `chat_sessions.labels` holds the same names as a JSON list, so that a session is shown without a join.
 *   Both are written in one transaction (services/sessions/transitions/label.ts).
 * - `canned_responses`: saved replies, shared (the team's) or personal (one operator's), a shortcut unique
 *   per owner (`owner_key`: `shared` or `operator:<id>`).
 * Every step checks before it acts, so one stopped half-way runs again.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  if (!(await hasColumn(qi, 'chat_messages', 'internal'))) {
    await qi.addColumn('chat_messages', 'internal', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
  }
  if (!(await hasColumn(qi, 'chat_sessions', 'labels'))) {
    await qi.addColumn('chat_sessions', 'labels', { type: DataTypes.STRING(800), allowNull: false, defaultValue: '[]' });
  }
  const tables = await tableNames(qi);
  if (!tables.has('labels')) {
    await qi.createTable(
      'labels',
      {
        name: { type: DataTypes.STRING(32), primaryKey: true, allowNull: false },
        color: { type: DataTypes.STRING(7), allowNull: true },
        created_at: { type: DataTypes.DATE(3), allowNull: false },
      },
      { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
    );
  }
  if (!tables.has('session_labels')) {
    await qi.createTable(
      'session_labels',
      {
        session_id: { type: DataTypes.CHAR(36), primaryKey: true, allowNull: false, references: { model: 'chat_sessions', key: 'id' }, onDelete: 'CASCADE' },
        label: { type: DataTypes.STRING(32), primaryKey: true, allowNull: false, references: { model: 'labels', key: 'name' }, onDelete: 'CASCADE' },
      },
      { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
    );
    await qi.addIndex('session_labels', ['label', 'session_id'], { name: 'session_labels_label' });
  }
  if (!tables.has('canned_responses')) {
    await qi.createTable(
      'canned_responses',
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        owner_key: { type: DataTypes.STRING(32), allowNull: false },
        owner_id: { type: DataTypes.INTEGER, allowNull: true },
        scope: { type: DataTypes.STRING(16), allowNull: false },
        shortcut: { type: DataTypes.STRING(32), allowNull: false },
        content: { type: DataTypes.TEXT, allowNull: false },
        department: { type: DataTypes.STRING(64), allowNull: true },
        created_at: { type: DataTypes.DATE(3), allowNull: false },
        updated_at: { type: DataTypes.DATE(3), allowNull: false },
      },
      { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
    );
    await qi.addIndex('canned_responses', ['owner_key', 'shortcut'], { name: 'canned_responses_owner_shortcut', unique: true });
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('canned_responses');
  await qi.dropTable('session_labels');
  await qi.dropTable('labels');
  // Plain SQL, as in 004: Sequelize's removeColumn rebuilds a SQLite table and loses its indexes.
  await qi.sequelize.query('ALTER TABLE chat_sessions DROP COLUMN labels');
  await qi.sequelize.query('ALTER TABLE chat_messages DROP COLUMN internal');
}
