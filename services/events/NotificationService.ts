import type { Logger } from 'pino';
import type { Db } from '../../models/db';
import { queueIds } from '../../models/queries/sessions';
import type { CustomerServerEvents, MessageDTO, OperatorServerEvents, SessionDTO } from '../contract';
import { customerView } from '../dto';
import type { DomainEvents } from './DomainEvents';

/**
 * Where notifications go, by audience, with the contract's event names and payloads. Implemented over
 * Socket.IO rooms (src/realtime/rooms.ts), each process telling the others over the Redis adapter; this service
 * never sees a socket.
 */
export interface Audience {
  /** A stored message to every customer socket of its session (all tabs) and to its operator's sockets. */
  message(sessionId: string, operatorId: number | null, message: MessageDTO): void;
  /** Every customer socket of a session (all tabs). */
  customer<E extends keyof CustomerServerEvents>(sessionId: string, event: E, ...args: Parameters<CustomerServerEvents[E]>): void;
  /** Every socket of one operator. */
  operator<E extends keyof OperatorServerEvents>(operatorId: number, event: E, ...args: Parameters<OperatorServerEvents[E]>): void;
  /** A session's holder (if any) and every operator who has it open (session:viewing). */
  sessionStaff<E extends keyof OperatorServerEvents>(sessionId: string, operatorId: number | null, event: E, ...args: Parameters<OperatorServerEvents[E]>): void;
  /** Each waiting customer (every tab) their place in the queue, as [sessionId, position] pairs. */
  queuePositions(positions: Array<[string, number]>, waiting: number): void;
  /** Every online operator (the queue's audience). */
  queue<E extends keyof OperatorServerEvents>(event: E, ...args: Parameters<OperatorServerEvents[E]>): void;
  /** Every connected operator. */
  operators<E extends keyof OperatorServerEvents>(event: E, ...args: Parameters<OperatorServerEvents[E]>): void;
  /** Adds or removes an operator's sockets from the queue audience. */
  setInQueue(operatorId: number, inQueue: boolean): void;
  /** Ends every connection of an operator (logout, disabled). */
  disconnectOperator(operatorId: number): void;
  /** Ends every customer connection of a session (its data erased: its token no longer opens it). */
  disconnectCustomer(sessionId: string): void;
}

const QUEUE_PUSH_DELAY_MS = 50;

const operatorRef = (session: SessionDTO): { id: number; name: string } | null => session.operator;

/**
 * The one place where domain events become notifications (PROTOCOL.md's server → client events). Queue
 * positions are pushed to every waiting customer whenever the queue changes, a burst of changes folded into
 * one push.
 */
export class NotificationService {
  private queueTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly db: Db,
    private readonly events: DomainEvents,
    private readonly audience: Audience,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const { events, audience } = this;
    const on = this.unsubscribe.push.bind(this.unsubscribe);
    on(
      events.on('session.created', ({ session }) => {
        if (session.status === 'waiting') audience.queue('session:new', { session });
      }),
    );
    on(
      events.on('session.assigned', ({ session, operatorId }) => {
        audience.customer(session.id, 'session:assigned', { session: customerView(session), operator: operatorRef(session) });
        audience.operator(operatorId, 'session:assigned', { session });
      }),
    );
    on(
      events.on('session.transferred', ({ session, fromOperatorId, toOperatorId }) => {
        audience.customer(session.id, 'session:transferred', { session: customerView(session), operator: operatorRef(session) });
        if (fromOperatorId !== null) audience.operator(fromOperatorId, 'session:unassigned', { session });
        if (toOperatorId !== null) audience.operator(toOperatorId, 'session:assigned', { session });
        else audience.queue('session:new', { session });
      }),
    );
    on(
      events.on('session.unassigned', ({ session, operatorId, waiting }) => {
        audience.operator(operatorId, 'session:unassigned', { session });
        audience.queue('session:new', { session });
        if (session.queuePosition !== undefined) audience.customer(session.id, 'session:requeued', { position: session.queuePosition, waiting });
      }),
    );
    on(
      events.on('session.closed', ({ session, operatorId }) => {
        audience.customer(session.id, 'session:closed', { session: customerView(session) });
        if (operatorId !== null) audience.operator(operatorId, 'session:closed', { session });
        else audience.queue('session:closed', { session });
      }),
    );
    on(events.on('session.updated', ({ session }) => audience.operators('session:updated', { session })));
    on(events.on('session.reopened', ({ session }) => audience.queue('session:new', { session })));
    on(
      events.on('message.created', ({ message, session }) => audience.message(session.id, session.operatorId, message)),
    );
    on(
      events.on('message.retold', ({ message, session }) => audience.message(session.id, session.operatorId, message)),
    );
    on(
      events.on('typing', ({ sessionId, operatorId, senderType, isTyping }) => {
        if (senderType === 'operator') audience.customer(sessionId, 'typing', { senderType, isTyping });
        else audience.sessionStaff(sessionId, operatorId, 'typing', { sessionId, senderType, isTyping });
      }),
    );
    on(
      events.on('messages.read', ({ sessionId, operatorId, by, upToId }) => {
        if (by === 'operator') audience.customer(sessionId, 'messages:read', { upToId, by });
        else if (operatorId !== null) audience.operator(operatorId, 'messages:read', { sessionId, upToId, by });
      }),
    );
    on(
      events.on('operator.status_changed', ({ operator }) => {
        audience.setInQueue(operator.id, operator.status === 'online');
        audience.operators('operator:status', { operatorId: operator.id, status: operator.status });
      }),
    );
    on(
      events.on('operator.updated', ({ operator, previousRole, previousName }) => {
        // A socket acts with the role and name its handshake found (its messages are signed with that name): a new
        // role or name takes effect on the reconnect that follows (the console reconnects at once, its token still valid).
        if (operator.disabled || operator.role !== previousRole || operator.name !== previousName) audience.disconnectOperator(operator.id);
      }),
    );
    on(events.on('operator.signed_out', ({ operatorId }) => audience.disconnectOperator(operatorId)));
    on(
      events.on('session.erased', ({ session }) => {
        audience.disconnectCustomer(session.id);
        audience.operators('session:updated', { session });
      }),
    );
    on(events.on('queue.changed', () => this.scheduleQueuePush()));
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.queueTimer = null;
  }

  /** The waiting count to the queue's audience; each waiting customer their position. */
  async pushQueue(): Promise<void> {
    const waiting = await queueIds(this.db);
    this.audience.queue('queue:updated', { waiting: waiting.length });
    this.audience.queuePositions(waiting.map((id, index) => [id, index + 1]), waiting.length);
  }

  private scheduleQueuePush(): void {
    if (this.queueTimer) return;
    this.queueTimer = setTimeout(() => {
      this.queueTimer = null;
      this.pushQueue().catch((error: unknown) => this.logger.warn({ err: error }, 'queue push failed'));
    }, QUEUE_PUSH_DELAY_MS);
  }
}
