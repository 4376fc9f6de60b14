import { Op, type Transaction, type WhereOptions } from 'sequelize';
import type { Db } from '../../models/db';
import type { ChatSession } from '../../models';
import { NotFoundError } from '../errors';
import { toSessionDTO, type SessionDTO } from '../dto';

/** FIFO: the order the queue is served in (queued_at ties broken by id, so every process agrees). */
export const QUEUE_ORDER: [string, 'ASC'][] = [
  ['queuedAt', 'ASC'],
  ['id', 'ASC'],
];

const withOperator = { association: 'operator', attributes: ['id', 'name'] };

export async function findSession(db: Db, id: string, transaction?: Transaction): Promise<ChatSession | null> {
  return db.models.ChatSession.findByPk(id, { include: [withOperator], transaction });
}

export async function getSession(db: Db, id: string, transaction?: Transaction): Promise<ChatSession> {
  const session = await findSession(db, id, transaction);
  if (!session) throw new NotFoundError('Session not found');
  return session;
}

export async function findSessions(db: Db, where: WhereOptions, order: [string, string][], limit?: number, transaction?: Transaction): Promise<ChatSession[]> {
  return db.models.ChatSession.findAll({ where, include: [withOperator], order, limit, transaction });
}

/** 1-based place in the queue of a waiting session. */
export async function queuePosition(db: Db, session: ChatSession, transaction?: Transaction): Promise<number> {
  const queuedAt = session.queuedAt ?? new Date(0);
  const ahead = await db.models.ChatSession.count({
    where: {
      status: 'waiting',
      [Op.or]: [{ queuedAt: { [Op.lt]: queuedAt } }, { queuedAt, id: { [Op.lt]: session.id } }],
    },
    transaction,
  });
  return ahead + 1;
}

export async function waitingCount(db: Db): Promise<number> {
  return db.models.ChatSession.count({ where: { status: 'waiting' } });
}

/** The session as PROTOCOL.md shows it, with its queue position while waiting. */
export async function sessionDTO(db: Db, session: ChatSession): Promise<SessionDTO> {
  return toSessionDTO(session, session.status === 'waiting' ? await queuePosition(db, session) : undefined);
}

/** Many sessions at once: queue positions computed from one read of the queue. */
export async function sessionDTOs(db: Db, sessions: ChatSession[]): Promise<SessionDTO[]> {
  if (!sessions.some((s) => s.status === 'waiting')) return sessions.map((s) => toSessionDTO(s));
  const queue = await db.models.ChatSession.findAll({ attributes: ['id'], where: { status: 'waiting' }, order: QUEUE_ORDER });
  const positions = new Map(queue.map((s, i) => [s.id, i + 1]));
  return sessions.map((s) => toSessionDTO(s, positions.get(s.id)));
}
