import type { Transaction } from 'sequelize';
import type { Db } from '../db';
import { sqlDate } from './messages';
import { insertEvents } from './sessionLog';

/** The mail outbox (migration 009). */

export interface NewMail {
  sessionId: string | null;
  kind: string;
  recipients: string[];
  subject: string;
  text: string;
  html: string;
  replyTo: string | null;
  messageId: string;
}

export interface QueuedMail extends NewMail {
  id: number;
  attempts: number;
  createdAt: Date;
}

interface Row {
  id: number | string;
  sessionId: string | null;
  kind: string;
  recipients: string;
  subject: string;
  text: string;
  html: string;
  replyTo: string | null;
  messageId: string;
  attempts: number | string;
  createdAt: Date | string;
}

const COLUMNS =
  'id, session_id AS sessionId, kind, recipients, subject, text_body AS text, html_body AS html, reply_to AS replyTo, message_id AS messageId, attempts, created_at AS createdAt';

export async function insertMail(db: Db, mail: NewMail, at: Date, transaction: Transaction): Promise<void> {
  await db.execute(
    'INSERT INTO mail_outbox (session_id, kind, recipients, subject, text_body, html_body, reply_to, message_id, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)',
    [mail.sessionId, mail.kind, JSON.stringify(mail.recipients), mail.subject, mail.text, mail.html, mail.replyTo, mail.messageId, 'pending', sqlDate(db, at), sqlDate(db, at)],
    transaction,
  );
}

/**
 * Claims up to `limit` mails due at `now`: each moved `leaseMs` ahead and counted as an attempt, in one
 * transaction, so that no other process takes them until the lease runs out (a process that dies mid-send
 * leaves its mails to be claimed again). MySQL skips the rows another process is claiming at this moment.
 */
export async function claimDue(db: Db, now: Date, leaseMs: number, limit: number): Promise<QueuedMail[]> {
  return db.transaction(async (transaction) => {
    const lock = db.dialect === 'mysql' ? ' FOR UPDATE SKIP LOCKED' : '';
    const due = await db.selectRows<{ id: number | string }>(
      `SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?${lock}`,
      [sqlDate(db, now), limit],
      transaction,
    );
    if (due.length === 0) return [];
    const ids = due.map((row) => Number(row.id));
    await db.execute('UPDATE mail_outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id IN (?)', [sqlDate(db, new Date(now.getTime() + leaseMs)), ids], transaction);
    const rows = await db.selectRows<Row>(`SELECT ${COLUMNS} FROM mail_outbox WHERE id IN (?) ORDER BY id`, [ids], transaction);
    return rows.map((row) => ({
      ...row,
      id: Number(row.id),
      attempts: Number(row.attempts),
      recipients: JSON.parse(row.recipients) as string[],
      createdAt: new Date(row.createdAt),
    }));
  });
}

/** Sent: so marked, and said in its session's events. */
export async function markSent(db: Db, mail: QueuedMail, at: Date): Promise<void> {
  await db.transaction(async (transaction) => {
    // Sent is sent, whoever holds the claim now: a second claimer's send is the duplicate, not this one.
    await db.execute("UPDATE mail_outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?", [sqlDate(db, at), mail.id], transaction);
    if (mail.sessionId) await insertEvents(db, [{ sessionId: mail.sessionId, type: 'mailed', operatorId: null, detail: { kind: mail.kind, recipients: mail.recipients.length } }], transaction);
  });
}

/** The next try, unless another process has claimed the mail since (its attempt count moved on): its claim stands. */
export async function reschedule(db: Db, mail: QueuedMail, at: Date, error: string): Promise<void> {
  await db.transaction((transaction) =>
    db.execute("UPDATE mail_outbox SET next_attempt_at = ?, last_error = ? WHERE id = ? AND attempts = ? AND status = 'pending'", [sqlDate(db, at), error.slice(0, 500), mail.id, mail.attempts], transaction),
  );
}

/** Given up on: so marked, and said in its session's events. */
export async function markFailed(db: Db, mail: QueuedMail, error: string): Promise<void> {
  await db.transaction(async (transaction) => {
    await db.execute("UPDATE mail_outbox SET status = 'failed', last_error = ? WHERE id = ? AND attempts = ? AND status = 'pending'", [error.slice(0, 500), mail.id, mail.attempts], transaction);
    if (mail.sessionId) await insertEvents(db, [{ sessionId: mail.sessionId, type: 'mail_failed', operatorId: null, detail: { kind: mail.kind, error: error.slice(0, 200) } }], transaction);
  });
}
