import { QueryTypes, type Transaction } from 'sequelize';
import type { Db } from '../db';

/** Saved replies (migration 006): the team's (owner_key `shared`) and each operator's own (`operator:<id>`). */

export interface CannedRow {
  id: number;
  shortcut: string;
  content: string;
  scope: 'shared' | 'personal';
  department: string | null;
  ownerId: number | null;
}

const COLUMNS = 'id, shortcut, content, scope, department, owner_id AS ownerId';

export const ownerKeyOf = (scope: CannedRow['scope'], ownerId: number | null): string => (scope === 'shared' ? 'shared' : `operator:${ownerId ?? ''}`);

const fromRow = (row: CannedRow): CannedRow => ({ ...row, id: Number(row.id), ownerId: row.ownerId === null ? null : Number(row.ownerId) });

/**
 * LIKE's own wildcards in what a user typed are taken literally ('!' escapes: the same in MySQL and SQLite).
 * SQLite's LOWER folds ASCII letters only: there `É` finds `É` but not `é` (MySQL's collation folds both).
 */
const likePattern = (text: string): string => `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;

/** The shared ones and this operator's, by shortcut; `q` (case-insensitive) in the shortcut or the text. */
export async function selectCanned(db: Db, operatorId: number | null, q?: string): Promise<CannedRow[]> {
  const where = ['owner_key IN (?, ?)'];
  const replacements: unknown[] = ['shared', ownerKeyOf('personal', operatorId)];
  if (q) {
    where.push("(LOWER(shortcut) LIKE ? ESCAPE '!' OR LOWER(content) LIKE ? ESCAPE '!')");
    replacements.push(likePattern(q), likePattern(q));
  }
  const rows = await db.sequelize.query<CannedRow>(`SELECT ${COLUMNS} FROM canned_responses WHERE ${where.join(' AND ')} ORDER BY shortcut, scope LIMIT 200`, {
    replacements,
    type: QueryTypes.SELECT,
  });
  return rows.map(fromRow);
}

export async function findCanned(db: Db, id: number, transaction?: Transaction): Promise<CannedRow | null> {
  const [row] = await db.sequelize.query<CannedRow>(`SELECT ${COLUMNS} FROM canned_responses WHERE id = ?`, { replacements: [id], type: QueryTypes.SELECT, transaction });
  return row ? fromRow(row) : null;
}

export async function insertCanned(db: Db, row: Omit<CannedRow, 'id'>, at: Date): Promise<number> {
  await db.sequelize.query(
    'INSERT INTO canned_responses (owner_key, owner_id, scope, shortcut, content, department, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    { replacements: [ownerKeyOf(row.scope, row.ownerId), row.ownerId, row.scope, row.shortcut, row.content, row.department, at, at] },
  );
  const [created] = await db.sequelize.query<{ id: number }>('SELECT id FROM canned_responses WHERE owner_key = ? AND shortcut = ?', {
    replacements: [ownerKeyOf(row.scope, row.ownerId), row.shortcut],
    type: QueryTypes.SELECT,
  });
  return Number(created?.id);
}

export type CannedChanges = Partial<Pick<CannedRow, 'shortcut' | 'content' | 'department'>>;

/** The columns a change may name: fixed here, never taken from the request. */
const CHANGEABLE: Array<keyof CannedChanges> = ['shortcut', 'content', 'department'];

export async function updateCanned(db: Db, id: number, changes: CannedChanges, at: Date): Promise<void> {
  const named = CHANGEABLE.filter((column) => changes[column] !== undefined);
  if (named.length === 0) return;
  await db.sequelize.query(`UPDATE canned_responses SET ${named.map((column) => `${column} = ?`).join(', ')}, updated_at = ? WHERE id = ?`, {
    replacements: [...named.map((column) => changes[column]), at, id],
  });
}

export async function deleteCanned(db: Db, id: number): Promise<void> {
  await db.sequelize.query('DELETE FROM canned_responses WHERE id = ?', { replacements: [id] });
}
