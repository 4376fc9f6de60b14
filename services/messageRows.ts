import { QueryTypes } from 'sequelize';
import type { SessionStatus } from '../models';
import type { Db } from '../models/db';
import { toMessageDTO, type MessageDTO, type MessageFields } from './dto';

/**
 * The message group's statements in plain SQL on the same pool (DESIGN.md decision 5): building the queries
 * through the ORM and model instances for every row of every group cost more CPU than storing the rows
 * (measured with bench:realtime: p99 at 2,000 msg/s went from 568 ms to 78 ms). Columns are selected under
 * the attributes' names, so a row reads like its model.
 */

export interface MessageKey {
  sessionId: string;
  clientMessageId: string;
}

export interface MessageRow extends MessageKey {
  senderType: MessageFields['senderType'];
  senderId: string | null;
  type: MessageFields['type'];
  content: string;
  createdAt: Date;
}

const COLUMNS =
  'id, session_id AS sessionId, sender_type AS senderType, sender_id AS senderId, type, content, client_message_id AS clientMessageId, created_at AS createdAt, read_at AS readAt';

/**
 * MariaDB reads an OR of (session_id, client_message_id) pairs through (session_id, id) unless told otherwise:
 * every message of the group's sessions, so a group cost grew with the conversations' length (measured:
 * 500 keys over 200 sessions holding 30,000 messages, 0.8–1 s instead of 25–30 ms). The unique index
 * (migration 001) answers each pair with one lookup. SQLite plans this well itself.
 */
const BY_KEY_HINT: Record<Db['dialect'], string> = { mysql: ' FORCE INDEX (chat_messages_session_client_unique)', sqlite: '' };

/**
 * A Date as the DATETIME(3) text each dialect stores, in UTC (config/database.ts sets the timezone +00:00),
 * milliseconds kept: Sequelize's own escaping of a Date outside a model drops them on MySQL.
 */
function sqlDate(db: Db, date: Date): string {
  const text = date.toISOString().replace('T', ' ').replace('Z', '');
  return db.dialect === 'sqlite' ? `${text} +00:00` : text;
}

/** The stored messages with these keys (each pair looked up once), as DTOs. */
export async function selectByKeys(db: Db, keys: MessageKey[]): Promise<MessageDTO[]> {
  const pairs = new Map(keys.map((k) => [`${k.sessionId}\u0000${k.clientMessageId}`, k]));
  if (pairs.size === 0) return [];
  const where = [...pairs.values()].map(() => '(session_id = ? AND client_message_id = ?)').join(' OR ');
  const rows = await db.sequelize.query<MessageFields>(`SELECT ${COLUMNS} FROM chat_messages${BY_KEY_HINT[db.dialect]} WHERE ${where}`, {
    replacements: [...pairs.values()].flatMap((k) => [k.sessionId, k.clientMessageId]),
    type: QueryTypes.SELECT,
  });
  return rows.map(toMessageDTO);
}

/** A session as a message group reads it (raw: a Date from mysql2, text from SQLite for the dates). */
export interface SessionRow {
  id: string;
  status: SessionStatus;
  operatorId: number | string | null;
  customerId: string | null;
  assignedAt: Date | string | null;
  firstResponseAt: Date | string | null;
}

/** What a group reads before it writes: its sessions, and those of its keys already stored (retries). */
export interface GroupLookup {
  sessions: SessionRow[];
  stored: MessageDTO[];
}

type LookupRow = SessionRow & { [K in keyof MessageFields as `m_${K}`]: MessageFields[K] | null };

/**
 * The group's sessions and its keys already stored, in one statement: each session joined to its messages
 * whose client ids the group holds (on the unique index), so a group needs one read instead of two. A key
 * stored under another of the group's sessions also joins; only exact (session, client id) pairs are kept.
 */
export async function lookUpGroup(db: Db, keys: MessageKey[]): Promise<GroupLookup> {
  if (keys.length === 0) return { sessions: [], stored: [] };
  const sessionIds = [...new Set(keys.map((k) => k.sessionId))];
  const clientIds = [...new Set(keys.map((k) => k.clientMessageId))];
  const rows = await db.sequelize.query<LookupRow>(
    'SELECT s.id, s.status, s.operator_id AS operatorId, s.customer_id AS customerId, s.assigned_at AS assignedAt, s.first_response_at AS firstResponseAt, ' +
      'm.id AS m_id, m.session_id AS m_sessionId, m.sender_type AS m_senderType, m.sender_id AS m_senderId, m.type AS m_type, m.content AS m_content, ' +
      'm.client_message_id AS m_clientMessageId, m.created_at AS m_createdAt, m.read_at AS m_readAt ' +
      `FROM chat_sessions s LEFT JOIN chat_messages m${BY_KEY_HINT[db.dialect]} ON m.session_id = s.id AND m.client_message_id IN (?) WHERE s.id IN (?)`,
    { replacements: [clientIds, sessionIds], type: QueryTypes.SELECT },
  );
  const wanted = new Set(keys.map((k) => `${k.sessionId}\u0000${k.clientMessageId}`));
  const sessions = new Map<string, SessionRow>();
  const stored: MessageDTO[] = [];
  for (const row of rows) {
    const { id, status, operatorId, customerId, assignedAt, firstResponseAt } = row;
    sessions.set(id, { id, status, operatorId, customerId, assignedAt, firstResponseAt });
    if (row.m_id === null || !wanted.has(`${id}\u0000${row.m_clientMessageId}`)) continue;
    stored.push(
      toMessageDTO({
        id: row.m_id,
        sessionId: id,
        senderType: row.m_senderType as MessageFields['senderType'],
        senderId: row.m_senderId,
        type: row.m_type as MessageFields['type'],
        content: row.m_content as string,
        clientMessageId: row.m_clientMessageId,
        createdAt: row.m_createdAt as Date | string,
        readAt: row.m_readAt,
      }),
    );
  }
  return { sessions: [...sessions.values()], stored };
}

/**
 * How far apart the ids of one multi-row INSERT are, when they can be computed from the first one instead of
 * read back: MySQL/MariaDB hand a multi-row INSERT consecutive auto-increment values (one `step` apart)
 * under innodb_autoinc_lock_mode 0 or 1 (MariaDB's default), not under 2 (MySQL 8's default). null: read back.
 * SQLite is always read back: it runs in the process, so a read costs no round trip.
 */
export async function insertIdStep(db: Db): Promise<number | null> {
  if (db.dialect !== 'mysql') return null;
  const [row] = await db.sequelize.query<{ lockMode: number | string; step: number | string }>(
    'SELECT @@innodb_autoinc_lock_mode AS lockMode, @@auto_increment_increment AS step',
    { type: QueryTypes.SELECT },
  );
  return row && Number(row.lockMode) <= 1 ? Number(row.step) : null;
}

/** One multi-row INSERT, its own commit (a single statement is atomic); resolves to the first row's id. */
export async function insertRows(db: Db, rows: MessageRow[]): Promise<number> {
  const values = rows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
  const [firstId] = await db.sequelize.query(
    `INSERT INTO chat_messages (session_id, sender_type, sender_id, type, content, client_message_id, created_at) VALUES ${values}`,
    {
      replacements: rows.flatMap((r) => [r.sessionId, r.senderType, r.senderId, r.type, r.content, r.clientMessageId, sqlDate(db, r.createdAt)]),
      type: QueryTypes.INSERT,
    },
  );
  return Number(firstId);
}

/** Stamps the sessions written to (the idle sweeper reads it). */
export async function stampLastMessage(db: Db, ids: string[], at: Date): Promise<void> {
  await db.sequelize.query('UPDATE chat_sessions SET last_message_at = ? WHERE id IN (?)', { replacements: [sqlDate(db, at), ids] });
}

/** Stamps the first answer of sessions an operator just answered (the stats read it). */
export async function stampFirstResponse(db: Db, ids: string[], at: Date): Promise<void> {
  await db.sequelize.query('UPDATE chat_sessions SET first_response_at = ? WHERE id IN (?) AND first_response_at IS NULL', {
    replacements: [sqlDate(db, at), ids],
  });
}
