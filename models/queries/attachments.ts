import { QueryTypes, type Transaction } from 'sequelize';
import type { Db } from '../db';

/** What is stored of a file beside its bytes (migration 005), as a row selected under these names reads. */
export interface AttachmentRow {
  id: string;
  sessionId: string;
  fileName: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  /** null: no thumbnail (not an image). */
  thumbnailType: string | null;
  /** Which store holds the bytes. */
  storage: 'database' | 'disk';
  createdAt: Date;
}

export type Variant = 'original' | 'thumbnail';

const COLUMNS =
  'id, session_id AS sessionId, file_name AS fileName, content_type AS contentType, size, width, height, thumbnail_type AS thumbnailType, storage, created_at AS createdAt';

export async function insertAttachment(db: Db, row: AttachmentRow): Promise<void> {
  await db.sequelize.query(
    'INSERT INTO chat_attachments (id, session_id, file_name, content_type, size, width, height, thumbnail_type, storage, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    { replacements: [row.id, row.sessionId, row.fileName, row.contentType, row.size, row.width, row.height, row.thumbnailType, row.storage, row.createdAt] },
  );
}

export async function selectAttachments(db: Db, ids: string[]): Promise<AttachmentRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.sequelize.query<AttachmentRow>(`SELECT ${COLUMNS} FROM chat_attachments WHERE id IN (?)`, { replacements: [ids], type: QueryTypes.SELECT });
  return rows.map((row) => ({ ...row, size: Number(row.size), width: row.width === null ? null : Number(row.width), height: row.height === null ? null : Number(row.height) }));
}

export async function selectSessionAttachmentIds(db: Db, sessionId: string): Promise<string[]> {
  const rows = await db.sequelize.query<{ id: string }>('SELECT id FROM chat_attachments WHERE session_id = ?', { replacements: [sessionId], type: QueryTypes.SELECT });
  return rows.map((row) => row.id);
}

/** Deletes the rows (their database chunks go with them: ON DELETE CASCADE, and explicitly for SQLite without foreign keys). */
export async function deleteAttachmentRows(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.transaction(async (transaction) => {
    await db.sequelize.query('DELETE FROM chat_attachment_chunks WHERE attachment_id IN (?)', { replacements: [ids], transaction });
    await db.sequelize.query('DELETE FROM chat_attachments WHERE id IN (?)', { replacements: [ids], transaction });
  });
}

/** One chunk of a file's bytes kept in the database. */
export async function insertChunk(db: Db, id: string, variant: Variant, seq: number, data: Buffer, transaction: Transaction): Promise<void> {
  // Bound, not replaced: the bytes go as they are (MySQL's binary protocol), not as hex text twice their size that
  // the SQL layer then formats and the server parses again.
  await db.sequelize.query('INSERT INTO chat_attachment_chunks (attachment_id, variant, seq, data) VALUES ($1, $2, $3, $4)', {
    bind: [id, variant, seq, data],
    transaction,
  });
}

export async function selectChunk(db: Db, id: string, variant: Variant, seq: number): Promise<Buffer | null> {
  const [row] = await db.sequelize.query<{ data: Buffer }>('SELECT data FROM chat_attachment_chunks WHERE attachment_id = ? AND variant = ? AND seq = ?', {
    replacements: [id, variant, seq],
    type: QueryTypes.SELECT,
  });
  return row ? row.data : null;
}

export async function deleteChunks(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.sequelize.query('DELETE FROM chat_attachment_chunks WHERE attachment_id IN (?)', { replacements: [ids] });
}
