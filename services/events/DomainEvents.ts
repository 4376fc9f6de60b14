import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { MessageDTO, OperatorDTO, SessionDTO } from '../contract';

/** What an erasure took (the `customer.erased` webhook's data): integrations forget the same. */
export interface CustomerErasure {
  /** Whose data went; null for sessions that had no customer id. */
  customerId: string | null;
  sessionIds: string[];
  /** The admin who asked; null when retention erased expired sessions. */
  erasedBy: { id: number; name: string } | null;
  reason: 'request' | 'retention';
  sessions: number;
  messages: number;
  attachments: number;
}

/** Enough of a session to know who should hear about it. */
export type SessionRef = Pick<SessionDTO, 'id' | 'status' | 'operatorId'>;

/**
 * What happened, told by the services after the change is committed. The NotificationService turns these
 * into socket emits and webhooks; the services never know who listens.
 */
export interface DomainEventMap {
  'session.created': { session: SessionDTO };
  'session.assigned': { session: SessionDTO; operatorId: number; strategy: string; reason: string };
  'session.transferred': { session: SessionDTO; fromOperatorId: number | null; toOperatorId: number | null };
  /** Taken from its operator and queued again; `waiting` is the queue's length with it. */
  'session.unassigned': { session: SessionDTO; operatorId: number; reason: string; waiting: number };
  'session.closed': { session: SessionDTO; operatorId: number | null };
  /** A closed session waiting again: its customer wrote after the close (a reply by email). */
  'session.reopened': { session: SessionDTO };
  'session.rated': { session: SessionDTO };
  /** Details operators see changed (labels). */
  'session.updated': { session: SessionDTO };
  /** A session's content and its customer's details were erased (the session as it is left: anonymous). */
  'session.erased': { session: SessionDTO };
  /** An erasure finished (by an admin, or retention): what the webhook tells integrations to forget too. */
  'customer.erased': CustomerErasure;
  /** The waiting queue changed (a session joined or left it): positions may have moved. */
  'queue.changed': Record<string, never>;
  'message.created': { message: MessageDTO; session: SessionRef };
  /** A message stored earlier, told again to the session's sockets (a retry of it came). */
  'message.retold': { message: MessageDTO; session: SessionRef };
  /** An operator answered a session for the first time since it was assigned. */
  'session.first_response': { sessionId: string; operatorId: number | null; seconds: number };
  'operator.status_changed': { operator: OperatorDTO; previous: string };
  /** An admin changed the operator; `previousRole` and `previousName` are as they were before. */
  'operator.updated': { operator: OperatorDTO; previousRole: OperatorDTO['role']; previousName: string };
  /** Every token of the operator was ended (logout, disabled): their live connections must end too. */
  'operator.signed_out': { operatorId: number };
  /** Typing indicators are not stored; they only travel. */
  typing: { sessionId: string; operatorId: number | null; senderType: 'customer' | 'operator'; isTyping: boolean };
  'messages.read': { sessionId: string; operatorId: number | null; by: 'customer' | 'operator'; upToId: number };
}

export type DomainEventName = keyof DomainEventMap;

export class DomainEvents {
  private readonly emitter = new EventEmitter();

  constructor(private readonly logger: Logger) {
    this.emitter.setMaxListeners(50);
  }

  emit<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): void {
    this.emitter.emit(name, payload);
  }

  /** A listener's failure is logged and never reaches the service that emitted. */
  on<K extends DomainEventName>(name: K, listener: (payload: DomainEventMap[K]) => void | Promise<void>): () => void {
    const safe = (payload: DomainEventMap[K]): void => {
      try {
        const result = listener(payload);
        if (result instanceof Promise) result.catch((error: unknown) => this.logger.error({ err: error, event: name }, 'event listener failed'));
      } catch (error) {
        this.logger.error({ err: error, event: name }, 'event listener failed');
      }
    };
    this.emitter.on(name, safe);
    return () => this.emitter.off(name, safe);
  }
}
