import type { CreationAttributes, InferCreationAttributes, Transaction } from 'sequelize';
import type { Db } from '../../../models/db';
import type { ChatSession, Operator, SessionEventType } from '../../../models';
import { endAssignments, openAssignments } from '../../../models/queries/assignments';
import { releaseSeat, takeSeats } from '../../../models/queries/operators';
import { insertEvents, insertSystemLine, insertSystemLines, type EventRow } from '../../../models/queries/sessionLog';
import { lockSession } from '../../../models/queries/sessions';
import type { MessageDTO, SessionDTO } from '../../contract';
import type { CachedOperator } from '../../cache/CacheStore';
import { toMessageDTO, toOperatorDTO } from '../../dto';
import { NotFoundError } from '../../errors';
import type { DomainEventMap, DomainEventName, DomainEvents } from '../../events/DomainEvents';
import { claimSeat } from '../../routing/seats';
import { viewSession } from '../sessionViews';

/** What a committed transition leaves for its publish step (pipeline.ts), in the order it is to happen. */
export interface Effects {
  /** Sessions changed: their publish steps run in commit order within this process. */
  sessions: Set<string>;
  /** Operators whose rows changed: written through to the cache (re-read after the commit, unless known below). */
  operators: Set<number>;
  /**
   * Of those, the ones whose row after the commit is known without a re-read: locked, then changed by known
   * amounts and nothing else (a routing pass's seats). Written through as they are.
   */
  knownOperators: Map<number, CachedOperator>;
  /** Session → the operator now holding it (null: nobody), for the cache. */
  holders: Map<string, number | null>;
  /** The news, in the order it is told. */
  events: Array<(events: DomainEvents) => void>;
  /** The waiting queue changed: its audience hears once. */
  queueChanged: boolean;
  /** A seat was given back: the queue drains into it. */
  seatFreed: boolean;
}

/** A session as the checks see it: who holds it. */
export const holderOf = (session: Pick<ChatSession, 'operatorId'>): number | null =>
  session.operatorId === null || session.operatorId === undefined ? null : Number(session.operatorId);

/**
 * The commit half of a transition (DESIGN.md decision 10): one transaction, and the writes every change to a
 * session is made of. Each write that someone must hear of records it in `effects`, and nothing is told before
 * the commit. A new instance for each attempt: a transaction retried after a deadlock starts with no effects.
 */
export class CommitStep {
  private readonly logged: EventRow[] = [];
  readonly effects: Effects = { sessions: new Set(), operators: new Set(), knownOperators: new Map(), holders: new Map(), events: [], queueChanged: false, seatFreed: false };

  constructor(
    readonly db: Db,
    readonly transaction: Transaction,
    readonly now: Date,
  ) {}

  /** The session row, locked until the commit: the transition decides from what it holds now (invariant 5). */
  async lock(sessionId: string): Promise<ChatSession> {
    const row = await lockSession(this.db, sessionId, this.transaction);
    if (!row) throw new NotFoundError('Session not found');
    this.effects.sessions.add(sessionId);
    return row;
  }

  /** A new session, its news published in order with every later change to it. */
  async insert(fields: CreationAttributes<ChatSession>): Promise<ChatSession> {
    const row = await this.db.models.ChatSession.create(fields, { transaction: this.transaction });
    this.effects.sessions.add(row.id);
    return row;
  }

  /** New sessions in one INSERT (a group of arrivals), likewise. */
  async insertMany(fields: Array<CreationAttributes<ChatSession>>): Promise<ChatSession[]> {
    const rows = await this.db.models.ChatSession.bulkCreate(fields, { transaction: this.transaction, validate: false, returning: false });
    for (const row of rows) this.effects.sessions.add(row.id);
    return rows;
  }

  async update(sessionId: string, changes: Partial<InferCreationAttributes<ChatSession>>): Promise<void> {
    await this.db.models.ChatSession.update(changes, { where: { id: sessionId }, transaction: this.transaction });
    this.effects.sessions.add(sessionId);
  }

  /** One seat of the operator, or the transaction fails (NOT_FOUND, OPERATOR_AT_CAPACITY). */
  async takeSeat(operatorId: number): Promise<void> {
    await claimSeat(this.db, operatorId, this.now, this.transaction);
    this.changedOperator(operatorId);
  }

  /**
   * Seats for a routing pass, n per operator, from their rows as this transaction locked them (whole rows); throws
   * if any operator's row no longer allows them. Each row after the commit is then known: as locked, with its
   * seats, this assignment time and its next version (models/queries/operators.ts takeSeats).
   */
  async takeSeats(seats: Map<number, number>, locked: Map<number, Operator>): Promise<void> {
    if ((await takeSeats(this.db, seats, this.now, this.transaction)) !== seats.size) throw new Error('routing pass: seats changed under lock');
    for (const [id, taken] of seats) {
      this.changedOperator(id);
      const row = locked.get(id);
      if (!row) continue;
      const before = toOperatorDTO(row);
      this.effects.knownOperators.set(id, { ...before, activeSessions: before.activeSessions + taken, lastAssignedAt: this.now.toISOString(), version: row.version + 1 });
    }
  }

  async releaseSeat(operatorId: number): Promise<void> {
    await releaseSeat(this.db, operatorId, this.transaction);
    this.changedOperator(operatorId);
    this.effects.seatFreed = true;
  }

  /** A write to the operator's row: it is re-read after the commit (a copy known before this write is not). */
  private changedOperator(operatorId: number): void {
    this.effects.operators.add(operatorId);
    this.effects.knownOperators.delete(operatorId);
  }

  /**
   * The sessions now held by these operators: a new assignment each (statistics are per assignment). A session
   * that was held already must be `release`d first.
   */
  async hold(assignments: Array<{ sessionId: string; operatorId: number }>): Promise<void> {
    await openAssignments(this.db, assignments, this.now, this.transaction);
    for (const { sessionId, operatorId } of assignments) {
      this.effects.holders.set(sessionId, operatorId);
      this.effects.sessions.add(sessionId);
    }
  }

  /** The session is held by nobody now (queued again, closed). */
  async release(sessionId: string): Promise<void> {
    await endAssignments(this.db, [sessionId], this.now, this.transaction);
    this.effects.holders.set(sessionId, null);
  }

  /** Lines of the sessions' audit trails, written by `flush` (nothing in a transition reads them back). */
  log(sessionId: string, type: SessionEventType, operatorId: number | null, detail: Record<string, unknown> | null): void {
    this.logMany([{ sessionId, type, operatorId, detail }]);
  }

  logMany(events: EventRow[]): void {
    this.logged.push(...events);
  }

  /**
   * The audit lines of the whole transition in one INSERT, in the order logged, as its last statement before the
   * commit: a routing pass holds every available operator's row until its commit, so each statement less there is
   * time taken off every other pass's wait.
   */
  async flush(): Promise<void> {
    const events = this.logged.splice(0);
    await insertEvents(this.db, events, this.transaction);
  }

  /** A system line in the conversation. */
  async line(sessionId: string, content: string): Promise<MessageDTO> {
    return toMessageDTO(await insertSystemLine(this.db, sessionId, content, this.now, this.transaction));
  }

  /** One system line in each of many locked sessions, by session. */
  async lines(lines: Array<{ sessionId: string; content: string }>): Promise<Map<string, MessageDTO>> {
    const rows = await insertSystemLines(this.db, lines, this.now, this.transaction);
    return new Map(rows.map((row) => [row.sessionId, toMessageDTO(row)]));
  }

  /** The session as it stands in this transaction, as it will be told and answered. */
  view(sessionId: string): Promise<SessionDTO> {
    return viewSession(this.db, sessionId, this.transaction);
  }

  /** Told after the commit, in the order recorded. */
  emit<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): void {
    this.effects.events.push((events) => events.emit(name, payload));
  }

  /**
   * A place in the news kept for what is known only later in the commit: whatever is told through the function
   * returned is told here, before anything recorded after this call.
   */
  later(): <K extends DomainEventName>(name: K, payload: DomainEventMap[K]) => void {
    const kept: Array<(events: DomainEvents) => void> = [];
    this.effects.events.push((events) => kept.forEach((tell) => tell(events)));
    return (name, payload) => kept.push((events) => events.emit(name, payload));
  }

  queueChanged(): void {
    this.effects.queueChanged = true;
  }
}
