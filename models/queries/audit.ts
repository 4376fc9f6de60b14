import { QueryTypes, type Transaction } from 'sequelize';
import type { Db } from '../db';

/** A line of the audit log (migration 011), as stored. */
export interface AuditRow {
  id: number;
  createdAt: Date | string;
  actorId: number | null;
  actorName: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  /** JSON text. */
  detail: string | null;
}

export type NewAuditRow = Omit<AuditRow, 'id' | 'createdAt' | 'detail'> & { createdAt: Date; detail: Record<string, unknown> | null };

export async function insertAudit(db: Db, row: NewAuditRow, transaction?: Transaction): Promise<void> {
  await db.sequelize.query('INSERT INTO audit_log (created_at, actor_id, actor_name, action, target_type, target_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)', {
    replacements: [row.createdAt, row.actorId, row.actorName, row.action, row.targetType, row.targetId, row.detail === null ? null : JSON.stringify(row.detail)],
    transaction,
  });
}

/** Newest first: up to `limit` lines older than `beforeId` (all when undefined). */
export async function selectAudit(db: Db, limit: number, beforeId?: number): Promise<AuditRow[]> {
  const where = beforeId === undefined ? '' : 'WHERE id < ?';
  const rows = await db.sequelize.query<AuditRow>(
    `SELECT id, created_at AS createdAt, actor_id AS actorId, actor_name AS actorName, action, target_type AS targetType, target_id AS targetId, detail FROM audit_log ${where} ORDER BY id DESC LIMIT ?`,
    { replacements: beforeId === undefined ? [limit] : [beforeId, limit], type: QueryTypes.SELECT },
  );
  return rows.map((row) => ({ ...row, id: Number(row.id), actorId: row.actorId === null ? null : Number(row.actorId) }));
}
