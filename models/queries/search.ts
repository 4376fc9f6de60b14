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

/**
 * What each way costs MySQL, measured with bench:search on 1,000,000 messages (MariaDB CPU per search): a
 * message read one by one about 1.8 µs, a match of the full-text index about 7.3 µs (its row read included).
 * When the newest messages held a few matches, the search reads on one by one while that is cheaper than the
 * index would be for a word that frequent, up to `maxExtraScan` more messages (extraScan).
 */
const MYSQL_COSTS = { scanPerRow: 1.8, indexPerMatch: 7.3, maxExtraScan: 20_000 };

/**
 * The same for customers' names and emails: their index is small, and slow only for a word most customers share
 * (a company's email domain), which the newest few hundred sessions hold many times over.
 */
const RECENT_SESSIONS: Record<Db['dialect'], number> = { mysql: 500, sqlite: 0 };

/**
 * How many more messages to read one by one after `found` matches in the newest `read` of about `total`: as many
 * as should hold the rest of a page, when that costs MySQL less than the full-text index would for a word that
 * frequent (MYSQL_COSTS); none when nothing was found (a rare word: the index is cheap).
 */
export function extraScan(found: number, read: number, want: number, total: number): number {
  if (found === 0 || found >= want || read === 0) return 0;
  const density = found / read;
  const rows = Math.ceil(((want - found) / density) * 1.5);
  const indexCost = density * total * MYSQL_COSTS.indexPerMatch;
  return rows * MYSQL_COSTS.scanPerRow < indexCost ? Math.min(rows, MYSQL_COSTS.maxExtraScan) : 0;
}

const indexQuery = (db: Db, words: string[]): string => (db.dialect === 'mysql' ? words.map((word) => `+${word}*`).join(' ') : words.map((word) => `"${word}"*`).join(' '));

/**
 * The filters as SQL: `time` is the column the dates bound, `sessionId` the session's id; the operator is
 * always read from sessions `s`.
 */
function filterClauses(db: Db, filters: SearchFilters, time: string, sessionId: string): { where: string[]; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filters.from) {
    where.push(`${time} >= ?`);
    values.push(sqlDate(db, filters.from));
  }
  if (filters.to) {
    where.push(`${time} <= ?`);
    values.push(sqlDate(db, filters.to));
  }
  if (filters.operatorId !== undefined) {
    where.push('s.operator_id = ?');
    values.push(filters.operatorId);
  }
  if (filters.label !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM session_labels l WHERE l.session_id = ${sessionId} AND l.label = ?)`);
    values.push(filters.label);
  }
  return { where, values };
}

/** The filters over messages `m`, joined to sessions `s` when `operatorId` asks. */
function messageFilters(db: Db, filters: SearchFilters): { join: string; where: string[]; values: unknown[] } {
  return { join: filters.operatorId !== undefined ? ' JOIN chat_sessions s ON s.id = m.session_id' : '', ...filterClauses(db, filters, 'm.created_at', 'm.session_id') };
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

type KeyRow = { id: string; createdAt: Date | string };

/** Sessions strictly older than `key` in the order newest first (creation, then id). */
function olderThan(db: Db, key: SessionKey): { sql: string; values: unknown[] } {
  const at = sqlDate(db, key.createdAt);
  return { sql: '(s.created_at < ? OR (s.created_at = ? AND s.id < ?))', values: [at, at, key.id] };
}

/**
 * Sessions whose customer's name or email holds every word, or whose customer id or email is exactly `exact`,
 * after `after` in the order newest first (creation, then id), at most `limit`: their ids and creation times.
 * Words are looked for as messages are: in the newest sessions first (RECENT_SESSIONS), through the creation
 * index, then in the full-text index for the older ones: a word every customer's email holds (a shared domain, a common
 * prefix) made MySQL's index expand thousands of words (6.8 s at p99 on 100,000 sessions, bench:search).
 */
export async function customerMatches(db: Db, words: string[], exact: string, filters: SearchFilters, after: SessionKey | null, limit: number): Promise<SessionKey[]> {
  const { where, values } = filterClauses(db, filters, 's.created_at', 's.id');
  if (after) {
    const older = olderThan(db, after);
    where.push(older.sql);
    values.push(...older.values);
  }
  const select = (from: string, conditions: string[], given: unknown[]): Promise<KeyRow[]> =>
    db.selectRows<KeyRow>(`SELECT s.id, s.created_at AS createdAt FROM ${from} WHERE ${[...conditions, ...where].join(' AND ')} ORDER BY s.created_at DESC, s.id DESC LIMIT ?`, [
      ...given,
      ...values,
      limit,
    ], undefined);
  // The exact ones: two reads through their own indexes (MariaDB answered an OR of them by reading every session).
  const found = await Promise.all([select('chat_sessions s', ['s.customer_id = ?'], [exact]), select('chat_sessions s', ['s.customer_email = ?'], [exact])]);
  if (words.length > 0) found.push(await byWords(db, words, after, select, limit));
  const unique = new Map(found.flat().map((row) => [row.id, { id: row.id, createdAt: new Date(row.createdAt) }]));
  return [...unique.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, limit);
}

/** The word matches of customerMatches: the newest RECENT_SESSIONS sessions read directly, the index for the rest. */
async function byWords(
  db: Db,
  words: string[],
  after: SessionKey | null,
  select: (from: string, conditions: string[], given: unknown[]) => Promise<KeyRow[]>,
  limit: number,
): Promise<KeyRow[]> {
  const indexed =
    db.dialect === 'mysql'
      ? { from: 'chat_sessions s', condition: 'MATCH (s.customer_name, s.customer_email) AGAINST (? IN BOOLEAN MODE)' }
      : { from: 'chat_sessions_fts f JOIN chat_sessions s ON s.rowid = f.rowid', condition: 'chat_sessions_fts MATCH ?' };
  const scan = RECENT_SESSIONS[db.dialect];
  if (scan === 0) return select(indexed.from, [indexed.condition], [indexQuery(db, words)]);
  // The oldest session of the window (none: the window holds every session left).
  const start = after ? olderThan(db, after) : { sql: '1 = 1', values: [] };
  const [edge] = await db.selectRows<KeyRow>(
    `SELECT s.id, s.created_at AS createdAt FROM chat_sessions s WHERE ${start.sql} ORDER BY s.created_at DESC, s.id DESC LIMIT 1 OFFSET ${scan - 1}`,
    start.values,
    undefined,
  );
  const contains = words.map(() => '(s.customer_name LIKE ? OR s.customer_email LIKE ?)');
  const patterns = words.flatMap((word) => [`%${word}%`, `%${word}%`]);
  if (!edge) return select('chat_sessions s', contains, patterns);
  const beyond = olderThan(db, { id: edge.id, createdAt: new Date(edge.createdAt) });
  const recent = await select('chat_sessions s', [...contains, `NOT ${beyond.sql}`], [...patterns, ...beyond.values]);
  if (recent.length >= limit) return recent;
  return [...recent, ...(await select(indexed.from, [indexed.condition, beyond.sql], [indexQuery(db, words), ...beyond.values]))];
}
