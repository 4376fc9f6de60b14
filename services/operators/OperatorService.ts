import { Op, UniqueConstraintError, literal } from 'sequelize';
import type { StrategyName } from '../../config';
import type { Db } from '../../models/db';
import type { Operator } from '../../models';
import { findSessions } from '../../models/queries/sessions';
import { canAssignTo, canSetStatus, requireAdmin, requireOperator, type Actor } from '../access';
import type { OperatorCache } from '../cache/OperatorCache';
import type { AssignmentDTO, OperatorDTO, OperatorRole, OperatorStats, OperatorStatus, SessionDTO } from '../contract';
import { toOperatorDTO } from '../dto';
import { ConflictError, NotFoundError } from '../errors';
import type { AuditLog, AuditRecord } from '../audit/AuditLog';
import type { DomainEvents } from '../events/DomainEvents';
import type { Assigner } from '../routing/Assigner';
import { requireWaiting } from '../sessions/transitions/claim';
import { getSession, sessionDTOs } from '../sessions/sessionViews';
import type { OperatorDirectory } from './availability';
import { hashPassword } from './passwords';
import { LEASE_MS } from './PresenceService';
import { operatorStats } from './stats';
import { requiredName } from '../text/names';

export interface CreateOperatorInput {
  name: string;
  email: string;
  password: string;
  role?: OperatorRole;
  maxConcurrentSessions?: number;
  departments?: string[];
}

export type UpdateOperatorInput = Partial<Omit<CreateOperatorInput, 'email'>> & { disabled?: boolean };

/** Operators: their records, status and load, and the entry points into routing. */
export class OperatorService {
  constructor(
    private readonly db: Db,
    private readonly operatorCache: OperatorCache,
    private readonly directory: OperatorDirectory,
    private readonly events: DomainEvents,
    private readonly assigner: Assigner,
    private readonly audit: AuditLog,
  ) {}

  async list(actor: Actor): Promise<OperatorDTO[]> {
    requireOperator(actor);
    const rows = await this.db.models.Operator.findAll({ order: [['id', 'ASC']] });
    return rows.map(toOperatorDTO);
  }

  async online(actor: Actor): Promise<OperatorDTO[]> {
    requireOperator(actor);
    const rows = await this.db.models.Operator.findAll({ where: { status: { [Op.in]: ['online', 'busy'] }, disabled: false }, order: [['id', 'ASC']] });
    return rows.map(toOperatorDTO);
  }

  /** Online and below capacity, least loaded first. */
  available(actor: Actor): Promise<OperatorDTO[]> {
    requireOperator(actor);
    return this.directory.available();
  }

  async get(actor: Actor, operatorId: number): Promise<OperatorDTO> {
    requireOperator(actor);
    return toOperatorDTO(await this.row(operatorId));
  }

  /** The calling operator (GET /api/auth/me). */
  async me(actor: Actor): Promise<OperatorDTO> {
    requireOperator(actor);
    if (actor.kind !== 'operator') throw new NotFoundError('Operator not found');
    return toOperatorDTO(await this.row(actor.operatorId));
  }

  async sessionsOf(actor: Actor, operatorId: number): Promise<SessionDTO[]> {
    requireOperator(actor);
    await this.row(operatorId);
    return sessionDTOs(this.db, await findSessions(this.db, { operatorId, status: 'active' }, [['assignedAt', 'ASC']]));
  }

  stats(actor: Actor): Promise<OperatorStats> {
    requireOperator(actor);
    return operatorStats(this.db);
  }

  async create(actor: Actor, input: CreateOperatorInput): Promise<OperatorDTO> {
    requireAdmin(actor);
    try {
      const fields = {
        name: requiredName(input.name),
        email: input.email.toLowerCase(),
        role: input.role ?? 'operator',
        maxConcurrentSessions: input.maxConcurrentSessions ?? 5,
        departments: input.departments ?? [],
      };
      const passwordHash = await hashPassword(input.password);
      const operator = await this.db.transaction(async (transaction) => {
        const created = await this.db.models.Operator.create({ ...fields, passwordHash }, { transaction });
        await this.audit.record(actor, { action: 'operator.created', target: { type: 'operator', id: created.id }, detail: fields }, transaction);
        return created;
      });
      return toOperatorDTO(await this.operatorCache.refreshOne(operator.id));
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw new ConflictError('CONFLICT', 'An operator with this email already exists');
      throw error;
    }
  }

  async update(actor: Actor, operatorId: number, input: UpdateOperatorInput): Promise<OperatorDTO> {
    requireAdmin(actor);
    const before = await this.row(operatorId);
    const changes: Record<string, unknown> = { version: literal('version + 1') };
    if (input.name !== undefined) changes.name = requiredName(input.name);
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
      for (const entry of auditEntries(operatorId, before, input)) await this.audit.record(actor, entry, transaction);
    });
    const after = toOperatorDTO(await this.operatorCache.refreshOne(operatorId));
    this.events.emit('operator.updated', { operator: after, previousRole: before.role, previousName: before.name });
    // A new password or disabling ends every token of the operator: their open connections end with them.
    if (input.password !== undefined || input.disabled === true) this.events.emit('operator.signed_out', { operatorId });
    if (after.status !== before.status) this.events.emit('operator.status_changed', { operator: after, previous: before.status });
    // Their chats would wait on someone who can no longer sign in, whatever REQUEUE_ON_OFFLINE says of going offline.
    if (input.disabled === true && !before.disabled) await this.assigner.requeueAll(operatorId, 'requeued: operator disabled');
    if ((input.maxConcurrentSessions ?? 0) > before.maxConcurrentSessions || input.departments !== undefined) void this.assigner.drain();
    return after;
  }

  /** An operator sets their own status; an admin may set anyone's. Going online pulls waiting sessions. */
  async setStatus(actor: Actor, operatorId: number, status: OperatorStatus): Promise<OperatorDTO> {
    canSetStatus(actor, operatorId);
    const before = await this.row(operatorId);
    if (before.disabled) throw new ConflictError('CONFLICT', 'The operator is disabled');
    const now = Date.now();
    // Choosing a status is a sign of life: it starts a presence lease (PresenceService) unless going offline. One
    // statement, run again when chosen as a deadlock's victim (a routing pass locks the available operators through
    // the index this update changes).
    await this.db.retrying(undefined, () =>
      this.db.models.Operator.update(
        { status, lastSeenAt: new Date(now), presentUntil: new Date(status === 'offline' ? now : now + LEASE_MS), version: literal('version + 1') },
        { where: { id: operatorId } },
      ),
    );
    const after = toOperatorDTO(await this.operatorCache.refreshOne(operatorId));
    if (before.status !== status) this.events.emit('operator.status_changed', { operator: after, previous: before.status });
    if (status === 'online') await this.assigner.drain();
    return toOperatorDTO(await this.row(operatorId));
  }

  /**
   * POST /assign: with operatorId, to that operator (self, or anyone for an admin); else by a strategy.
   * NO_OPERATOR_AVAILABLE leaves the session queued; a session that stopped waiting meanwhile is answered
   * with what it is now (ALREADY_ASSIGNED, SESSION_CLOSED).
   */
  async assign(actor: Actor, sessionId: string, options: { strategy?: StrategyName; operatorId?: number }): Promise<AssignmentDTO> {
    requireOperator(actor);
    if (options.operatorId !== undefined) {
      canAssignTo(actor, options.operatorId);
      const self = actor.kind === 'operator' && options.operatorId === actor.operatorId;
      const session = await this.assigner.claim(sessionId, options.operatorId, { strategy: 'manual', reason: self ? 'taken by the operator' : `assigned by admin ${actor.kind === 'operator' ? actor.operatorId : 'system'}` });
      return { session, operator: toOperatorDTO(await this.row(options.operatorId)) };
    }
    const assigned = await this.assigner.route(sessionId, options.strategy === 'manual' ? undefined : options.strategy);
    if (!assigned) {
      requireWaiting(await getSession(this.db, sessionId));
      throw new ConflictError('NO_OPERATOR_AVAILABLE', 'No operator is available; the session stays queued');
    }
    return { session: assigned.session, operator: toOperatorDTO(await this.row(assigned.operatorId)) };
  }

  /** session:join — an operator takes a waiting session themselves. */
  join(actor: Actor, sessionId: string): Promise<SessionDTO> {
    requireOperator(actor);
    if (actor.kind !== 'operator') throw new NotFoundError('Operator not found');
    return this.assigner.claim(sessionId, actor.operatorId, { strategy: 'manual', reason: 'taken from the queue' });
  }

  private async row(operatorId: number): Promise<Operator> {
    const operator = await this.db.models.Operator.findByPk(operatorId);
    if (!operator) throw new NotFoundError('Operator not found');
    return operator;
  }
}

/** What an operator's change records in the audit log: one line per kind of change; a new password is only "reset". */
function auditEntries(operatorId: number, before: Operator, input: UpdateOperatorInput): AuditRecord[] {
  const target = { type: 'operator' as const, id: operatorId };
  const entries: AuditRecord[] = [];
  const fields = (['name', 'role', 'maxConcurrentSessions', 'departments'] as const).filter((field) => input[field] !== undefined);
  if (fields.length > 0) entries.push({ action: 'operator.updated', target, detail: { changed: fields, ...Object.fromEntries(fields.map((field) => [field, input[field]])) } });
  if (input.password !== undefined) entries.push({ action: 'operator.password_reset', target });
  if (input.disabled !== undefined && input.disabled !== before.disabled) entries.push({ action: input.disabled ? 'operator.disabled' : 'operator.enabled', target });
  return entries;
}
