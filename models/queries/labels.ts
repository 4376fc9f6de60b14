import { QueryTypes, type Transaction } from 'sequelize';
import type { Db } from '../db';

/** The team's labels (migration 006) and which sessions carry them. */

export interface LabelRow {
  name: string;
  color: string | null;
}

export async function selectLabels(db: Db, transaction?: Transaction): Promise<LabelRow[]> {
  return db.sequelize.query<LabelRow>('SELECT name, color FROM labels ORDER BY name', { type: QueryTypes.SELECT, transaction });
}

/** The names among these that exist. */
export async function existingLabels(db: Db, names: string[], transaction?: Transaction): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await db.sequelize.query<{ name: string }>('SELECT name FROM labels WHERE name IN (?)', { replacements: [names], type: QueryTypes.SELECT, transaction });
  return new Set(rows.map((row) => row.name));
}

export async function insertLabel(db: Db, label: LabelRow, at: Date, transaction?: Transaction): Promise<void> {
  await db.sequelize.query('INSERT INTO labels (name, color, created_at) VALUES (?, ?, ?)', { replacements: [label.name, label.color, at], transaction });
}

/** The sessions carrying a label. */
export async function sessionsLabelled(db: Db, name: string, transaction?: Transaction): Promise<string[]> {
  const rows = await db.sequelize.query<{ sessionId: string }>('SELECT session_id AS sessionId FROM session_labels WHERE label = ?', { replacements: [name], type: QueryTypes.SELECT, transaction });
  return rows.map((row) => row.sessionId);
}

/** Deletes a label and takes it off every session (explicitly: SQLite here runs without foreign keys). */
export async function deleteLabel(db: Db, name: string, transaction: Transaction): Promise<void> {
  await db.sequelize.query('DELETE FROM session_labels WHERE label = ?', { replacements: [name], transaction });
  await db.sequelize.query('DELETE FROM labels WHERE name = ?', { replacements: [name], transaction });
}

/** A session's labels, as a whole: the join rows the filters read, and the list the session shows. */
export async function replaceSessionLabels(db: Db, sessionId: string, names: string[], transaction: Transaction): Promise<void> {
  await db.sequelize.query('DELETE FROM session_labels WHERE session_id = ?', { replacements: [sessionId], transaction });
  if (names.length > 0) {
    await db.sequelize.query(`INSERT INTO session_labels (session_id, label) VALUES ${names.map(() => '(?, ?)').join(', ')}`, {
      replacements: names.flatMap((name) => [sessionId, name]),
      transaction,
    });
  }
  await db.sequelize.query('UPDATE chat_sessions SET labels = ? WHERE id = ?', { replacements: [JSON.stringify(names), sessionId], transaction });
}

/** The labels each of these sessions still carries (after a label was deleted), by session. */
export async function labelsOf(db: Db, sessionIds: string[], transaction?: Transaction): Promise<Map<string, string[]>> {
  const result = new Map(sessionIds.map((id) => [id, [] as string[]]));
  if (sessionIds.length === 0) return result;
  const rows = await db.sequelize.query<{ sessionId: string; label: string }>('SELECT session_id AS sessionId, label FROM session_labels WHERE session_id IN (?) ORDER BY label', {
    replacements: [sessionIds],
    type: QueryTypes.SELECT,
    transaction,
  });
  for (const row of rows) result.get(row.sessionId)?.push(row.label);
  return result;
}
