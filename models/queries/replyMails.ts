import type { Transaction } from 'sequelize';
import type { Db } from '../db';
import { sqlDate } from './messages';

/** What replies by email read and write (migration 010: chat_sessions.mailed_up_to). */

export interface UnmailedReply {
  id: number;
  senderName: string | null;
  content: string;
  createdAt: Date;
}

export interface ReplyTarget {
  customerName: string | null;
  customerEmail: string | null;
  mailedUpTo: number;
}

/**
 * Sessions with a customer email whose last message is recent (`since`), holding an operator message the
 * customer has not read, not yet mailed, from `dueBefore` or earlier: through the (status, last_message_at) index.
 */
export async function sessionsWithRepliesDue(db: Db, since: Date, dueBefore: Date, limit: number): Promise<string[]> {
  const rows = await db.selectRows<{ sessionId: string }>(
    `SELECT s.id AS sessionId FROM chat_sessions s JOIN chat_messages m ON m.session_id = s.id AND m.id > s.mailed_up_to
     WHERE s.status IN ('waiting', 'active', 'closed') AND s.last_message_at >= ? AND s.customer_email IS NOT NULL
       AND m.sender_type = 'operator' AND m.internal = 0 AND m.read_at IS NULL
     GROUP BY s.id HAVING MIN(m.created_at) <= ? ORDER BY MIN(m.created_at) LIMIT ?`,
    [sqlDate(db, since), sqlDate(db, dueBefore), limit],
    undefined,
  );
  return rows.map((row) => row.sessionId);
}

/** The session's customer and how far its replies were mailed, its row locked until the commit. */
export async function lockReplyTarget(db: Db, sessionId: string, transaction: Transaction): Promise<ReplyTarget | null> {
  const lock = db.dialect === 'mysql' ? ' FOR UPDATE' : '';
  const [row] = await db.selectRows<{ customerName: string | null; customerEmail: string | null; mailedUpTo: number | string }>(
    `SELECT customer_name AS customerName, customer_email AS customerEmail, mailed_up_to AS mailedUpTo FROM chat_sessions WHERE id = ?${lock}`,
    [sessionId],
    transaction,
  );
  return row ? { ...row, mailedUpTo: Number(row.mailedUpTo) } : null;
}

/** The operator messages after `afterId` the customer has not read (notes never), oldest first. */
export async function unmailedReplies(db: Db, sessionId: string, afterId: number, transaction: Transaction): Promise<UnmailedReply[]> {
  const rows = await db.selectRows<{ id: number | string; senderName: string | null; content: string; createdAt: Date | string }>(
    "SELECT id, sender_name AS senderName, content, created_at AS createdAt FROM chat_messages WHERE session_id = ? AND id > ? AND sender_type = 'operator' AND internal = 0 AND read_at IS NULL ORDER BY id",
    [sessionId, afterId],
    transaction,
  );
  return rows.map((row) => ({ ...row, id: Number(row.id), createdAt: new Date(row.createdAt) }));
}

export async function markMailedUpTo(db: Db, sessionId: string, upTo: number, transaction: Transaction): Promise<void> {
  await db.execute('UPDATE chat_sessions SET mailed_up_to = ? WHERE id = ? AND mailed_up_to < ?', [upTo, sessionId, upTo], transaction);
}
