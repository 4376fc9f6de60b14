import { randomUUID } from 'node:crypto';
import { Op, type Transaction } from 'sequelize';
import type { ChatMessage, MessageType, SenderType, SessionStatus } from '..';
import type { Db } from '../db';

/**
 * The message group's statements in plain SQL on the same pool (DESIGN.md decision 5): building the queries
 * through the ORM and model instances for every row of every group cost more CPU than storing the rows
 * (measured with bench:realtime: p99 at 2,000 msg/s went from 568 ms to 78 ms). Columns are selected under
 * the attributes' names, so a row reads like its model.
 */

/** A message's stored fields, as a row selected under the attributes' names reads (or a ChatMessage). */
export interface MessageFields {
  id: number | string;
  sessionId: string;
  senderType: SenderType;
  senderId?: string | null;
  senderName?: string | null;
  type: MessageType;
  content: string;
  clientMessageId?: string | null;
  /** The file the message came with (chat_attachments), if any. */
  attachmentId?: string | null;
  createdAt: Date | string;
  readAt?: Date | string | null;
  /** A note (1/0 from a raw row). */
  internal?: boolean | number;
}

/**
 * Whose clientMessageId a message carries, as the database computes the virtual column `sender_key` from the
 * stored sender (migration 003): the writer keys its own lookups the same way before it stores anything.
 */
export function senderKeyOf(senderType: MessageFields['senderType'], senderId: string | null): string {
  if (senderType === 'customer') return 'customer';
  return senderType === 'operator' ? `operator:${senderId ?? ''}` : '';
}

/** A clientMessageId belongs to its sender: `senderKey` is senderKeyOf the message's sender. */
export interface MessageKey {
  sessionId: string;
  senderKey: string;
  clientMessageId: string;
}

export interface MessageRow extends MessageKey {
  senderType: MessageFields['senderType'];
  senderId: string | null;
  senderName: string | null;
  type: MessageFields['type'];
  content: string;
  attachmentId: string | null;
  internal: boolean;
  createdAt: Date;
}

const FIELDS = [
  'id',
  'session_id AS sessionId',
  'sender_type AS senderType',
  'sender_id AS senderId',
  'sender_name AS senderName',
  'type',
  'content',
  'client_message_id AS clientMessageId',
  'attachment_id AS attachmentId',
  'internal',
  'created_at AS createdAt',
  'read_at AS readAt',
];
/** The columns of a MessageFields row, of the table under `alias` when a query joins others. */
export const messageColumns = (alias?: string): string => FIELDS.map((field) => (alias ? `${alias}.${field}` : field)).join(', ');
const COLUMNS = messageColumns();

/**
 * MariaDB reads an OR of (session_id, sender_key, client_message_id) triples through (session_id, id) unless
 * told otherwise: every message of the group's sessions, so a group cost grew with the conversations' length
 * (measured: 500 keys over 200 sessions holding 30,000 messages, 0.8–1 s instead of 25–30 ms). The unique
 * index (migration 003) answers each triple with one lookup. SQLite plans this well itself.
 */
const BY_KEY_HINT: Record<Db['dialect'], string> = { mysql: ' FORCE INDEX (chat_messages_session_sender_client_unique)', sqlite: '' };

/**
 * A Date as the DATETIME(3) text each dialect stores, in UTC (config/database.ts sets the timezone +00:00),
 * milliseconds kept: Sequelize's own escaping of a Date outside a model drops them on MySQL.
 */
export function sqlDate(db: Db, date: Date): string {
  const text = date.toISOString().replace('T', ' ').replace('Z', '');
  return db.dialect === 'sqlite' ? `${text} +00:00` : text;
}

export const keyOf = (k: MessageKey): string => `${k.sessionId}\u0000${k.senderKey}\u0000${k.clientMessageId}`;

/** The stored messages with these keys (each looked up once), by keyOf. */
export async function selectByKeys(db: Db, keys: MessageKey[], transaction?: Transaction): Promise<Map<string, MessageFields>> {
  const unique = [...new Map(keys.map((k) => [keyOf(k), k])).values()];
  if (unique.length === 0) return new Map();
  const where = unique.map(() => '(session_id = ? AND sender_key = ? AND client_message_id = ?)').join(' OR ');
  const rows = await db.selectRows<MessageFields>(
    `SELECT ${COLUMNS} FROM chat_messages${BY_KEY_HINT[db.dialect]} WHERE ${where}`,
    unique.flatMap((k) => [k.sessionId, k.senderKey, k.clientMessageId]),
    transaction,
  );
  return new Map(
    rows.map((row) => [keyOf({ sessionId: row.sessionId, senderKey: senderKeyOf(row.senderType, row.senderId ?? null), clientMessageId: row.clientMessageId as string }), row]),
  );
}

/** A session as a message group reads it (raw: a Date from mysql2, text from SQLite for the dates). */
export interface SessionRow {
  id: string;
  status: SessionStatus;
  operatorId: number | string | null;
  customerId: string | null;
  customerName: string | null;
  assignedAt: Date | string | null;
  firstResponseAt: Date | string | null;
  erasedAt: Date | string | null;
}

/** A session as a message's checks see it. */
export interface SessionState {
  id: string;
  status: SessionStatus;
  operatorId: number | null;
  customerId: string | null;
  customerName: string | null;
  /** Its content was erased: nothing more is kept in it, not even a note. */
  erased: boolean;
}

export const toSessionState = (row: SessionRow): SessionState => ({
  id: row.id,
  status: row.status,
  operatorId: row.operatorId === null ? null : Number(row.operatorId),
  customerId: row.customerId ?? null,
  customerName: row.customerName ?? null,
  erased: row.erasedAt !== null && row.erasedAt !== undefined,
});

/** The group's sessions, by primary key. */
export async function selectSessions(db: Db, ids: string[], transaction?: Transaction): Promise<SessionRow[]> {
  if (ids.length === 0) return [];
  return db.selectRows<SessionRow>(
    'SELECT id, status, operator_id AS operatorId, customer_id AS customerId, customer_name AS customerName, assigned_at AS assignedAt, first_response_at AS firstResponseAt, erased_at AS erasedAt FROM chat_sessions WHERE id IN (?)',
    [ids],
    transaction,
  );
}

/**
 * One page of a session's messages, through the (session_id, id) index: ascending from `after` (below `before`
 * if given) or, without `after`, descending from `before` (or from the newest). Read in plain SQL like the
 * writes: the ORM's query building cost more CPU than the read (bench:http).
 */
export async function selectPage(db: Db, sessionId: string, range: { after?: number; before?: number; notes: boolean }, limit: number): Promise<MessageFields[]> {
  const where = ['session_id = ?'];
  // A customer's pages: the (session_id, id) index still leads, the few notes are skipped as it is read.
  if (!range.notes) where.push('internal = 0');
  const values: unknown[] = [sessionId];
  if (range.after !== undefined) {
    where.push('id > ?');
    values.push(range.after);
  }
  if (range.before !== undefined) {
    where.push('id < ?');
    values.push(range.before);
  }
  const order = range.after !== undefined ? 'ASC' : 'DESC';
  return db.selectRows<MessageFields>(`SELECT ${COLUMNS} FROM chat_messages WHERE ${where.join(' AND ')} ORDER BY id ${order} LIMIT ?`, [...values, limit], undefined);
}

/** A row as INSERTed: system lines carry no clientMessageId (their sender key is the database's to compute). */
export type InsertedRow = Omit<MessageRow, 'senderKey' | 'clientMessageId'> & { clientMessageId: string | null };

/** One multi-row INSERT (a single statement is atomic); on MySQL, resolves to the first row's id. */
export async function insertRows(db: Db, rows: InsertedRow[], transaction?: Transaction): Promise<number> {
  const values = rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  return db.execute(
    `INSERT INTO chat_messages (session_id, sender_type, sender_id, sender_name, type, content, client_message_id, attachment_id, internal, created_at) VALUES ${values}`,
    rows.flatMap((r) => [r.sessionId, r.senderType, r.senderId, r.senderName, r.type, r.content, r.clientMessageId, r.attachmentId, r.internal ? 1 : 0, sqlDate(db, r.createdAt)]),
    transaction,
  );
}

/** Stamps the sessions written to (the idle sweeper reads it). */
export async function stampLastMessage(db: Db, ids: string[], at: Date, transaction?: Transaction): Promise<void> {
  await db.execute('UPDATE chat_sessions SET last_message_at = ? WHERE id IN (?)', [sqlDate(db, at), ids], transaction);
}

/**
 * Stamps the first answer of sessions their operator just answered, on the session (the accept timeout reads
 * it) and on its open assignment (the stats read it): each only while that operator still holds the session.
 */
export async function stampFirstResponse(db: Db, answered: Array<{ sessionId: string; operatorId: number }>, at: Date, transaction?: Transaction): Promise<void> {
  const pairs = answered.map(() => '(session_id = ? AND operator_id = ?)').join(' OR ');
  const sessions = answered.map(() => '(id = ? AND operator_id = ?)').join(' OR ');
  const values = answered.flatMap((a) => [a.sessionId, a.operatorId]);
  await db.execute(`UPDATE chat_sessions SET first_response_at = ? WHERE first_response_at IS NULL AND (${sessions})`, [sqlDate(db, at), ...values], transaction);
  await db.execute(`UPDATE session_assignments SET first_response_at = ? WHERE ended_at IS NULL AND first_response_at IS NULL AND (${pairs})`, [sqlDate(db, at), ...values], transaction);
}

/** The first message of each of many new sessions, in one INSERT (read back with firstMessagesOf). */
export async function insertFirstMessages(
  db: Db,
  messages: Array<{ sessionId: string; senderId: string | null; senderName: string | null; content: string; at: Date }>,
  transaction: Transaction,
): Promise<void> {
  if (messages.length === 0) return;
  // Every row has a key (the writer makes one up the same way when a client sends none).
  const rows = messages.map((m) => ({ sessionId: m.sessionId, senderType: 'customer' as const, senderId: m.senderId, senderName: m.senderName, type: 'text' as const, content: m.content, clientMessageId: `srv-${randomUUID()}`, createdAt: m.at }));
  await db.models.ChatMessage.bulkCreate(rows, { transaction, validate: false, returning: false });
}

/**
 * The first messages of sessions created in this transaction, by session: each holds only that one customer
 * message (read back: bulkCreate's ids are consecutive only under some MySQL settings, and not on SQLite).
 */
export async function firstMessagesOf(db: Db, sessionIds: string[], transaction: Transaction): Promise<Map<string, ChatMessage>> {
  if (sessionIds.length === 0) return new Map();
  // Their customer's lines only: a routing pass in the same transaction may have added a "joined" line since.
  const stored = await db.models.ChatMessage.findAll({ where: { sessionId: { [Op.in]: sessionIds }, senderType: 'customer' }, transaction });
  return new Map(stored.map((row) => [row.sessionId, row]));
}
