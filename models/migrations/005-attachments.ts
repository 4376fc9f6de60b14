import { DataTypes, type QueryInterface } from 'sequelize';
import { hasColumn, tableNames } from './catalogue';

/**
 * Files and images in chats (PROTOCOL.md "Files and images", DESIGN.md decision 13):
 * - `chat_attachments`: one row per stored file, what a message's `attachment` says of it (name, type, size,
 *   dimensions, whether it has a thumbnail) and where its bytes are (`storage`, so files stored before the
 *   setting changed are still found).
 * - `chat_attachment_chunks`: the bytes when they live in the database, in chunks of a few hundred kilobytes, so
 *   that no statement comes near MySQL's max_allowed_packet and a download is streamed a chunk at a time. Kept
 *   apart from `chat_messages`, so the message path never reads a file.
 * - `chat_messages.attachment_id`: the message a file came with.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const tables = await tableNames(qi);
  const has = (name: string): boolean => tables.has(name);
  if (!has('chat_attachments')) {
    await qi.createTable(
      'chat_attachments',
      {
        id: { type: DataTypes.CHAR(36), primaryKey: true, allowNull: false },
        session_id: { type: DataTypes.CHAR(36), allowNull: false, references: { model: 'chat_sessions', key: 'id' }, onDelete: 'CASCADE' },
        file_name: { type: DataTypes.STRING(200), allowNull: false },
        content_type: { type: DataTypes.STRING(100), allowNull: false },
        size: { type: DataTypes.INTEGER, allowNull: false },
        width: { type: DataTypes.INTEGER, allowNull: true },
        height: { type: DataTypes.INTEGER, allowNull: true },
        thumbnail_type: { type: DataTypes.STRING(100), allowNull: true },
        storage: { type: DataTypes.STRING(16), allowNull: false },
        created_at: { type: DataTypes.DATE(3), allowNull: false },
      },
      { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
    );
    await qi.addIndex('chat_attachments', ['session_id'], { name: 'chat_attachments_session' });
  }
  if (!has('chat_attachment_chunks')) {
    await qi.createTable(
      'chat_attachment_chunks',
      {
        attachment_id: { type: DataTypes.CHAR(36), primaryKey: true, allowNull: false, references: { model: 'chat_attachments', key: 'id' }, onDelete: 'CASCADE' },
        variant: { type: DataTypes.STRING(16), primaryKey: true, allowNull: false },
        seq: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
        // MEDIUMBLOB on MySQL (up to 16 MB a row; a chunk is far smaller), BLOB on SQLite.
        data: { type: DataTypes.BLOB('medium'), allowNull: false },
      },
      { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
    );
  }
  if (!(await hasColumn(qi, 'chat_messages', 'attachment_id'))) await qi.addColumn('chat_messages', 'attachment_id', { type: DataTypes.CHAR(36), allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  // Plain SQL, as in 004: Sequelize's removeColumn rebuilds a SQLite table and loses its indexes.
  await qi.sequelize.query('ALTER TABLE chat_messages DROP COLUMN attachment_id');
  await qi.dropTable('chat_attachment_chunks');
  await qi.dropTable('chat_attachments');
}
