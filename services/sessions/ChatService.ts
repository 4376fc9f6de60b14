import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { Op, type WhereOptions } from 'sequelize';
import validator from 'validator';
import type { Config } from '../../config';
import type { Db } from '../../models/db';
import type { ChatSession, MessageType } from '../../models';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../errors';
import type { Actor } from '../access';
import { isAdmin } from '../access';
import type { StateCache } from '../cache/StateCache';
import { issueCustomerToken, parseCustomerToken, secretMatches } from './customerTokens';
import type { DomainEvents } from '../events/DomainEvents';
import { toSessionDTO, toSessionEventDTO, type MessageDTO, type SessionDTO, type SessionEventDTO } from '../dto';
import { MessageStore, type MessagePage } from '../messages/MessageStore';
import type { Admit } from '../messages/MessageWriter';
import { selectSessions, senderKeyOf, toSessionState, type SessionState } from '../../models/queries/messages';
import type { Assigner } from '../routing/Assigner';
import { QUEUE_ORDER, findSession, findSessions, getSession, queuePosition, sessionDTO, sessionDTOs, waitingCount } from './sessionReads';
import { addSessionEvent, addSystemMessage } from './systemMessages';

export interface CreateSessionInput {
  customerName?: string;
  customerEmail?: string;
  customerId?: string;
  identityHash?: string;
  department?: string;
  metadata?: Record<string, unknown>;
  message?: string;
}

export interface PostMessageInput {
  content: string;
  type?: Exclude<MessageType, 'system'>;
  clientMessageId?: string;
}

export interface HistoryFilters {
  status?: ChatSession['status'];
  operatorId?: number;
  customerId?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

export interface Availability {
  online: boolean;
  availableOperators: number;
  waiting: number;
  estimatedWaitSeconds: number;
}

/** What a new or resumed session hands the customer. `resumed` is true for a verified returning customer. */
export interface SessionTicket {
  session: SessionDTO;
  customerToken: string;
  resumed: boolean;
}

const DEFAULT_WAIT_SECONDS = 60;

/** Chat sessions and their messages: the rules, for REST and Socket.IO alike. */
export class ChatService {
  readonly messages: MessageStore;

  constructor(
    private readonly db: Db,
    private readonly cache: StateCache,
    private readonly events: DomainEvents,
    private readonly assigner: Assigner,
    private readonly config: Config,
    logger: Logger,
  ) {
    this.messages = new MessageStore(db, logger);
  }

  /** Resolves a customer token to its session id, or null when it is not valid for any session. */
  async verifyCustomerToken(token: string): Promise<string | null> {
    const parsed = parseCustomerToken(token);
    if (!parsed) return null;
    const session = await this.db.models.ChatSession.findByPk(parsed.sessionId, { attributes: ['id', 'customerTokenHash'] });
    return session && secretMatches(parsed.secret, session.customerTokenHash) ? session.id : null;
  }

  async createSession(input: CreateSessionInput): Promise<SessionTicket> {
    const verified = this.verifyIdentity(input.customerId, input.identityHash);
    if (verified) {
      const resumed = await this.resumeSession(input.customerId as string);
      if (resumed) {
        // What they typed to start this visit belongs to the conversation they are returned to.
        if (input.message !== undefined) await this.postMessage({ kind: 'customer', sessionId: resumed.session.id }, resumed.session.id, { content: input.message });
        return resumed;
      }
    }
    const id = randomUUID();
    const { token, hash } = issueCustomerToken(id);
    const now = new Date();
    const created = await this.db.transaction(async (transaction) => {
      const row = await this.db.models.ChatSession.create(
        {
          id,
          status: 'waiting',
          customerId: input.customerId ?? null,
          customerName: input.customerName ?? null,
          customerEmail: input.customerEmail ?? null,
          department: input.department ?? null,
          metadata: input.metadata ?? null,
          customerTokenHash: hash,
          queuedAt: now,
          createdAt: now,
        },
        { transaction },
      );
      await addSessionEvent(this.db, id, 'created', transaction, null, { verifiedCustomer: verified });
      return toSessionDTO(row, await queuePosition(this.db, row, transaction));
    });
    // Told the moment it commits, with nothing awaited in between: routing (a sweep, an operator coming
    // online) may take the session within milliseconds, and its session.assigned must not come first.
    this.events.emit('session.created', { session: created });
    if (input.message !== undefined) {
      const stored = await this.messages.store({
        sessionId: id,
        senderType: 'customer',
        senderId: input.customerId ?? null,
        senderKey: senderKeyOf('customer', null),
        type: 'text',
        content: input.message,
        clientMessageId: null,
      });
      // Whoever holds the session by now (as the message's write read it) hears of the message.
      this.events.emit('message.created', { message: stored.message, session: stored.session ?? created });
    }

    // Routed with every other arrival of the moment, in FIFO order: this session gets a seat unless the free
    // seats went to sessions that were waiting before it.
    await this.assigner.drain();
    const current = await getSession(this.db, id);
    if (current.status === 'waiting') {
      await this.db.transaction((t) => addSessionEvent(this.db, id, 'queued', t, null, { reason: this.queueReason() }));
      this.events.emit('queue.changed', {});
    }
    const session = await sessionDTO(this.db, current);
    return { session, customerToken: token, resumed: false };
  }

  async getSession(actor: Actor, sessionId: string): Promise<SessionDTO> {
    const session = await this.readable(actor, sessionId);
    return sessionDTO(this.db, session);
  }

  /** Waiting and active sessions; `mine` keeps the operator's own. */
  async listActive(actor: Actor, mine: boolean): Promise<SessionDTO[]> {
    const where: WhereOptions = { status: { [Op.in]: ['waiting', 'active'] } };
    if (mine && actor.kind === 'operator') Object.assign(where, { operatorId: actor.operatorId });
    const sessions = await findSessions(this.db, where, [['createdAt', 'ASC'], ['id', 'ASC']]);
    return sessionDTOs(this.db, sessions);
  }

  waitingCount(): Promise<number> {
    return waitingCount(this.db);
  }

  /** The waiting queue, in the order it is served. */
  async listQueue(): Promise<SessionDTO[]> {
    return sessionDTOs(this.db, await findSessions(this.db, { status: 'waiting' }, QUEUE_ORDER));
  }

  async history(filters: HistoryFilters): Promise<{ sessions: SessionDTO[]; nextCursor: string | null }> {
    const where: Record<string | symbol, unknown> = {};
    if (filters.status) where.status = filters.status;
    if (filters.operatorId !== undefined) where.operatorId = filters.operatorId;
    if (filters.customerId !== undefined) where.customerId = filters.customerId;
    const created: Record<symbol, Date> = {};
    if (filters.from) created[Op.gte] = filters.from;
    if (filters.to) created[Op.lte] = filters.to;
    if (filters.from || filters.to) where.createdAt = created;
    if (filters.cursor) {
      const cursor = decodeCursor(filters.cursor);
      where[Op.and] = [{ [Op.or]: [{ createdAt: { [Op.lt]: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { [Op.lt]: cursor.id } }] }];
    }
    const rows = await findSessions(this.db, where as WhereOptions, [['createdAt', 'DESC'], ['id', 'DESC']], filters.limit + 1);
    const page = rows.slice(0, filters.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > filters.limit && last ? encodeCursor(last) : null;
    return { sessions: await sessionDTOs(this.db, page), nextCursor };
  }

  async customerSessions(customerId: string): Promise<SessionDTO[]> {
    return sessionDTOs(this.db, await findSessions(this.db, { customerId }, [['createdAt', 'DESC'], ['id', 'DESC']], 200));
  }

  async auditTrail(sessionId: string): Promise<SessionEventDTO[]> {
    await getSession(this.db, sessionId);
    const rows = await this.db.models.SessionEvent.findAll({ where: { sessionId }, order: [['id', 'ASC']] });
    return rows.map(toSessionEventDTO);
  }

  async close(actor: Actor, sessionId: string, reason?: string): Promise<SessionDTO> {
    const session = await this.participant(actor, sessionId);
    if (session.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is already closed');
    const closedBy = actor.kind === 'customer' ? 'customer' : actor.kind === 'operator' ? 'operator' : 'system';
    const operatorId = operatorOf(session);
    let systemMessage: MessageDTO | null = null;
    let released = false;
    await this.db.transaction(async (transaction) => {
      const [rows] = await this.db.models.ChatSession.update(
        { status: 'closed', closedAt: new Date(), closedBy, closeReason: reason ?? null, queuedAt: null },
        { where: { id: sessionId, status: session.status }, transaction },
      );
      if (rows !== 1) throw new ConflictError('SESSION_CLOSED', 'The session is already closed');
      if (session.status === 'active' && operatorId !== null) {
        await this.assigner.releaseSeat(operatorId, transaction);
        released = true;
      }
      await addSessionEvent(this.db, sessionId, 'closed', transaction, operatorId, { closedBy, reason: reason ?? null });
      systemMessage = await addSystemMessage(this.db, sessionId, closeLine(closedBy, reason), transaction);
    });
    await this.cache.setSessionOperator(sessionId, null);
    if (released && operatorId !== null) await this.assigner.refreshOperator(operatorId);
    const dto = await sessionDTO(this.db, await getSession(this.db, sessionId));
    if (systemMessage) this.events.emit('message.created', { message: systemMessage, session: dto });
    this.events.emit('session.closed', { session: dto, operatorId });
    if (session.status === 'waiting') this.events.emit('queue.changed', {});
    if (released) void this.assigner.drain();
    return dto;
  }

  /** Moves an active session to another operator (who must have a free seat) or back to a department's queue. */
  async transfer(actor: Actor, sessionId: string, target: { operatorId?: number; department?: string }): Promise<SessionDTO> {
    const session = await this.participant(actor, sessionId, false);
    if (session.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is closed');
    if (session.status === 'waiting') {
      if (target.operatorId === undefined) return this.requeueToDepartment(session, target.department as string, null);
      const assignment = await this.assigner.claim(sessionId, target.operatorId, { strategy: 'transfer', reason: 'transferred' });
      return assignment.session;
    }
    const fromId = Number(session.operatorId);
    if (target.operatorId === undefined) return this.requeueToDepartment(session, target.department as string, fromId);
    const toId = target.operatorId;
    if (toId === fromId) throw new ConflictError('CONFLICT', 'The session is already with that operator');

    const { ChatSession, Operator } = this.db.models;
    let systemMessage: MessageDTO | null = null;
    await this.db.transaction(async (transaction) => {
      // The new seat before the session row, whose foreign key check would otherwise share-lock it first.
      await this.assigner.takeSeat(toId, transaction);
      const [rows] = await ChatSession.update(
        { operatorId: toId, assignedAt: new Date() },
        { where: { id: sessionId, status: 'active', operatorId: fromId }, transaction },
      );
      if (rows !== 1) throw new ConflictError('CONFLICT', 'The session changed meanwhile; reload it');
      await this.assigner.releaseSeat(fromId, transaction);
      const [from, to] = await Promise.all([
        Operator.findByPk(fromId, { attributes: ['name'], transaction }),
        Operator.findByPk(toId, { attributes: ['name'], transaction }),
      ]);
      await addSessionEvent(this.db, sessionId, 'transferred', transaction, toId, { fromOperatorId: fromId, toOperatorId: toId });
      systemMessage = await addSystemMessage(this.db, sessionId, `Transferred from ${from?.name ?? 'an operator'} to ${to?.name ?? 'another operator'}`, transaction);
    });
    await Promise.all([this.assigner.refreshOperator(fromId), this.assigner.refreshOperator(toId), this.cache.setSessionOperator(sessionId, toId)]);
    const dto = await sessionDTO(this.db, await getSession(this.db, sessionId));
    if (systemMessage) this.events.emit('message.created', { message: systemMessage, session: dto });
    this.events.emit('session.transferred', { session: dto, fromOperatorId: fromId, toOperatorId: toId });
    void this.assigner.drain();
    return dto;
  }

  async postMessage(actor: Actor, sessionId: string, input: PostMessageInput): Promise<{ message: MessageDTO; created: boolean }> {
    // The hot path: no read of its own. The grouped write reads the group's sessions once, in one statement,
    // and runs these checks there, in the order a participant check would (not found, forbidden, closed, content).
    mayKnow(actor, sessionId);
    const content = input.content;
    const admit: Admit = (session, exists) => {
      if (!session) throw new NotFoundError('Session not found');
      if (actor.kind === 'operator' && !isAdmin(actor) && session.operatorId !== actor.operatorId) {
        throw new ForbiddenError('Only the assigned operator or an admin may do this');
      }
      // A retry of a message stored before the close still gets its message back.
      if (session.status === 'closed' && !exists) throw new ConflictError('SESSION_CLOSED', 'The session is closed');
      if (session.status !== 'closed') {
        if (content.trim() === '') throw new ValidationError('Message is blank', [{ field: 'content', message: 'must not be blank' }]);
        // Counted as the request schemas count (validator.js): characters, an emoji once, not UTF-16 units.
        if (!validator.isLength(content, { max: this.config.maxMessageLength })) {
          throw new ValidationError('Message is too long', [{ field: 'content', message: `at most ${this.config.maxMessageLength} characters` }]);
        }
      }
      return { senderId: actor.kind === 'operator' ? String(actor.operatorId) : session.customerId };
    };
    const result = await this.messages.store({
      sessionId,
      senderType: actor.kind === 'customer' ? 'customer' : 'operator',
      senderId: null,
      senderKey: actor.kind === 'operator' ? senderKeyOf('operator', String(actor.operatorId)) : senderKeyOf('customer', null),
      type: input.type ?? 'text',
      content,
      clientMessageId: input.clientMessageId ?? null,
      admit,
    });
    if (result.created && result.session) {
      const { id, status, operatorId } = result.session;
      this.events.emit('message.created', { message: result.message, session: { id, status, operatorId } });
      if (result.firstResponseSeconds !== undefined) {
        this.events.emit('session.first_response', { sessionId: id, operatorId, seconds: result.firstResponseSeconds });
      }
    }
    return { message: result.message, created: result.created };
  }

  async listMessages(actor: Actor, sessionId: string, options: { after?: number; before?: number; limit: number }): Promise<MessagePage> {
    await this.readableState(actor, sessionId);
    return this.messages.list(sessionId, options);
  }

  async rate(actor: Actor, sessionId: string, rating: number, comment?: string): Promise<SessionDTO> {
    if (actor.kind !== 'customer' || actor.sessionId !== sessionId) throw new ForbiddenError('Only the customer of this session may rate it');
    const session = await getSession(this.db, sessionId);
    if (session.status !== 'closed') throw new ConflictError('CONFLICT', 'A session can be rated once it is closed');
    const [rows] = await this.db.models.ChatSession.update(
      { rating, ratingComment: comment ?? null },
      { where: { id: sessionId, status: 'closed', rating: null } },
    );
    if (rows !== 1) throw new ConflictError('CONFLICT', 'The session has already been rated');
    await this.db.transaction((t) => addSessionEvent(this.db, sessionId, 'rated', t, null, { rating }));
    const dto = await sessionDTO(this.db, await getSession(this.db, sessionId));
    this.events.emit('session.rated', { session: dto });
    return dto;
  }

  async availability(): Promise<Availability> {
    const { Operator, ChatSession } = this.db.models;
    const [online, operators, waiting, recent] = await Promise.all([
      Operator.count({ where: { status: 'online', disabled: false } }),
      this.cache.getOperators(),
      waitingCount(this.db),
      ChatSession.findAll({
        attributes: ['createdAt', 'assignedAt'],
        where: { assignedAt: { [Op.ne]: null }, createdAt: { [Op.gte]: new Date(Date.now() - 3_600_000) } },
        order: [['assignedAt', 'DESC']],
        limit: 50,
      }),
    ]);
    const available = operators
      ? operators.filter((o) => o.status === 'online' && o.activeSessions < o.maxConcurrentSessions).length
      : await Operator.count({ where: { status: 'online', disabled: false } });
    const waits = recent.map((s) => ((s.assignedAt as Date).getTime() - s.createdAt.getTime()) / 1000);
    const averageWait = waits.length > 0 ? waits.reduce((a, b) => a + b, 0) / waits.length : DEFAULT_WAIT_SECONDS;
    const estimatedWaitSeconds = available > 0 && waiting === 0 ? 0 : online === 0 ? -1 : Math.round(averageWait * Math.ceil((waiting + 1) / online));
    return { online: online > 0, availableOperators: available, waiting, estimatedWaitSeconds: Math.max(estimatedWaitSeconds, 0) };
  }

  /** Marks the other side's messages up to an id as read and tells the other side. */
  async markRead(actor: Actor, sessionId: string, upToId: number): Promise<number> {
    const session = await this.participantState(actor, sessionId);
    const by = actor.kind === 'customer' ? 'customer' : 'operator';
    const changed = await this.messages.markRead(sessionId, by, upToId);
    this.events.emit('messages.read', { sessionId, operatorId: operatorOf(session), by, upToId });
    return changed;
  }

  /** A typing indicator, checked like a message (the customer, the assigned operator or an admin) but not stored. */
  async typing(actor: Actor, sessionId: string, isTyping: boolean): Promise<void> {
    const session = await this.participantState(actor, sessionId);
    if (session.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is closed');
    this.events.emit('typing', { sessionId, operatorId: operatorOf(session), senderType: actor.kind === 'customer' ? 'customer' : 'operator', isTyping });
  }

  /** Reconnect sync: every message newer than afterId, ascending. */
  async syncMessages(actor: Actor, sessionId: string, afterId: number): Promise<MessageDTO[]> {
    await this.readableState(actor, sessionId);
    return this.messages.since(sessionId, afterId);
  }

  /** The session if the actor may see it: any operator, or its own customer (others get 404, not 403). */
  private async readable(actor: Actor, sessionId: string): Promise<ChatSession> {
    mayKnow(actor, sessionId);
    return getSession(this.db, sessionId);
  }

  /**
   * As `readable`, for the frequent calls (message pages, sync, read receipts, typing): only what the checks
   * need, in one plain read.
   */
  private async readableState(actor: Actor, sessionId: string): Promise<SessionState> {
    mayKnow(actor, sessionId);
    const [row] = await selectSessions(this.db, [sessionId]);
    if (!row) throw new NotFoundError('Session not found');
    return toSessionState(row);
  }

  /** The session if the actor takes part in it: its customer, its assigned operator, or an admin. */
  private async participant(actor: Actor, sessionId: string, customerAllowed = true): Promise<ChatSession> {
    const session = await this.readable(actor, sessionId);
    checkParticipant(actor, session, customerAllowed);
    return session;
  }

  /** As `participant`, with `readableState`'s light read. */
  private async participantState(actor: Actor, sessionId: string): Promise<SessionState> {
    const session = await this.readableState(actor, sessionId);
    checkParticipant(actor, session, true);
    return session;
  }

  private async requeueToDepartment(session: ChatSession, department: string, fromId: number | null): Promise<SessionDTO> {
    let systemMessage: MessageDTO | null = null;
    await this.db.transaction(async (transaction) => {
      const [rows] = await this.db.models.ChatSession.update(
        { status: 'waiting', operatorId: null, assignedAt: null, department, queuedAt: session.createdAt },
        { where: { id: session.id, status: session.status }, transaction },
      );
      if (rows !== 1) throw new ConflictError('CONFLICT', 'The session changed meanwhile; reload it');
      if (fromId !== null) await this.assigner.releaseSeat(fromId, transaction);
      await addSessionEvent(this.db, session.id, 'transferred', transaction, null, { fromOperatorId: fromId, department });
      systemMessage = await addSystemMessage(this.db, session.id, `Transferred to the ${department} team`, transaction);
    });
    if (fromId !== null) await this.assigner.refreshOperator(fromId);
    await this.cache.setSessionOperator(session.id, null);
    const queued = await sessionDTO(this.db, await getSession(this.db, session.id));
    if (systemMessage) this.events.emit('message.created', { message: systemMessage, session: queued });
    this.events.emit('session.transferred', { session: queued, fromOperatorId: fromId, toOperatorId: null });
    // A drain (this process's sweep, or another process) may route it first: the transfer happened all the same.
    const assignment = await this.assigner.route(session.id).catch((error: unknown) => {
      if (error instanceof ConflictError && (error.code === 'ALREADY_ASSIGNED' || error.code === 'SESSION_CLOSED')) return null;
      throw error;
    });
    if (!assignment) this.events.emit('queue.changed', {});
    if (fromId !== null) void this.assigner.drain();
    return assignment?.session ?? (await sessionDTO(this.db, await getSession(this.db, session.id)));
  }

  /** With IDENTITY_SECRET a customerId must carry its HMAC; returns whether the customer is verified. */
  private verifyIdentity(customerId?: string, identityHash?: string): boolean {
    if (!this.config.identitySecret || customerId === undefined) return false;
    const expected = createHmac('sha256', this.config.identitySecret).update(customerId).digest();
    const given = Buffer.from(identityHash ?? '', 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthenticatedError('customerId needs a valid identityHash');
    }
    return true;
  }

  /** A verified customer with an open session gets it back, with a fresh token. */
  private async resumeSession(customerId: string): Promise<SessionTicket | null> {
    const open = await this.db.models.ChatSession.findOne({
      where: { customerId, status: { [Op.in]: ['waiting', 'active'] } },
      order: [['createdAt', 'DESC']],
    });
    if (!open) return null;
    const { token, hash } = issueCustomerToken(open.id);
    await this.db.models.ChatSession.update({ customerTokenHash: hash }, { where: { id: open.id } });
    const session = await findSession(this.db, open.id);
    if (!session) return null;
    return { session: await sessionDTO(this.db, session), customerToken: token, resumed: true };
  }

  private queueReason(): string {
    return this.config.assignmentStrategy === 'manual' ? 'manual routing: waiting for an operator to take it' : 'no operator available';
  }
}

function operatorOf(session: Pick<ChatSession, 'operatorId'>): number | null {
  return session.operatorId === null || session.operatorId === undefined ? null : Number(session.operatorId);
}

/** A customer learns nothing of sessions that are not theirs: 404, as for one that does not exist. */
function mayKnow(actor: Actor, sessionId: string): void {
  if (actor.kind === 'customer' && actor.sessionId !== sessionId) throw new NotFoundError('Session not found');
}

function checkParticipant(actor: Actor, session: Pick<ChatSession, 'operatorId'>, customerAllowed: boolean): void {
  if (actor.kind === 'system' || isAdmin(actor)) return;
  if (actor.kind === 'customer') {
    if (!customerAllowed) throw new ForbiddenError('Customers cannot do this');
    return;
  }
  if (operatorOf(session) !== actor.operatorId) throw new ForbiddenError('Only the assigned operator or an admin may do this');
}

function closeLine(closedBy: string, reason?: string): string {
  const who = closedBy === 'customer' ? 'the customer' : closedBy === 'operator' ? 'the operator' : 'the system';
  return reason ? `Chat closed by ${who}: ${reason}` : `Chat closed by ${who}`;
}

function encodeCursor(session: ChatSession): string {
  return Buffer.from(JSON.stringify({ c: session.createdAt.toISOString(), i: session.id })).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { c?: unknown; i?: unknown };
    const createdAt = new Date(String(parsed.c));
    if (typeof parsed.i !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('bad cursor');
    return { createdAt, id: parsed.i };
  } catch {
    throw new ValidationError('Invalid cursor', [{ field: 'cursor', message: 'not a cursor this server gave out' }]);
  }
}
