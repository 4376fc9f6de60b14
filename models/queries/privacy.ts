import { QueryTypes, type Transaction } from 'sequelize';
import type { Db } from '../db';

/** What one session's erasure deleted. */
export interface ErasedContent {
  messages: number;
  attachments: number;
}

/**
 * The audit-trail lines whose detail may hold what people wrote or where mail went (a close reason, a rating,
 * an address): their detail goes with the content; the line itself (what happened, when, which operator) stays.
 */
const WORDED_EVENTS = ['closed', 'rated', 'mailed', 'mail_failed', 'transcript'];

const count = async (db: Db, sql: string, sessionId: string, transaction: Transaction): Promise<number> => {
  const [row] = await db.sequelize.query<{ n: number | string }>(sql, { replacements: [sessionId], type: QueryTypes.SELECT, transaction });
  return Number(row?.n ?? 0);
};

/**
 * Deletes everything a session holds of its customer and of what was said (PROTOCOL.md "Customer data"): its
 * messages (notes and system lines too; the search indexes follow: SQLite's by trigger, MySQL's FULLTEXT by
 * itself), its attachments' rows and the bytes kept in the database, its mails, and the words in its audit
 * trail. The session row is blanked by the caller. Run under the session's lock.
 */
export async function eraseSessionContent(db: Db, sessionId: string, transaction: Transaction): Promise<ErasedContent> {
  const messages = await count(db, 'SELECT COUNT(*) AS n FROM chat_messages WHERE session_id = ?', sessionId, transaction);
  const attachments = await count(db, 'SELECT COUNT(*) AS n FROM chat_attachments WHERE session_id = ?', sessionId, transaction);
  const run = (sql: string, replacements: unknown[] = [sessionId]): Promise<unknown> => db.sequelize.query(sql, { replacements, transaction });
  if (messages > 0) await run('DELETE FROM chat_messages WHERE session_id = ?');
  if (attachments > 0) {
    // Explicitly, not by cascade: SQLite here runs without foreign keys.
    await run('DELETE FROM chat_attachment_chunks WHERE attachment_id IN (SELECT id FROM chat_attachments WHERE session_id = ?)');
    await run('DELETE FROM chat_attachments WHERE session_id = ?');
  }
  await run('DELETE FROM mail_outbox WHERE session_id = ?');
  await run('UPDATE session_events SET detail = NULL WHERE session_id = ? AND type IN (?) AND detail IS NOT NULL', [sessionId, WORDED_EVENTS]);
  return { messages, attachments };
}

/** Closed sessions that closed before the cutoff and are not erased yet, oldest first (retention). */
export async function expiredSessionIds(db: Db, cutoff: Date, limit: number): Promise<string[]> {
  const rows = await db.sequelize.query<{ id: string }>(
    "SELECT id FROM chat_sessions WHERE status = 'closed' AND closed_at < ? AND erased_at IS NULL ORDER BY closed_at, id LIMIT ?",
    { replacements: [cutoff, limit], type: QueryTypes.SELECT },
  );
  return rows.map((row) => row.id);
}
