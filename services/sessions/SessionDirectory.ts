import { Op, literal, type WhereOptions } from 'sequelize';
import type { Db } from '../../models/db';
import type { ChatSession } from '../../models';
import { sessionEvents } from '../../models/queries/sessionLog';
import { countWaiting, findSessions, queueSessions, recentWaits } from '../../models/queries/sessions';
import { countOnline } from '../../models/queries/operators';
import { canKnow, requireOperator, type Actor } from '../access';
import type { Availability, BusinessHours, SessionDTO, SessionEventDTO, SessionStatus } from '../contract';
import { nextOpenAt, withinBusinessHours } from '../settings/businessHours';
import { toSessionEventDTO } from '../dto';
import { decodeCursor, encodeCursor } from '../cursor';
import type { OperatorDirectory } from '../operators/availability';
import { getSession, sessionDTOs } from './sessionViews';

export interface HistoryFilters {
  status?: SessionStatus;
  operatorId?: number;
  customerId?: string;
  from?: Date;
  to?: Date;
  /** Only sessions carrying this label. */
  label?: string;
  /** Only sessions rated this (1 to 5). */
  rating?: number;
  /** Only "left a message" sessions (true), or only the others (false). */
  offline?: boolean;
  limit: number;
  cursor?: string;
}

const DEFAULT_WAIT_SECONDS = 60;

/** Sessions listed and looked up: the queue, the open ones, history, a customer's, a session's trail; availability. */
export class SessionDirectory {
  constructor(
    private readonly db: Db,
    private readonly operators: OperatorDirectory,
    /** The team's business hours in force (SettingsService), null when none are set. */
    private readonly businessHours: () => Promise<BusinessHours | null>,
    /** MAX_MESSAGE_LENGTH, told to the pages with the availability. */
    private readonly maxMessageLength: number,
  ) {}

  /** Waiting and active sessions; `mine` keeps the operator's own. */
  async listActive(actor: Actor, mine: boolean): Promise<SessionDTO[]> {
    requireOperator(actor);
    const where: WhereOptions = { status: { [Op.in]: ['waiting', 'active'] } };
    if (mine && actor.kind === 'operator') Object.assign(where, { operatorId: actor.operatorId });
    return sessionDTOs(this.db, await findSessions(this.db, where, [['createdAt', 'ASC'], ['id', 'ASC']]));
  }

  /** The waiting queue, in the order it is served. */
  async listQueue(actor: Actor): Promise<SessionDTO[]> {
    requireOperator(actor);
    return sessionDTOs(this.db, await queueSessions(this.db));
  }

  /** How many sessions wait now (a customer's socket is told on connect). */
  waitingCount(_actor: Actor): Promise<number> {
    return countWaiting(this.db);
  }

  async history(actor: Actor, filters: HistoryFilters): Promise<{ sessions: SessionDTO[]; nextCursor: string | null }> {
    requireOperator(actor);
    const where: Record<string | symbol, unknown> = {};
    if (filters.status) where.status = filters.status;
    if (filters.operatorId !== undefined) where.operatorId = filters.operatorId;
    if (filters.customerId !== undefined) where.customerId = filters.customerId;
    if (filters.rating !== undefined) where.rating = filters.rating;
    if (filters.offline !== undefined) where.offline = filters.offline;
    const created: Record<symbol, Date> = {};
    if (filters.from) created[Op.gte] = filters.from;
    if (filters.to) created[Op.lte] = filters.to;
    if (filters.from || filters.to) where.createdAt = created;
    if (filters.label !== undefined) where.id = { [Op.in]: literal(`(SELECT session_id FROM session_labels WHERE label = ${this.db.sequelize.escape(filters.label)})`) };
    if (filters.cursor) {
      const cursor = decodeCursor(filters.cursor, readSessionCursor);
      where[Op.and] = [{ [Op.or]: [{ createdAt: { [Op.lt]: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { [Op.lt]: cursor.id } }] }];
    }
    const rows = await findSessions(this.db, where as WhereOptions, [['createdAt', 'DESC'], ['id', 'DESC']], filters.limit + 1);
    const page = rows.slice(0, filters.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > filters.limit && last ? sessionCursor(last) : null;
    return { sessions: await sessionDTOs(this.db, page), nextCursor };
  }

  async customerSessions(actor: Actor, customerId: string): Promise<SessionDTO[]> {
    requireOperator(actor);
    return sessionDTOs(this.db, await findSessions(this.db, { customerId }, [['createdAt', 'DESC'], ['id', 'DESC']], 200));
  }

  async auditTrail(actor: Actor, sessionId: string): Promise<SessionEventDTO[]> {
    requireOperator(actor);
    canKnow(actor, sessionId);
    await getSession(this.db, sessionId);
    return (await sessionEvents(this.db, sessionId)).map(toSessionEventDTO);
  }

  /** Anyone: whether someone is online, how many could take a chat now, the queue and the expected wait, business hours. */
  async availability(_actor: Actor): Promise<Availability> {
    const now = new Date();
    const [online, available, waiting, waits, hours] = await Promise.all([
      countOnline(this.db),
      this.operators.countAvailable(),
      countWaiting(this.db),
      recentWaits(this.db, new Date(now.getTime() - 3_600_000), 50),
      this.businessHours(),
    ]);
    const averageWait = waits.length > 0 ? waits.reduce((a, b) => a + b, 0) / waits.length : DEFAULT_WAIT_SECONDS;
    const estimatedWaitSeconds = available > 0 && waiting === 0 ? 0 : online === 0 ? -1 : Math.round(averageWait * Math.ceil((waiting + 1) / online));
    const opens = nextOpenAt(hours, now);
    return {
      online: online > 0,
      availableOperators: available,
      waiting,
      estimatedWaitSeconds: Math.max(estimatedWaitSeconds, 0),
      withinBusinessHours: withinBusinessHours(hours, now),
      nextOpenAt: opens ? opens.toISOString() : null,
      maxMessageLength: this.maxMessageLength,
    };
  }
}

function sessionCursor(session: ChatSession): string {
  return encodeCursor({ c: session.createdAt.toISOString(), i: session.id });
}

function readSessionCursor(parsed: unknown): { createdAt: Date; id: string } | null {
  const { c, i } = (parsed ?? {}) as { c?: unknown; i?: unknown };
  const createdAt = new Date(String(c));
  return typeof i === 'string' && !Number.isNaN(createdAt.getTime()) ? { createdAt, id: i } : null;
}
