import type { Db } from '../db';
import { messageColumns, sqlDate, type MessageFields } from './messages';

/**
 * Full-text search's reads (migration 007, PROTOCOL.md "Search"). Words come folded (lower case, no accents)
 * and made of letters and digits only (services/messages/searchText.ts), so nothing typed reaches either
 * database's query syntax: each is matched as the start of a word, and every one must be there.
 */

/** What narrows a search: the message's (or, for a customer match, the session's) time; the session's operator and label. */
export interface SearchFilters {
  from?: Date;
  to?: Date;
  operatorId?: number;
  label?: string;
}

/** A session's place in the customer matches' order (newest first). */
export interface SessionKey {
  createdAt: Date;
  id: string;
}

/**
 * How many of the newest messages MySQL reads one by one before it asks its full-text index. InnoDB's index
 * collects every message holding a word before the newest few can be picked, which costs about 3 µs a match
 * (a word in a tenth of a million messages: 0.3 s); the newest 2,000 messages read through the primary key
 * cost a few milliseconds whatever the word, and hold a page of any word that common. A rarer word goes on to
 * the index, where it is cheap. SQLite's FTS5 walks its index newest first itself and stops at the page.
 * (Measured on 1,000,000 messages, bench:search.)
 */
export const RECENT_SCAN: Record<Db['dialect'], number> = { mysql: 2000, sqlite: 0 };

const indexQuery = (db: Db, words: string[]): string => (db.dialect === 'mysql' ? words.map((word) => `+${word}*`).join(' ') : words.map((word) => `"${word}"*`).join(' '));

/** The filters as SQL over messages `m` (joined to sessions `s` when `operatorId` asks). */
function messageFilters(db: Db, filters: SearchFilters): { join: string; where: string[]; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filters.from) {
    where.push('m.created_at >= ?');
    values.push(sqlDate(db, filters.from));
  }
  if (filters.to) {
    where.push('m.created_at <= ?');
    values.push(sqlDate(db, filters.to));
  }
  if (filters.operatorId !== undefined) {
    where.push('s.operator_id = ?');
    values.push(filters.operatorId);
  }
  if (filters.label !== undefined) {
    where.push('EXISTS (SELECT 1 FROM session_labels l WHERE l.session_id = m.session_id AND l.label = ?)');
    values.push(filters.label);
  }
  return { join: filters.operatorId !== undefined ? ' JOIN chat_sessions s ON s.id = m.session_id' : '', where, values };
}

/** The newest message id (0 when there are none): where a first page starts. */
export async function newestMessageId(db: Db): Promise<number> {
  const [row] = await db.selectRows<{ id: number | string | null }>('SELECT MAX(id) AS id FROM chat_messages', [], undefined);
  return Number(row?.id ?? 0);
}

/**
 * Messages with ids in [floor, below) whose text contains every word somewhere (a superset of the matches:
 * the caller keeps those where each word starts a word), newest first, at most `limit`. Read through the
 * primary key: MySQL's collation folds case and accents in LIKE as in its index.
 */
export async function recentCandidates(db: Db, range: { below: number; floor: number }, words: string[], filters: SearchFilters, limit: number): Promise<MessageFields[]> {
  const { join, where, values } = messageFilters(db, filters);
  const contains = words.map(() => 'm.content LIKE ?');
  return db.selectRows<MessageFields>(
    `SELECT ${messageColumns('m')} FROM chat_messages m${join} WHERE m.id < ? AND m.id >= ? AND ${[...contains, ...where].join(' AND ')} ORDER BY m.id DESC LIMIT ?`,
    [range.below, range.floor, ...words.map((word) => `%${word}%`), ...values, limit],
    undefined,
  );
}

/**
 * How many messages with ids in [floor, below) contain each word: on MySQL, where asking the index for a word
 * costs in proportion to the messages holding it, the search asks it for the rarest word only.
 */
export async function wordCounts(db: Db, range: { below: number; floor: number }, words: string[]): Promise<number[]> {
  const [row] = await db.selectRows<Record<string, number | string | null>>(
    `SELECT ${words.map((_, i) => `SUM(content LIKE ?) AS w${i}`).join(', ')} FROM chat_messages WHERE id < ? AND id >= ?`,
    [...words.map((word) => `%${word}%`), range.below, range.floor],
    undefined,
  );
  return words.map((_, i) => Number(row?.[`w${i}`] ?? 0));
}

/**
 * Messages below an id that the full-text index says hold every one of `words` and whose text contains each of
 * `containing` (read from the rows the index found), newest first, at most `limit`.
 */
export async function indexedMatches(db: Db, below: number, words: string[], containing: string[], filters: SearchFilters, limit: number): Promise<MessageFields[]> {
  const filtered = messageFilters(db, filters);
  const join = filtered.join;
  const where = [...containing.map(() => 'm.content LIKE ?'), ...filtered.where];
  const values = [...containing.map((word) => `%${word}%`), ...filtered.values];
  const sql =
    db.dialect === 'mysql'
      ? `SELECT ${messageColumns('m')} FROM chat_messages m${join} WHERE MATCH (m.content) AGAINST (? IN BOOLEAN MODE) AND m.id < ?`
      : `SELECT ${messageColumns('m')} FROM chat_messages_fts f JOIN chat_messages m ON m.id = f.rowid${join} WHERE chat_messages_fts MATCH ? AND f.rowid < ?`;
  const order = db.dialect === 'mysql' ? 'm.id' : 'f.rowid';
  return db.selectRows<MessageFields>(`${sql}${where.map((w) => ` AND ${w}`).join('')} ORDER BY ${order} DESC LIMIT ?`, [indexQuery(db, words), below, ...values, limit], undefined);
}

/**
 * Sessions whose customer's name or email holds every word (the index), or whose customer id or email is
 * exactly `exact`, after `after` in the order newest first, at most `limit`: their ids and creation times.
 */
export async function customerMatches(db: Db, words: string[], exact: string, filters: SearchFilters, after: SessionKey | null, limit: number): Promise<SessionKey[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filters.from) {
    where.push('s.created_at >= ?');
    values.push(sqlDate(db, filters.from));
  }
  if (filters.to) {
    where.push('s.created_at <= ?');
    values.push(sqlDate(db, filters.to));
  }
  if (filters.operatorId !== undefined) {
    where.push('s.operator_id = ?');
    values.push(filters.operatorId);
  }
  if (filters.label !== undefined) {
    where.push('EXISTS (SELECT 1 FROM session_labels l WHERE l.session_id = s.id AND l.label = ?)');
    values.push(filters.label);
  }
  if (after) {
    where.push('(s.created_at < ? OR (s.created_at = ? AND s.id < ?))');
    values.push(sqlDate(db, after.createdAt), sqlDate(db, after.createdAt), after.id);
  }
  const rest = `${where.map((w) => ` AND ${w}`).join('')} ORDER BY s.created_at DESC, s.id DESC LIMIT ?`;
  const indexed =
    db.dialect === 'mysql'
      ? 'SELECT s.id, s.created_at AS createdAt FROM chat_sessions s WHERE MATCH (s.customer_name, s.customer_email) AGAINST (? IN BOOLEAN MODE)'
      : 'SELECT s.id, s.created_at AS createdAt FROM chat_sessions_fts f JOIN chat_sessions s ON s.rowid = f.rowid WHERE chat_sessions_fts MATCH ?';
  // Three reads, each through its own index: MariaDB answered an OR of the two exact ones by reading every
  // session in creation order (0.3 s on 100,000 sessions, bench:search).
  type Row = { id: string; createdAt: Date | string };
  const byExact = (column: string) => db.selectRows<Row>(`SELECT s.id, s.created_at AS createdAt FROM chat_sessions s WHERE s.${column} = ?${rest}`, [exact, ...values, limit], undefined);
  const found = await Promise.all([
    words.length > 0 ? db.selectRows<Row>(`${indexed}${rest}`, [indexQuery(db, words), ...values, limit], undefined) : [],
    byExact('customer_id'),
    byExact('customer_email'),
  ]);
  const unique = new Map(found.flat().map((row) => [row.id, { id: row.id, createdAt: new Date(row.createdAt) }]));
  return [...unique.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, limit);
}
