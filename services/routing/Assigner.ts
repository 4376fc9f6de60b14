import { Op, col, literal, type Transaction } from 'sequelize';
import type { Logger } from 'pino';
import type { Config, StrategyName } from '../../config';
import type { Db } from '../../models/db';
import type { ChatSession, Operator } from '../../models';
import { ConflictError, NotFoundError } from '../../src/errors';
import type { StateCache } from '../cache/StateCache';
import { toCachedOperator } from '../cache/snapshot';
import type { DomainEvents } from '../DomainEvents';
import { toOperatorDTO, type MessageDTO, type OperatorDTO, type SessionDTO } from '../dto';
import { QUEUE_ORDER, getSession, sessionDTO } from '../sessionQueries';
import { addSessionEvent, addSystemMessage } from '../systemMessages';
import { STRATEGY_FUNCTIONS, describeChoice, type Candidate } from './strategies';

export interface Assignment {
  session: SessionDTO;
  operator: OperatorDTO;
  strategy: string;
  reason: string;
}

interface ClaimOptions {
  /** session:join and explicit assignment accept a busy operator; automatic routing only an online one. */
  allowBusy: boolean;
  strategy: string;
  reason: string;
}

const DRAIN_BATCH = 100;

/** What one routing attempt came to: assigned, no seat for it now, or no longer waiting (taken or closed). */
type RouteOutcome = { kind: 'assigned'; assignment: Assignment } | { kind: 'no-seat' } | { kind: 'gone' };
const NO_SEAT: RouteOutcome = { kind: 'no-seat' };
const GONE: RouteOutcome = { kind: 'gone' };
/** Marks, within one drain pass, that a session able to take any seat found none. */
const ANY_SEAT = '\u0000any';

/**
 * The routing engine's moving part: claims an operator's seat and a waiting session together, atomically in
 * the database (DESIGN.md decision 4), so no operator goes over capacity and no session gets two operators,
 * whatever the number of processes. Chooses candidates with the strategies, drains the queue.
 */
export class Assigner {
  private draining: Promise<number> | null = null;
  private drainAgain = false;

  constructor(
    private readonly db: Db,
    private readonly cache: StateCache,
    private readonly events: DomainEvents,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** Resolves once no drain is running (used on shutdown, before the database closes). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining.catch(() => undefined);
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
      await this.takeSeat(operatorId, transaction, options.allowBusy);
      await ChatSession.update({ operatorId }, { where: { id: sessionId }, transaction });
      const operator = await Operator.findByPk(operatorId, { attributes: ['name'], transaction });
      await addSessionEvent(this.db, sessionId, 'assigned', transaction, operatorId, { strategy: options.strategy, reason: options.reason });
      systemMessage = await addSystemMessage(this.db, sessionId, `${operator?.name ?? 'An operator'} joined the chat`, transaction);
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
   * Routes one waiting session by a strategy: the previous operator of a returning customer first (when
   * configured and available), then the strategy's order. Returns null when nobody can take it now.
   */
  async route(sessionId: string, strategyName: StrategyName = this.config.assignmentStrategy): Promise<Assignment | null> {
    const session = await getSession(this.db, sessionId);
    if (session.status !== 'waiting') {
      throw session.status === 'closed'
        ? new ConflictError('SESSION_CLOSED', 'The session is closed')
        : new ConflictError('ALREADY_ASSIGNED', 'The session already has an operator');
    }
    const outcome = await this.tryRoute(session, strategyName);
    return outcome.kind === 'assigned' ? outcome.assignment : null;
  }

  /**
   * Gives one free seat to the oldest waiting session that can use it (FIFO), whichever session that is.
   * Each arrival calls this once, so arrivals assign in queue order however many run at once: when two
   * processes reach for the same head of the queue, the loser simply moves on to the next session. A
   * session that finds no seat blocks the later ones competing for the same seats (any seat without a
   * department, that department's otherwise), so a later session never jumps an earlier eligible one.
   */
  async assignNext(): Promise<Assignment | null> {
    if (this.config.assignmentStrategy === 'manual') return null;
    const waiting = await this.db.models.ChatSession.findAll({
      attributes: ['id', 'department', 'customerId', 'requeuedFrom'],
      where: { status: 'waiting' },
      order: QUEUE_ORDER,
      limit: DRAIN_BATCH,
    });
    const blocked = new Set<string>();
    for (const session of waiting) {
      if (blocked.has(ANY_SEAT) || (session.department && blocked.has(session.department))) continue;
      const outcome = await this.tryRoute(session, this.config.assignmentStrategy).catch((error: unknown) => this.routeFailure(session.id, error));
      if (outcome.kind === 'assigned') return outcome.assignment;
      if (outcome.kind === 'no-seat') blocked.add(session.department ?? ANY_SEAT);
    }
    return null;
  }

  /**
   * Hands every free seat to the oldest eligible waiting session. Calls that arrive while a drain runs are
   * folded into one more run, so a burst of triggers costs at most two.
   */
  drain(): Promise<number> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = (async () => {
      let total = 0;
      try {
        do {
          this.drainAgain = false;
          while (await this.assignNext()) total++;
        } while (this.drainAgain);
      } finally {
        this.draining = null;
      }
      return total;
    })();
    return this.draining;
  }

  private async tryRoute(session: ChatSession, strategyName: StrategyName): Promise<RouteOutcome> {
    if (strategyName === 'manual') return NO_SEAT;
    const candidates = await this.candidates(session);
    if (candidates.length === 0) return NO_SEAT;
    const previous = await this.previousOperator(session, candidates);
    const lastRoundRobinId = strategyName === 'round-robin' ? await this.cache.getRotation() : null;
    const ordered = STRATEGY_FUNCTIONS[strategyName](candidates, { lastRoundRobinId });
    const attempts = previous ? [previous, ...ordered.filter((c) => c.id !== previous.id)] : ordered;
    for (const candidate of attempts) {
      const isPrevious = candidate === previous;
      try {
        const assignment = await this.claim(session.id, candidate.id, {
          allowBusy: false,
          strategy: isPrevious ? 'previous-operator' : strategyName,
          reason: isPrevious ? 'previous operator' : describeChoice(strategyName, candidate),
        });
        if (strategyName === 'round-robin' && !isPrevious) await this.cache.setRotation(candidate.id);
        return { kind: 'assigned', assignment };
      } catch (error) {
        if (error instanceof NotFoundError || (error instanceof ConflictError && error.code === 'OPERATOR_AT_CAPACITY')) continue;
        if (error instanceof ConflictError && (error.code === 'ALREADY_ASSIGNED' || error.code === 'SESSION_CLOSED')) return GONE;
        throw error;
      }
    }
    return NO_SEAT;
  }

  /** A failure to route one session is logged and treated as "taken"; the queue moves on. */
  private routeFailure(sessionId: string, error: unknown): RouteOutcome {
    this.logger.error({ err: error, sessionId }, 'routing a waiting session failed');
    return GONE;
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
   * Takes one of the operator's seats in the caller's transaction, only if they are enabled, in an accepting
   * status and below capacity; else throws (NOT_FOUND or OPERATOR_AT_CAPACITY) so the transaction rolls back.
   */
  async takeSeat(operatorId: number, transaction: Transaction, allowBusy = true): Promise<void> {
    const { Operator } = this.db.models;
    const [rows] = await Operator.update(
      { activeSessions: literal('active_sessions + 1'), lastAssignedAt: new Date(), version: literal('version + 1') },
      {
        where: {
          id: operatorId,
          disabled: false,
          status: { [Op.in]: allowBusy ? ['online', 'busy'] : ['online'] },
          activeSessions: { [Op.lt]: col('max_concurrent_sessions') },
        },
        transaction,
      },
    );
    if (rows === 1) return;
    const exists = await Operator.count({ where: { id: operatorId, disabled: false }, transaction });
    if (exists === 0) throw new NotFoundError('Operator not found');
    throw new ConflictError('OPERATOR_AT_CAPACITY', 'The operator cannot take another session now');
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
    if (operator.disabled) await this.cache.removeOperator(operatorId);
    else await this.cache.putOperator(toCachedOperator(operator));
    return operator;
  }

  /** Online, enabled, below capacity, and serving the session's department when it has one. */
  private async candidates(session: ChatSession): Promise<Candidate[]> {
    const operators = await this.db.models.Operator.findAll({
      attributes: ['id', 'activeSessions', 'maxConcurrentSessions', 'lastAssignedAt', 'departments'],
      where: { status: 'online', disabled: false, activeSessions: { [Op.lt]: col('max_concurrent_sessions') } },
    });
    const department = session.department;
    const skip = session.requeuedFrom ?? null;
    return operators
      .filter((o) => (!department || o.departments.includes(department)) && o.id !== skip)
      .map((o) => ({ id: o.id, activeSessions: o.activeSessions, maxConcurrentSessions: o.maxConcurrentSessions, lastAssignedAt: o.lastAssignedAt }));
  }

  private async previousOperator(session: ChatSession, candidates: Candidate[]): Promise<Candidate | null> {
    if (!this.config.preferPreviousOperator || !session.customerId) return null;
    const last = await this.db.models.ChatSession.findOne({
      attributes: ['operatorId'],
      where: { customerId: session.customerId, id: { [Op.ne]: session.id }, operatorId: { [Op.ne]: null } },
      order: [['createdAt', 'DESC']],
    });
    const previousId = last?.operatorId ?? null;
    return previousId === null ? null : (candidates.find((c) => c.id === Number(previousId)) ?? null);
  }

  private async explainUnclaimable(sessionId: string, transaction: Transaction): Promise<never> {
    const session = await this.db.models.ChatSession.findByPk(sessionId, { attributes: ['status'], transaction });
    if (!session) throw new NotFoundError('Session not found');
    if (session.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is closed');
    throw new ConflictError('ALREADY_ASSIGNED', 'The session already has an operator');
  }
}
