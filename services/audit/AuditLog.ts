import type { Transaction } from 'sequelize';
import type { Db } from '../../models/db';
import { insertAudit, selectAudit, type AuditRow } from '../../models/queries/audit';
import { requireAdmin, type Actor } from '../access';
import type { AuditAction, AuditEntryDTO, AuditTargetType } from '../contract';
import { decodeCursor, encodeCursor } from '../cursor';

/** What an admin action records: never a secret (a password is "reset", never given). */
export interface AuditRecord {
  action: AuditAction;
  target: { type: AuditTargetType; id: string | number | null };
  detail?: Record<string, unknown>;
}

const readCursor = (parsed: unknown): number | null => (typeof parsed === 'object' && parsed !== null && Number.isSafeInteger((parsed as { id?: unknown }).id) ? (parsed as { id: number }).id : null);

function toAuditEntryDTO(row: AuditRow): AuditEntryDTO {
  return {
    id: row.id,
    at: new Date(row.createdAt).toISOString(),
    actor: { id: row.actorId, name: row.actorName },
    action: row.action as AuditAction,
    target: { type: row.targetType as AuditTargetType, id: row.targetId },
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
  };
}

/**
 * The audit log (PROTOCOL.md `GET /api/audit`): who changed the team, its settings or a customer's data, and
 * when. Recorded in the transaction of the change where there is one, so a change and its line stand or fall
 * together; the actor's name is kept as it was, so a renamed or disabled operator's past stays readable.
 */
export class AuditLog {
  constructor(private readonly db: Db) {}

  async record(actor: Actor, entry: AuditRecord, transaction?: Transaction): Promise<void> {
    const operator = actor.kind === 'operator' ? actor : null;
    await insertAudit(
      this.db,
      {
        createdAt: new Date(),
        actorId: operator?.operatorId ?? null,
        actorName: operator?.name ?? null,
        action: entry.action,
        targetType: entry.target.type,
        targetId: entry.target.id === null ? null : String(entry.target.id),
        detail: entry.detail ?? null,
      },
      transaction,
    );
  }

  /** Newest first, `limit` at a time; `meta.nextCursor` continues. Admins only. */
  async list(actor: Actor, options: { limit: number; cursor?: string }): Promise<{ entries: AuditEntryDTO[]; nextCursor: string | null }> {
    requireAdmin(actor);
    const beforeId = options.cursor === undefined ? undefined : decodeCursor(options.cursor, readCursor);
    const rows = await selectAudit(this.db, options.limit + 1, beforeId);
    const page = rows.slice(0, options.limit);
    const last = page[page.length - 1];
    return { entries: page.map(toAuditEntryDTO), nextCursor: rows.length > options.limit && last ? encodeCursor({ id: last.id }) : null };
  }
}
