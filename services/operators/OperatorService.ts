import { Op, UniqueConstraintError, fn, col, literal } from 'sequelize';
import type { StrategyName } from '../../config';
import type { Db } from '../../models/db';
import type { Operator, OperatorRole, OperatorStatus } from '../../models';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import type { Actor, OperatorActor } from '../access';
import { isAdmin } from '../access';
import type { StateCache } from '../cache/StateCache';
import type { CachedOperator } from '../cache/CacheStore';
import { toCachedOperator } from '../cache/snapshot';
import type { DomainEvents } from '../events/DomainEvents';
import { toOperatorDTO, type OperatorDTO, type SessionDTO } from '../dto';
import { hashPassword } from './passwords';
import { LEASE_MS } from './PresenceService';
import type { Assigner, Assignment } from '../routing/Assigner';
import { findSessions, getSession, sessionDTOs } from '../sessions/sessionReads';

export interface CreateOperatorInput {
  name: string;
  email: string;
  password: string;
  role?: OperatorRole;
  maxConcurrentSessions?: number;
  departments?: string[];
}

export type UpdateOperatorInput = Partial<Omit<CreateOperatorInput, 'email'>> & { disabled?: boolean };

export interface OperatorStats {
  operators: Array<{
    operatorId: number;
    name: string;
    status: OperatorStatus;
    activeSessions: number;
    closedToday: number;
    avgFirstResponseSeconds: number | null;
    avgRating: number | null;
  }>;
  overall: { waiting: number; active: number; avgWaitSeconds: number | null };
}

const round1 = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10);

/** Operators: their records, status and load, and the entry points into routing. */
export class OperatorService {
  /** The last answer of available() and the cached list it was computed from. Shared: callers never mutate it. */
  private lastAvailable: { source: CachedOperator[]; result: OperatorDTO[] } | null = null;

  constructor(
    private readonly db: Db,
    private readonly cache: StateCache,
    private readonly events: DomainEvents,
    private readonly assigner: Assigner,
  ) {}

  async list(): Promise<OperatorDTO[]> {
    const rows = await this.db.models.Operator.findAll({ order: [['id', 'ASC']] });
    return rows.map(toOperatorDTO);
  }

  async online(): Promise<OperatorDTO[]> {
    const rows = await this.db.models.Operator.findAll({
      where: { status: { [Op.in]: ['online', 'busy'] }, disabled: false },
      order: [['id', 'ASC']],
    });
    return rows.map(toOperatorDTO);
  }

  /** Online and below capacity, least loaded first; served from the cache, the database when it is down. */
  async available(): Promise<OperatorDTO[]> {
    const cached = await this.cache.getOperatorsForDisplay();
    // The cache hands out the same list until it changes: filter and sort it once per list, not per request.
    if (cached !== null && cached === this.lastAvailable?.source) return this.lastAvailable.result;
    const operators = cached ?? (await this.db.models.Operator.findAll({ where: { disabled: false } })).map(toCachedOperator);
    const result = operators
      .filter((o) => o.status === 'online' && o.activeSessions < o.maxConcurrentSessions)
      .sort((a, b) => a.activeSessions / a.maxConcurrentSessions - b.activeSessions / b.maxConcurrentSessions || a.id - b.id)
      .map(({ version: _version, ...shown }): OperatorDTO => shown);
    this.lastAvailable = cached === null ? null : { source: cached, result };
    return result;
  }

  async get(operatorId: number): Promise<OperatorDTO> {
    return toOperatorDTO(await this.row(operatorId));
  }

  async sessionsOf(operatorId: number): Promise<SessionDTO[]> {
    await this.row(operatorId);
    return sessionDTOs(this.db, await findSessions(this.db, { operatorId, status: 'active' }, [['assignedAt', 'ASC']]));
  }

  async create(input: CreateOperatorInput): Promise<OperatorDTO> {
    try {
      const operator = await this.db.models.Operator.create({
        name: input.name,
        email: input.email.toLowerCase(),
        passwordHash: await hashPassword(input.password),
        role: input.role ?? 'operator',
        maxConcurrentSessions: input.maxConcurrentSessions ?? 5,
        departments: input.departments ?? [],
      });
      const refreshed = await this.assigner.refreshOperator(operator.id);
      return toOperatorDTO(refreshed);
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw new ConflictError('CONFLICT', 'An operator with this email already exists');
      throw error;
    }
  }

  async update(operatorId: number, input: UpdateOperatorInput): Promise<OperatorDTO> {
    const before = await this.row(operatorId);
    const changes: Record<string, unknown> = { version: literal('version + 1') };
    if (input.name !== undefined) changes.name = input.name;
    if (input.role !== undefined) changes.role = input.role;
    if (input.maxConcurrentSessions !== undefined) changes.maxConcurrentSessions = input.maxConcurrentSessions;
    if (input.departments !== undefined) changes.departments = input.departments;
    if (input.password !== undefined) {
      changes.passwordHash = await hashPassword(input.password);
      changes.tokenVersion = literal('token_version + 1');
    }
    if (input.disabled !== undefined) {
      changes.disabled = input.disabled;
      if (input.disabled) Object.assign(changes, { status: 'offline', tokenVersion: literal('token_version + 1') });
    }
    const { Operator } = this.db.models;
    const max = input.maxConcurrentSessions;
    await this.db.transaction(async (transaction) => {
      if (input.role === 'operator' || input.disabled === true) {
        // Decided from the admins as locked now, not from `before`: two admins demoting each other at once, or a
        // promotion racing a demotion, must never leave nobody to undo it. (Rare, so the scan of the small
        // operators table that the lock takes is fine.)
        const admins = await Operator.findAll({ attributes: ['id'], where: { role: 'admin', disabled: false }, order: [['id', 'ASC']], lock: transaction.LOCK.UPDATE, transaction });
        if (admins.length === 1 && admins[0]?.id === operatorId) throw new ConflictError('CONFLICT', 'This is the only admin: make another operator an admin first');
      }
      // One statement with the check (invariant 1): an assignment committing meanwhile cannot slip past it.
      const [rows] = await Operator.update(changes, { where: max === undefined ? { id: operatorId } : { id: operatorId, activeSessions: { [Op.lte]: max } }, transaction });
      if (rows !== 1) throw new ConflictError('CONFLICT', `The operator holds more than ${String(max)} active sessions: close or transfer some first`);
    });
    const after = toOperatorDTO(await this.assigner.refreshOperator(operatorId));
    this.events.emit('operator.updated', { operator: after, previousRole: before.role });
    // A new password or disabling ends every token of the operator: their open connections end with them.
    if (input.password !== undefined || input.disabled === true) this.events.emit('operator.signed_out', { operatorId });
    if (after.status !== before.status) this.events.emit('operator.status_changed', { operator: after, previous: before.status });
    if ((input.maxConcurrentSessions ?? 0) > before.maxConcurrentSessions || input.departments !== undefined) void this.assigner.drain();
    return after;
  }

  /** An operator sets their own status; an admin may set anyone's. Going online pulls waiting sessions. */
  async setStatus(actor: Actor, operatorId: number, status: OperatorStatus): Promise<OperatorDTO> {
    if (actor.kind !== 'operator' || (actor.operatorId !== operatorId && !isAdmin(actor))) {
      throw new ForbiddenError('Only the operator or an admin may change this status');
    }
    const before = await this.row(operatorId);
    if (before.disabled) throw new ConflictError('CONFLICT', 'The operator is disabled');
    const now = Date.now();
    // Choosing a status is a sign of life: it starts a presence lease (PresenceService) unless going offline.
    await this.db.models.Operator.update(
      { status, lastSeenAt: new Date(now), presentUntil: new Date(status === 'offline' ? now : now + LEASE_MS), version: literal('version + 1') },
      { where: { id: operatorId } },
    );
    const after = toOperatorDTO(await this.assigner.refreshOperator(operatorId));
    if (before.status !== status) this.events.emit('operator.status_changed', { operator: after, previous: before.status });
    if (status === 'online') await this.assigner.drain();
    return toOperatorDTO(await this.row(operatorId));
  }

  /**
   * POST /assign: with operatorId, to that operator (self, or anyone for an admin); else by a strategy.
   * NO_OPERATOR_AVAILABLE leaves the session queued.
   */
  async assign(actor: OperatorActor, sessionId: string, options: { strategy?: StrategyName; operatorId?: number }): Promise<Assignment> {
    if (options.operatorId !== undefined) {
      if (options.operatorId !== actor.operatorId && actor.role !== 'admin') {
        throw new ForbiddenError('Only an admin may assign a session to another operator');
      }
      const reason = options.operatorId === actor.operatorId ? 'taken by the operator' : `assigned by admin ${actor.operatorId}`;
      return this.assigner.claim(sessionId, options.operatorId, { strategy: 'manual', reason });
    }
    const assignment = await this.assigner.route(sessionId, options.strategy === 'manual' ? undefined : options.strategy);
    if (!assignment) {
      const session = await getSession(this.db, sessionId);
      if (session.status === 'active') throw new ConflictError('ALREADY_ASSIGNED', 'The session already has an operator');
      throw new ConflictError('NO_OPERATOR_AVAILABLE', 'No operator is available; the session stays queued');
    }
    return assignment;
  }

  /** session:join — an operator takes a waiting session themselves. */
  async join(actor: OperatorActor, sessionId: string): Promise<SessionDTO> {
    const assignment = await this.assigner.claim(sessionId, actor.operatorId, { strategy: 'manual', reason: 'taken from the queue' });
    return assignment.session;
  }

  async stats(): Promise<OperatorStats> {
    const { Operator, ChatSession } = this.db.models;
    const startOfDay = new Date();
    startOfDay.setUTCHours(0, 0, 0, 0);
    const [operators, closedToday, responded, rated, waiting, active, assignedToday] = await Promise.all([
      Operator.findAll({ order: [['id', 'ASC']] }),
      ChatSession.findAll({
        attributes: ['operatorId', [fn('COUNT', col('id')), 'n']],
        where: { status: 'closed', closedAt: { [Op.gte]: startOfDay }, operatorId: { [Op.ne]: null } },
        group: ['operatorId'],
        raw: true,
      }),
      ChatSession.findAll({
        attributes: ['operatorId', 'assignedAt', 'firstResponseAt'],
        where: { firstResponseAt: { [Op.ne]: null }, assignedAt: { [Op.ne]: null }, operatorId: { [Op.ne]: null } },
        order: [['firstResponseAt', 'DESC']],
        limit: 5000,
      }),
      ChatSession.findAll({
        attributes: ['operatorId', [fn('AVG', col('rating')), 'avg']],
        where: { rating: { [Op.ne]: null }, operatorId: { [Op.ne]: null } },
        group: ['operatorId'],
        raw: true,
      }),
      ChatSession.count({ where: { status: 'waiting' } }),
      ChatSession.count({ where: { status: 'active' } }),
      ChatSession.findAll({
        attributes: ['createdAt', 'assignedAt'],
        where: { assignedAt: { [Op.gte]: startOfDay } },
        limit: 5000,
      }),
    ]);
    const closedBy = new Map((closedToday as unknown as Array<{ operatorId: number; n: number | string }>).map((r) => [Number(r.operatorId), Number(r.n)]));
    const ratingBy = new Map((rated as unknown as Array<{ operatorId: number; avg: number | string }>).map((r) => [Number(r.operatorId), Number(r.avg)]));
    const responseTimes = new Map<number, number[]>();
    for (const s of responded) {
      const list = responseTimes.get(Number(s.operatorId)) ?? [];
      list.push(((s.firstResponseAt as Date).getTime() - (s.assignedAt as Date).getTime()) / 1000);
      responseTimes.set(Number(s.operatorId), list);
    }
    const average = (values: number[] | undefined): number | null =>
      values && values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : null;
    const waits = assignedToday.map((s) => ((s.assignedAt as Date).getTime() - s.createdAt.getTime()) / 1000);
    return {
      operators: operators.map((o) => ({
        operatorId: o.id,
        name: o.name,
        status: o.status,
        activeSessions: o.activeSessions,
        closedToday: closedBy.get(o.id) ?? 0,
        avgFirstResponseSeconds: round1(average(responseTimes.get(o.id))),
        avgRating: round1(ratingBy.get(o.id) ?? null),
      })),
      overall: { waiting, active, avgWaitSeconds: round1(average(waits)) },
    };
  }

  private async row(operatorId: number): Promise<Operator> {
    const operator = await this.db.models.Operator.findByPk(operatorId);
    if (!operator) throw new NotFoundError('Operator not found');
    return operator;
  }
}
