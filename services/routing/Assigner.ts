import { AsyncResource } from 'node:async_hooks';
import { Op, col, fn, literal, type Transaction } from 'sequelize';
import type { Logger } from 'pino';
import type { Config, StrategyName } from '../../config';
import type { Db } from '../../models/db';
import type { Operator } from '../../models';
import { ConflictError, NotFoundError } from '../errors';
import type { StateCache } from '../cache/StateCache';
import { toCachedOperator } from '../cache/snapshot';
import type { DomainEvents } from '../events/DomainEvents';
import { toMessageDTO, toOperatorDTO, toSessionDTO, type MessageDTO, type OperatorDTO, type SessionDTO } from '../dto';
import { QUEUE_ORDER, findSessions, getSession, sessionDTO } from '../sessions/sessionReads';
import { addSessionEvent, addSystemMessage } from '../sessions/systemMessages';
import { planAssignments, type Plan, type PlannedAssignment } from './plan';

export interface Assignment {
  session: SessionDTO;
  operator: OperatorDTO;
  strategy: string;
  reason: string;
}

/** A claim (session:join, assignment to a named operator, transfer) accepts a busy operator; routing passes take only online ones. */
interface ClaimOptions {
  strategy: string;
  reason: string;
}

/** How many sessions from the head of the queue one routing pass considers. */
const PASS_SIZE = 100;

/** The conversation's line when an operator takes a session, by a claim or by a routing pass. */
const joinedLine = (operatorName: string | undefined): string => `${operatorName ?? 'An operator'} joined the chat`;

/** Which waiting sessions a routing pass plans for, and by which strategy. */
interface PassScope {
  strategy: StrategyName;
  /** Only this session, wherever it stands in the queue (an explicit routing); else the head of the queue. */
  sessionId?: string;
}

/** A pass's plan, made under its locks, with what writing it needs. */
interface PlannedPass {
  /** How many sessions from the head of the queue it looked at. */
  considered: number;
  plan: Plan;
  /** The round-robin rotation the plan started from. */
  rotation: number | null;
  /** The names of the operators with a free seat, for the "joined" lines. */
  names: Map<number, string>;
}

/** One session a pass assigned, as it will be told. */
interface PassAssignment {
  session: SessionDTO;
  operatorId: number;
  strategy: string;
  reason: string;
}

/** A pass's assignments as written and read back before the commit: what is cached and told after it. */
interface WrittenPass {
  /** In queue order. */
  assignments: PassAssignment[];
  /** The "joined" line of each session. */
  messages: Map<string, MessageDTO>;
}

/** What one routing pass did: how many sessions it looked at, what it assigned, its operators as it left them. */
interface PassResult {
  considered: number;
  assignments: PassAssignment[];
  /** Read after the commit for the cache; empty when that read failed. */
  operators: Map<number, Operator>;
}

/**
 * The routing engine's moving part: claims an operator's seat and a waiting session together, atomically in
 * the database (DESIGN.md decision 4), so no operator goes over capacity and no session gets two operators,
 * whatever the number of processes. Routing passes, planned by planAssignments (plan.ts), drain the queue and
 * route one session on demand.
 */
export class Assigner {
  /** The running drain loop, if any. */
  private loop: Promise<void> | null = null;
  /**
   * The drain loop serves every caller, so it runs in the async context this was built in, not in the first
   * caller's: its log lines must not carry one request's id.
   */
  private readonly scope = new AsyncResource('routing-drain');
  /** Callers waiting for a drain that starts after their call (folded into one). */
  private requested: { promise: Promise<void>; resolve: () => void } | null = null;

  constructor(
    private readonly db: Db,
    private readonly cache: StateCache,
    private readonly events: DomainEvents,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** Resolves once no drain is running (used on shutdown, before the database closes). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /**
   * Atomically gives a waiting session to one operator. Throws ALREADY_ASSIGNED when the session is no
   * longer waiting, SESSION_CLOSED when closed, OPERATOR_AT_CAPACITY when the seat cannot be had.
   */
  async claim(sessionId: string, operatorId: number, options: ClaimOptions): Promise<Assignment> {
    const now = new Date();
    const { ChatSession, Operator } = this.db.models;
    let systemMessage: MessageDTO | null = null;
    await this.db.transaction(async (transaction) => {
      // The session first, without its operator: racing claims for one session fail here at once, instead of
      // queueing on the operator's row. The operator column is set last, once the seat is held, because
      // setting it checks the foreign key with a shared lock on the operator row, and taking that before the
      // seat's exclusive lock would let two claims deadlock on the upgrade.
      const [sessionRows] = await ChatSession.update(
        { status: 'active', assignedAt: now, queuedAt: null },
        { where: { id: sessionId, status: 'waiting' }, transaction },
      );
      if (sessionRows !== 1) await this.explainUnclaimable(sessionId, transaction);
      await this.takeSeat(operatorId, transaction);
      await ChatSession.update({ operatorId }, { where: { id: sessionId }, transaction });
      const operator = await Operator.findByPk(operatorId, { attributes: ['name'], transaction });
      await addSessionEvent(this.db, sessionId, 'assigned', transaction, operatorId, { strategy: options.strategy, reason: options.reason });
      systemMessage = await addSystemMessage(this.db, sessionId, joinedLine(operator?.name), transaction);
    });
    const [session, operator] = await Promise.all([getSession(this.db, sessionId), this.refreshOperator(operatorId)]);
    await this.cache.setSessionOperator(sessionId, operatorId);
    const dto = await sessionDTO(this.db, session);
    this.events.emit('session.assigned', { session: dto, operatorId, strategy: options.strategy, reason: options.reason });
    if (systemMessage) this.events.emit('message.created', { message: systemMessage, session: dto });
    this.events.emit('queue.changed', {});
    return { session: dto, operator: toOperatorDTO(operator), strategy: options.strategy, reason: options.reason };
  }

  /**
   * Routes one waiting session now, wherever it stands in the queue, by a strategy: a routing pass limited to
   * it, so the same rules choose (previous operator of a returning customer first, then the strategy's order)
   * and the same locks keep it atomic against every other pass. Returns null when nobody can take it now, or
   * when it stopped waiting meanwhile (taken by another pass, closed).
   */
  async route(sessionId: string, strategyName: StrategyName = this.config.assignmentStrategy): Promise<Assignment | null> {
    const session = await getSession(this.db, sessionId);
    if (session.status !== 'waiting') {
      throw session.status === 'closed'
        ? new ConflictError('SESSION_CLOSED', 'The session is closed')
        : new ConflictError('ALREADY_ASSIGNED', 'The session already has an operator');
    }
    const pass = await this.routePass({ strategy: strategyName, sessionId });
    const [assigned] = pass.assignments;
    if (!assigned) return null;
    const operator = pass.operators.get(assigned.operatorId) ?? (await this.refreshOperator(assigned.operatorId));
    return { session: assigned.session, operator: toOperatorDTO(operator), strategy: assigned.strategy, reason: assigned.reason };
  }

  /**
   * Hands every free seat to the oldest eligible waiting sessions. Resolves once a drain that started after
   * the call has finished, so a caller that just queued a session sees it routed (or still waiting for want
   * of a seat). Calls that arrive while a drain runs are folded into the next one: a burst of triggers costs
   * at most two. Never rejects: a failed pass is logged, and the sweeper's next drain tries again.
   */
  drain(): Promise<void> {
    if (!this.requested) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.requested = { promise, resolve };
    }
    const { promise } = this.requested;
    this.loop ??= this.scope.runInAsyncScope(() => this.runDrains());
    return promise;
  }

  private async runDrains(): Promise<void> {
    try {
      while (this.requested) {
        const { resolve } = this.requested;
        this.requested = null;
        try {
          let pass: PassResult;
          do pass = await this.routePass({ strategy: this.config.assignmentStrategy });
          while (pass.assignments.length > 0 && pass.considered === PASS_SIZE);
        } catch (error) {
          this.logger.error({ err: error }, 'routing pass failed');
        }
        resolve();
      }
    } finally {
      // Same synchronous step as the loop's last check: a drain() call cannot slip in between and be missed.
      this.loop = null;
    }
  }

  /**
   * One routing pass, in one transaction (DESIGN.md decision 4, for many sessions at once): plans who goes
   * where under locks, then takes the seats and the sessions with conditional updates checked by row count.
   * After the commit, the cache and then the news. (A claim locks its session, then the operator: the
   * opposite order. When the two meet on the same rows, the database picks one to roll back and
   * Db.transaction runs it again.)
   */
  private async routePass(scope: PassScope): Promise<PassResult> {
    if (scope.strategy === 'manual') return { considered: 0, assignments: [], operators: new Map() };
    const now = new Date();
    const outcome = await this.db.transaction(async (transaction) => {
      const planned = await this.planPass(scope, now, transaction);
      if (!planned || planned.plan.assignments.length === 0) return { considered: planned?.considered ?? 0, written: null };
      return { considered: planned.considered, written: await this.writePass(planned, now, transaction) };
    });
    if (!outcome.written) return { considered: outcome.considered, assignments: [], operators: new Map() };
    const operators = await this.tell(outcome.written);
    return { considered: outcome.considered, assignments: outcome.written.assignments, operators };
  }

  /**
   * Locks the operators with a free seat and the sessions in scope still waiting, then plans as if they were
   * routed one by one in FIFO order. The operator locks make passes of every process take turns, so two
   * processes never plan over the same seat. Null when there is no seat or no session to plan for.
   */
  private async planPass(scope: PassScope, now: Date, transaction: Transaction): Promise<PlannedPass | null> {
    const seats = await this.db.models.Operator.findAll({
      attributes: ['id', 'name', 'activeSessions', 'maxConcurrentSessions', 'lastAssignedAt', 'departments'],
      where: { status: 'online', disabled: false, activeSessions: { [Op.lt]: col('max_concurrent_sessions') } },
      order: [['id', 'ASC']],
      lock: transaction.LOCK.UPDATE,
      transaction,
    });
    if (seats.length === 0) return null;
    const head = scope.sessionId === undefined ? await this.queueHead(seats, transaction) : [scope.sessionId];
    if (head.length === 0) return null;
    const sessions = await this.db.models.ChatSession.findAll({
      attributes: ['id', 'department', 'customerId', 'requeuedFrom', 'queuedAt'],
      where: { id: { [Op.in]: head }, status: 'waiting' },
      order: QUEUE_ORDER,
      lock: transaction.LOCK.UPDATE,
      transaction,
    });
    // Read under the operator locks: the previous pass, whichever process ran it, has set it by now.
    const rotation = scope.strategy === 'round-robin' ? await this.cache.getRotation() : null;
    const plan = planAssignments({
      strategy: scope.strategy,
      sessions: sessions.map((s) => ({ id: s.id, department: s.department, customerId: s.customerId, requeuedFrom: s.requeuedFrom === null ? null : Number(s.requeuedFrom) })),
      seats: seats.map((o) => ({ id: o.id, activeSessions: o.activeSessions, maxConcurrentSessions: o.maxConcurrentSessions, lastAssignedAt: o.lastAssignedAt, departments: o.departments })),
      previousOperators: await this.previousOperators(sessions.map((s) => s.customerId), transaction),
      lastRoundRobinId: rotation,
      now,
    });
    return { considered: head.length, plan, rotation, names: new Map(seats.map((o) => [o.id, o.name])) };
  }

  /**
   * The ids of the head of the queue among the sessions these seats can serve: a hundred sessions of a
   * department nobody online serves must not hide the ones behind them. Read without a lock, and locked by
   * primary key after: a locking range read of the queue index would also lock its gaps and hold up every new
   * session's insert.
   */
  private async queueHead(seats: Operator[], transaction: Transaction): Promise<string[]> {
    const departments = [...new Set(seats.flatMap((o) => o.departments))];
    const servable = { [Op.or]: [{ department: null }, ...(departments.length > 0 ? [{ department: { [Op.in]: departments } }] : [])] };
    const head = await this.db.models.ChatSession.findAll({ attributes: ['id'], where: { status: 'waiting', ...servable }, order: QUEUE_ORDER, limit: PASS_SIZE, transaction });
    return head.map((s) => s.id);
  }

  /**
   * Writes a plan in its transaction, then reads back the sessions as they will be told: read before the
   * commit, because once it is done nothing may stop the telling.
   */
  private async writePass({ plan, rotation, names }: PlannedPass, now: Date, transaction: Transaction): Promise<WrittenPass> {
    const messages = await this.recordAssignments(plan.assignments, names, now, transaction);
    const sessions = await findSessions(this.db, { id: { [Op.in]: plan.assignments.map((a) => a.sessionId) } }, QUEUE_ORDER, undefined, transaction);
    if (plan.lastRoundRobinId !== null && plan.lastRoundRobinId !== rotation) await this.cache.setRotation(plan.lastRoundRobinId);
    const sessionDTOs = new Map(sessions.map((s) => [s.id, toSessionDTO(s)]));
    const assignments = plan.assignments.flatMap(({ sessionId, operatorId, strategy, reason }) => {
      const session = sessionDTOs.get(sessionId);
      return session ? [{ session, operatorId, strategy, reason }] : [];
    });
    return { assignments, messages };
  }

  /**
   * After a pass's commit: the cache first, so that whoever reacts to the news reads the new loads; then the
   * news, whatever became of the cache. The operators are read here, not under the pass's locks, which every
   * other pass waits for. Returns them as read (none if the read failed).
   */
  private async tell({ assignments, messages }: WrittenPass): Promise<Map<number, Operator>> {
    const operatorIds = [...new Set(assignments.map((a) => a.operatorId))];
    const operators = await this.db.models.Operator.findAll({ where: { id: { [Op.in]: operatorIds } } }).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'routing pass: the operators were not re-read for the cache');
      return [];
    });
    await Promise.all([...operators.map((o) => this.writeThrough(o)), ...assignments.map((a) => this.cache.setSessionOperator(a.session.id, a.operatorId))]);
    for (const { session, operatorId, strategy, reason } of assignments) {
      this.events.emit('session.assigned', { session, operatorId, strategy, reason });
      const message = messages.get(session.id);
      if (message) this.events.emit('message.created', { message, session });
    }
    this.events.emit('queue.changed', {});
    return new Map(operators.map((o) => [o.id, o]));
  }

  /**
   * Writes a pass's plan in its transaction: every operator's seats in one conditional update and every
   * session in another, both checked by row count (the rows are locked, so a mismatch means a bug, and the
   * transaction rolls back); then the audit events and the "joined" lines. Returns the lines by session.
   */
  private async recordAssignments(plan: PlannedAssignment[], names: Map<number, string>, now: Date, transaction: Transaction): Promise<Map<string, MessageDTO>> {
    const { ChatMessage, ChatSession, Operator, SessionEvent } = this.db.models;
    const { sequelize } = this.db;
    const seats = new Map<number, number>();
    for (const { operatorId } of plan) seats.set(operatorId, (seats.get(operatorId) ?? 0) + 1);
    // One CASE per column instead of a statement per operator and per session: a pass touches dozens of each.
    const added = `CASE id ${[...seats].map(([id, n]) => `WHEN ${Number(id)} THEN ${Number(n)}`).join(' ')} END`;
    const [operatorRows] = await Operator.update(
      { activeSessions: literal(`active_sessions + ${added}`), lastAssignedAt: now, version: literal('version + 1') },
      { where: { id: { [Op.in]: [...seats.keys()] }, status: 'online', disabled: false, [Op.and]: [literal(`active_sessions + ${added} <= max_concurrent_sessions`)] }, transaction },
    );
    const operatorOf = `CASE id ${plan.map((a) => `WHEN ${sequelize.escape(a.sessionId)} THEN ${Number(a.operatorId)}`).join(' ')} END`;
    const [sessionRows] = await ChatSession.update(
      { status: 'active', operatorId: literal(operatorOf), assignedAt: now, queuedAt: null },
      { where: { id: { [Op.in]: plan.map((a) => a.sessionId) }, status: 'waiting' }, transaction },
    );
    if (operatorRows !== seats.size || sessionRows !== plan.length) throw new Error('routing pass: seats or sessions changed under lock');
    await SessionEvent.bulkCreate(
      plan.map((a) => ({ sessionId: a.sessionId, type: 'assigned' as const, operatorId: a.operatorId, detail: { strategy: a.strategy, reason: a.reason } })),
      { transaction, validate: false },
    );
    await ChatMessage.bulkCreate(
      plan.map((a) => ({ sessionId: a.sessionId, senderType: 'system' as const, senderId: null, type: 'system' as const, content: joinedLine(names.get(a.operatorId)), createdAt: now })),
      { transaction, validate: false, returning: false },
    );
    // Ids read back rather than computed from the driver's (bulkCreate's are consecutive only under some
    // MySQL settings, and not on SQLite). The session rows are locked, so no other line can be added to them
    // before this commits: each one's newest system line is ours.
    const sessionIds = plan.map((a) => a.sessionId);
    const newest = (await ChatMessage.findAll({
      attributes: [[fn('MAX', col('id')), 'id']],
      where: { sessionId: { [Op.in]: sessionIds }, senderType: 'system' },
      group: ['session_id'],
      raw: true,
      transaction,
    })) as unknown as Array<{ id: number | string }>;
    const lines = await ChatMessage.findAll({ where: { id: { [Op.in]: newest.map((row) => Number(row.id)) } }, transaction });
    return new Map(lines.map((line) => [line.sessionId, toMessageDTO(line)]));
  }

  /** Each returning customer's most recent operator, in one read (empty when PREFER_PREVIOUS_OPERATOR is off). */
  private async previousOperators(customerIds: Array<string | null>, transaction?: Transaction): Promise<Map<string, number>> {
    const customers = [...new Set(customerIds.filter((id): id is string => id !== null))];
    const previous = new Map<string, number>();
    if (!this.config.preferPreviousOperator || customers.length === 0) return previous;
    const rows = await this.db.models.ChatSession.findAll({
      attributes: ['customerId', 'operatorId'],
      where: { customerId: { [Op.in]: customers }, operatorId: { [Op.ne]: null } },
      order: [['createdAt', 'DESC']],
      transaction,
    });
    for (const row of rows) if (row.customerId && !previous.has(row.customerId)) previous.set(row.customerId, Number(row.operatorId));
    return previous;
  }

  /**
   * Takes a session away from its operator and puts it at the head of the queue (no reply in time, operator
   * gone). Only one caller wins when several processes try at once; the others get null.
   */
  async requeue(sessionId: string, operatorId: number, reason: string): Promise<SessionDTO | null> {
    const { ChatSession } = this.db.models;
    let systemMessage: MessageDTO | null = null;
    const done = await this.db.transaction(async (transaction) => {
      const head = (await ChatSession.min('queuedAt', { where: { status: 'waiting' }, transaction })) as Date | null;
      const queuedAt = new Date(Math.min(head ? new Date(head).getTime() - 1 : Date.now(), Date.now()));
      const [rows] = await ChatSession.update(
        { status: 'waiting', operatorId: null, assignedAt: null, queuedAt, requeuedFrom: operatorId },
        { where: { id: sessionId, status: 'active', operatorId }, transaction },
      );
      if (rows !== 1) return false;
      await this.releaseSeat(operatorId, transaction);
      await addSessionEvent(this.db, sessionId, 'requeued', transaction, operatorId, { reason });
      systemMessage = await addSystemMessage(this.db, sessionId, 'Looking for another operator for you', transaction);
      return true;
    });
    if (!done) return null;
    await Promise.all([this.refreshOperator(operatorId), this.cache.setSessionOperator(sessionId, null)]);
    const dto = await sessionDTO(this.db, await getSession(this.db, sessionId));
    this.events.emit('session.unassigned', { session: dto, operatorId, reason });
    if (systemMessage) this.events.emit('message.created', { message: systemMessage, session: dto });
    this.events.emit('queue.changed', {});
    return dto;
  }

  /**
   * Takes one of the operator's seats in the caller's transaction, only if they are enabled, online or busy,
   * and below capacity; else throws (NOT_FOUND or OPERATOR_AT_CAPACITY) so the transaction rolls back.
   */
  async takeSeat(operatorId: number, transaction: Transaction): Promise<void> {
    const { Operator } = this.db.models;
    const [rows] = await Operator.update(
      { activeSessions: literal('active_sessions + 1'), lastAssignedAt: new Date(), version: literal('version + 1') },
      {
        where: {
          id: operatorId,
          disabled: false,
          status: { [Op.in]: ['online', 'busy'] },
          activeSessions: { [Op.lt]: col('max_concurrent_sessions') },
        },
        transaction,
      },
    );
    if (rows === 1) return;
    const operator = await Operator.findOne({ attributes: ['name', 'status', 'activeSessions', 'maxConcurrentSessions'], where: { id: operatorId, disabled: false }, transaction });
    if (!operator) throw new NotFoundError('Operator not found');
    const why = operator.status === 'offline' ? 'is offline' : `has no free seat (${operator.activeSessions} of ${operator.maxConcurrentSessions})`;
    throw new ConflictError('OPERATOR_AT_CAPACITY', `${operator.name} ${why} and cannot take another session now`);
  }

  /** Gives a seat back (session closed, transferred away, requeued), in the caller's transaction. */
  async releaseSeat(operatorId: number, transaction: Transaction): Promise<void> {
    await this.db.models.Operator.update(
      { activeSessions: literal('CASE WHEN active_sessions > 0 THEN active_sessions - 1 ELSE 0 END'), version: literal('version + 1') },
      { where: { id: operatorId }, transaction },
    );
  }

  /** Re-reads an operator after a committed change and writes it through to the cache. */
  async refreshOperator(operatorId: number): Promise<Operator> {
    const operator = await this.db.models.Operator.findByPk(operatorId);
    if (!operator) throw new NotFoundError('Operator not found');
    await this.writeThrough(operator);
    return operator;
  }

  private async writeThrough(operator: Operator): Promise<void> {
    if (operator.disabled) await this.cache.removeOperator(operator.id);
    else await this.cache.putOperator(toCachedOperator(operator));
  }

  private async explainUnclaimable(sessionId: string, transaction: Transaction): Promise<never> {
    const session = await this.db.models.ChatSession.findByPk(sessionId, { attributes: ['status'], transaction });
    if (!session) throw new NotFoundError('Session not found');
    if (session.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is closed');
    throw new ConflictError('ALREADY_ASSIGNED', 'The session already has an operator');
  }
}
