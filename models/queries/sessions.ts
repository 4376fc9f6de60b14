import { Op, col, fn, literal, type Transaction, type WhereOptions } from 'sequelize';
import type { Db } from '../db';
import { sqlDate } from './messages';
import type { ChatSession } from '../index';

/**
 * Sessions as the services read and write them. The waiting queue is defined here once: its order, its length,
 * a session's place in it.
 */

/** FIFO: the order the queue is served in (queued_at ties broken by id, so every process agrees). */
export const QUEUE_ORDER: [string, 'ASC'][] = [
  ['queuedAt', 'ASC'],
  ['id', 'ASC'],
];

/** QUEUE_ORDER for rows in hand (ids are lowercase hex UUIDs: the same order in JavaScript as in the index). */
export function inQueueOrder(a: Pick<ChatSession, 'id' | 'queuedAt'>, b: Pick<ChatSession, 'id' | 'queuedAt'>): number {
  const at = (a.queuedAt?.getTime() ?? 0) - (b.queuedAt?.getTime() ?? 0);
  return at !== 0 ? at : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** What a customer's handshake and connection need of their sessions: the token's hash, and whether and since when each waits. */
export interface SessionKey {
  id: string;
  customerTokenHash: string;
  status: ChatSession['status'];
  queuedAt: Date | string | null;
}

/** Many sessions' keys in one read, in plain SQL (a reconnect storm reads thousands: see ChatService). */
export function selectSessionKeys(db: Db, ids: string[]): Promise<SessionKey[]> {
  return db.selectRows<SessionKey>(
    'SELECT id, customer_token_hash AS customerTokenHash, status, queued_at AS queuedAt FROM chat_sessions WHERE id IN (?)',
    [ids],
    undefined,
  );
}

const withOperator = { association: 'operator', attributes: ['id', 'name'] };

export async function findSession(db: Db, id: string, transaction?: Transaction): Promise<ChatSession | null> {
  return db.models.ChatSession.findByPk(id, { include: [withOperator], transaction });
}

export async function findSessions(db: Db, where: WhereOptions, order: [string, string][], limit?: number, transaction?: Transaction): Promise<ChatSession[]> {
  return db.models.ChatSession.findAll({ where, include: [withOperator], order, limit, transaction });
}

/**
 * The session row locked for the rest of the transaction (SELECT … FOR UPDATE on MySQL; SQLite's transactions
 * of this process already run one at a time, Db.transaction): every change to a session decides from it.
 */
export async function lockSession(db: Db, id: string, transaction: Transaction): Promise<ChatSession | null> {
  return db.models.ChatSession.findByPk(id, { lock: transaction.LOCK.UPDATE, transaction });
}

/** The waiting queue, in the order it is served (with each session's operator name, for display). */
export function queueSessions(db: Db): Promise<ChatSession[]> {
  return findSessions(db, { status: 'waiting' }, QUEUE_ORDER);
}

/** The waiting sessions' ids in queue order. */
export async function queueIds(db: Db, transaction?: Transaction): Promise<string[]> {
  const rows = await db.models.ChatSession.findAll({ attributes: ['id'], where: { status: 'waiting' }, order: QUEUE_ORDER, transaction });
  return rows.map((row) => row.id);
}

/** How many sessions wait now. */
export function countWaiting(db: Db, transaction?: Transaction): Promise<number> {
  return db.models.ChatSession.count({ where: { status: 'waiting' }, transaction });
}

/** 1-based place in the queue of a waiting session. */
export async function queuePosition(db: Db, session: Pick<ChatSession, 'id' | 'queuedAt'>, transaction?: Transaction): Promise<number> {
  const queuedAt = session.queuedAt ?? new Date(0);
  const ahead = await db.models.ChatSession.count({
    where: { status: 'waiting', [Op.or]: [{ queuedAt: { [Op.lt]: queuedAt } }, { queuedAt, id: { [Op.lt]: session.id } }] },
    transaction,
  });
  return ahead + 1;
}

/** The waiting sessions' ids from `first` to `last` in queue order, both included: a stretch of the queue. */
export async function queueSpan(db: Db, first: Pick<ChatSession, 'id' | 'queuedAt'>, last: Pick<ChatSession, 'id' | 'queuedAt'>, transaction: Transaction): Promise<string[]> {
  const from = { [Op.or]: [{ queuedAt: { [Op.gt]: first.queuedAt } }, { queuedAt: first.queuedAt, id: { [Op.gte]: first.id } }] };
  const to = { [Op.or]: [{ queuedAt: { [Op.lt]: last.queuedAt } }, { queuedAt: last.queuedAt, id: { [Op.lte]: last.id } }] };
  const rows = await db.models.ChatSession.findAll({ attributes: ['id'], where: { status: 'waiting', [Op.and]: [from, to] }, order: QUEUE_ORDER, transaction });
  return rows.map((row) => row.id);
}

/**
 * The ids of the head of the queue among the sessions that operators of these departments can serve: a
 * hundred sessions of a department nobody online serves must not hide the ones behind them. Read without a
 * lock (a locking range read of the queue index would also lock its gaps and hold up every new session's insert).
 */
export async function queueHead(db: Db, departments: string[], limit: number, transaction: Transaction): Promise<string[]> {
  const servable = { [Op.or]: [{ department: null }, ...(departments.length > 0 ? [{ department: { [Op.in]: departments } }] : [])] };
  const head = await db.models.ChatSession.findAll({ attributes: ['id'], where: { status: 'waiting', ...servable }, order: QUEUE_ORDER, limit, transaction });
  return head.map((s) => s.id);
}

/** The sessions among these ids that still wait, locked, in queue order (whole rows: a pass shows the ones it assigns). */
export function lockWaiting(db: Db, ids: string[], transaction: Transaction): Promise<ChatSession[]> {
  return db.models.ChatSession.findAll({
    where: { id: { [Op.in]: ids }, status: 'waiting' },
    order: QUEUE_ORDER,
    lock: transaction.LOCK.UPDATE,
    transaction,
  });
}

/** The time a session requeued now takes so that it heads the queue. */
export async function headOfQueueTime(db: Db, transaction: Transaction): Promise<Date> {
  const head = (await db.models.ChatSession.min('queuedAt', { where: { status: 'waiting' }, transaction })) as Date | null;
  return new Date(Math.min(head ? new Date(head).getTime() - 1 : Date.now(), Date.now()));
}

/** Each returning customer's most recent operator, in one read. */
export async function previousOperators(db: Db, customerIds: string[], transaction?: Transaction): Promise<Map<string, number>> {
  const previous = new Map<string, number>();
  if (customerIds.length === 0) return previous;
  const rows = await db.models.ChatSession.findAll({
    attributes: ['customerId', 'operatorId'],
    where: { customerId: { [Op.in]: customerIds }, operatorId: { [Op.ne]: null } },
    order: [['createdAt', 'DESC']],
    transaction,
  });
  for (const row of rows) if (row.customerId && !previous.has(row.customerId)) previous.set(row.customerId, Number(row.operatorId));
  return previous;
}

/**
 * Gives many waiting sessions their operators in one statement (a routing pass): one CASE instead of a
 * statement per session. Returns how many rows changed.
 */
export async function assignMany(db: Db, plan: Array<{ sessionId: string; operatorId: number }>, at: Date, transaction: Transaction): Promise<number> {
  const operatorOf = `CASE id ${plan.map((a) => `WHEN ${db.sequelize.escape(a.sessionId)} THEN ${Number(a.operatorId)}`).join(' ')} END`;
  const [rows] = await db.models.ChatSession.update(
    { status: 'active', operatorId: literal(operatorOf), assignedAt: at, queuedAt: null, firstResponseAt: null },
    { where: { id: { [Op.in]: plan.map((a) => a.sessionId) }, status: 'waiting' }, transaction },
  );
  return rows;
}

/** Waits (creation → assignment) of sessions assigned recently, newest first, in seconds. */
export async function recentWaits(db: Db, since: Date, limit: number): Promise<number[]> {
  // Plain rows, read from the index (assigned_at, created_at) of migration 012 alone: a whole sample is `limit`
  // rows on every stats request, and model instances for them cost the event loop more than the read.
  const rows = await db.selectRows<{ createdAt: Date | string; assignedAt: Date | string }>(
    'SELECT created_at AS createdAt, assigned_at AS assignedAt FROM chat_sessions WHERE assigned_at >= ? ORDER BY assigned_at DESC LIMIT ?',
    [sqlDate(db, since), limit],
    undefined,
  );
  return rows.map((s) => (new Date(s.assignedAt).getTime() - new Date(s.createdAt).getTime()) / 1000);
}

/** Per operator: how many of the sessions they held were closed since then. */
export async function closedSince(db: Db, since: Date): Promise<Map<number, number>> {
  const rows = (await db.models.ChatSession.findAll({
    // COUNT(*), not of a column: the index (status, closed_at, operator_id) of migration 012 holds all it reads.
    attributes: ['operatorId', [fn('COUNT', literal('*')), 'n']],
    where: { status: 'closed', closedAt: { [Op.gte]: since }, operatorId: { [Op.ne]: null } },
    group: ['operatorId'],
    raw: true,
  })) as unknown as Array<{ operatorId: number; n: number | string }>;
  return new Map(rows.map((r) => [Number(r.operatorId), Number(r.n)]));
}

/** Per operator: the average rating of the sessions they held last. */
export async function averageRatings(db: Db): Promise<Map<number, number>> {
  const rows = (await db.models.ChatSession.findAll({
    attributes: ['operatorId', [fn('AVG', col('rating')), 'avg']],
    where: { rating: { [Op.ne]: null }, operatorId: { [Op.ne]: null } },
    group: ['operatorId'],
    raw: true,
  })) as unknown as Array<{ operatorId: number; avg: number | string }>;
  return new Map(rows.map((r) => [Number(r.operatorId), Number(r.avg)]));
}

export function countActive(db: Db): Promise<number> {
  return db.models.ChatSession.count({ where: { status: 'active' } });
}
