import type { Transaction } from 'sequelize';
import type { Db } from '../../models/db';
import type { ChatSession } from '../../models';
import { findSession, queueIds, queuePosition } from '../../models/queries/sessions';
import type { SessionDTO } from '../contract';
import { toSessionDTO } from '../dto';
import { NotFoundError } from '../errors';

/** Sessions as PROTOCOL.md shows them: with their operator's name, and their queue position while waiting. */

export async function getSession(db: Db, id: string, transaction?: Transaction): Promise<ChatSession> {
  const session = await findSession(db, id, transaction);
  if (!session) throw new NotFoundError('Session not found');
  return session;
}

export async function sessionDTO(db: Db, session: ChatSession, transaction?: Transaction): Promise<SessionDTO> {
  return toSessionDTO(session, session.status === 'waiting' ? await queuePosition(db, session, transaction) : undefined);
}

/** The session by id, as shown. */
export async function viewSession(db: Db, id: string, transaction?: Transaction): Promise<SessionDTO> {
  return sessionDTO(db, await getSession(db, id, transaction), transaction);
}

/** Many sessions at once: queue positions computed from one read of the queue. */
export async function sessionDTOs(db: Db, sessions: ChatSession[], transaction?: Transaction): Promise<SessionDTO[]> {
  if (!sessions.some((s) => s.status === 'waiting')) return sessions.map((s) => toSessionDTO(s));
  const positions = new Map((await queueIds(db, transaction)).map((id, i) => [id, i + 1]));
  return sessions.map((s) => toSessionDTO(s, positions.get(s.id)));
}
