import { Op, col, fn, type Transaction } from 'sequelize';
import type { Db } from '../db';
import { insertRows, type InsertedRow, type MessageFields } from './messages';
import type { ChatMessage, SessionEventType } from '../index';

/** What a session's audit trail and conversation record of a change: its events and its system lines. */

export interface EventRow {
  sessionId: string;
  type: SessionEventType;
  operatorId: number | null;
  detail: Record<string, unknown> | null;
}

export async function insertEvents(db: Db, events: EventRow[], transaction: Transaction): Promise<void> {
  if (events.length === 1) await db.models.SessionEvent.create(events[0] as EventRow, { transaction });
  else if (events.length > 1) await db.models.SessionEvent.bulkCreate(events, { transaction, validate: false });
}

/** One system line in the conversation. */
export function insertSystemLine(db: Db, sessionId: string, content: string, at: Date, transaction: Transaction): Promise<ChatMessage> {
  return db.models.ChatMessage.create({ sessionId, senderType: 'system', senderId: null, senderName: null, type: 'system', content, createdAt: at }, { transaction });
}

/**
 * One system line in each of many sessions, in one INSERT. The ids come from the INSERT where the database hands
 * out consecutive ones (Db.insertIdStep), else the lines are read back (bulkCreate's ids are consecutive only
 * under some MySQL settings, and not on SQLite). The sessions must be locked by the caller, so that no other
 * line can be added to them before the commit: each one's newest system line is the one just written.
 */
export async function insertSystemLines(db: Db, lines: Array<{ sessionId: string; content: string }>, at: Date, transaction: Transaction): Promise<MessageFields[]> {
  const rows: InsertedRow[] = lines.map(({ sessionId, content }) => ({
    sessionId,
    senderType: 'system',
    senderId: null,
    senderName: null,
    type: 'system',
    content,
    clientMessageId: null,
    attachmentId: null,
    internal: false,
    createdAt: at,
  }));
  const step = await db.insertIdStep();
  const firstId = await insertRows(db, rows, transaction);
  if (step !== null) return rows.map((row, index) => ({ ...row, id: firstId + index * step, readAt: null }));
  const { ChatMessage } = db.models;
  const newest = (await ChatMessage.findAll({
    attributes: [[fn('MAX', col('id')), 'id']],
    where: { sessionId: { [Op.in]: lines.map((l) => l.sessionId) }, senderType: 'system' },
    group: ['session_id'],
    raw: true,
    transaction,
  })) as unknown as Array<{ id: number | string }>;
  return ChatMessage.findAll({ where: { id: { [Op.in]: newest.map((row) => Number(row.id)) } }, transaction });
}

/** The session's audit trail, oldest first. */
export function sessionEvents(db: Db, sessionId: string) {
  return db.models.SessionEvent.findAll({ where: { sessionId }, order: [['id', 'ASC']] });
}
