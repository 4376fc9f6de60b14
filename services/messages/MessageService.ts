import validator from 'validator';
import type { Db } from '../../models/db';
import type { MessageType } from '../../models';
import { selectSessions, senderKeyOf, toSessionState, type SessionState } from '../../models/queries/messages';
import { canKnow, canParticipate, type Actor } from '../access';
import type { MessageDTO } from '../contract';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import type { DomainEvents } from '../events/DomainEvents';
import type { MessageReader, MessagePage } from './MessageReader';
import type { Admit, MessageWriter } from './MessageWriter';

export interface PostMessageInput {
  content: string;
  type?: Exclude<MessageType, 'system'>;
  clientMessageId?: string;
  /** An operators-only note: refused until notes are built, so that nothing meant as one reaches a customer. */
  internal?: boolean;
}

/** A conversation's messages: sent (stored before acknowledged), paged, synced after a reconnect, read; typing. */
export class MessageService {
  constructor(
    private readonly db: Db,
    private readonly writer: MessageWriter,
    private readonly reader: MessageReader,
    private readonly events: DomainEvents,
    private readonly maxMessageLength: number,
  ) {}

  /**
   * The hot path: no read of its own. The grouped write reads the group's sessions once, in one statement, and
   * runs the checks there, in the order a participant check would (not found, forbidden, closed, content).
   */
  async postMessage(actor: Actor, sessionId: string, input: PostMessageInput): Promise<{ message: MessageDTO; created: boolean }> {
    canKnow(actor, sessionId);
    if (input.internal === true) {
      if (actor.kind === 'customer') throw new ForbiddenError('Customers cannot write internal notes');
      throw new ValidationError('Internal notes are not available yet', [{ field: 'internal', message: 'notes are not available on this server yet: nothing was sent' }]);
    }
    const { content } = input;
    const admit: Admit = (session, exists) => {
      if (!session) throw new NotFoundError('Session not found');
      canParticipate(actor, session);
      // A retry of a message stored before the close still gets its message back.
      if (session.status === 'closed' && !exists) throw new ConflictError('SESSION_CLOSED', 'The session is closed');
      if (session.status !== 'closed') {
        if (content.trim() === '') throw new ValidationError('Message is blank', [{ field: 'content', message: 'must not be blank' }]);
        // Counted as the request schemas count (validator.js): characters, an emoji once, not UTF-16 units.
        if (!validator.isLength(content, { max: this.maxMessageLength })) {
          throw new ValidationError('Message is too long', [{ field: 'content', message: `at most ${this.maxMessageLength} characters` }]);
        }
      }
      return { senderId: actor.kind === 'operator' ? String(actor.operatorId) : session.customerId };
    };
    const operatorId = actor.kind === 'operator' ? actor.operatorId : undefined;
    const result = await this.writer.store({
      sessionId,
      senderType: actor.kind === 'operator' ? 'operator' : 'customer',
      senderId: null,
      operatorId,
      operatorName: actor.kind === 'operator' ? actor.name : undefined,
      senderKey: operatorId === undefined ? senderKeyOf('customer', null) : senderKeyOf('operator', String(operatorId)),
      type: input.type ?? 'text',
      content,
      clientMessageId: input.clientMessageId ?? null,
      admit,
    });
    if (result.created && result.session) {
      const { id, status, operatorId: holder } = result.session;
      this.events.emit('message.created', { message: result.message, session: { id, status, operatorId: holder } });
      if (result.firstResponseSeconds !== undefined) {
        this.events.emit('session.first_response', { sessionId: id, operatorId: holder, seconds: result.firstResponseSeconds });
      }
    }
    return { message: result.message, created: result.created };
  }

  async listMessages(actor: Actor, sessionId: string, options: { after?: number; before?: number; limit: number }): Promise<MessagePage> {
    await this.readable(actor, sessionId);
    return this.reader.list(sessionId, options);
  }

  /** Reconnect sync: every message newer than afterId, ascending. */
  async syncMessages(actor: Actor, sessionId: string, afterId: number): Promise<MessageDTO[]> {
    await this.readable(actor, sessionId);
    return this.reader.since(sessionId, afterId);
  }

  /** Marks the other side's messages up to an id as read and tells the other side. */
  async markRead(actor: Actor, sessionId: string, upToId: number): Promise<number> {
    const session = await this.participant(actor, sessionId);
    const by = actor.kind === 'customer' ? 'customer' : 'operator';
    const changed = await this.reader.markRead(sessionId, by, upToId);
    this.events.emit('messages.read', { sessionId, operatorId: session.operatorId, by, upToId });
    return changed;
  }

  /** A typing indicator, checked like a message (the customer, the assigned operator or an admin) but not stored. */
  async typing(actor: Actor, sessionId: string, isTyping: boolean): Promise<void> {
    const session = await this.participant(actor, sessionId);
    if (session.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is closed');
    this.events.emit('typing', { sessionId, operatorId: session.operatorId, senderType: actor.kind === 'customer' ? 'customer' : 'operator', isTyping });
  }

  /** The session, for the frequent calls (pages, sync, read receipts, typing): only what the checks need, one plain read. */
  private async readable(actor: Actor, sessionId: string): Promise<SessionState> {
    canKnow(actor, sessionId);
    const [row] = await selectSessions(this.db, [sessionId]);
    if (!row) throw new NotFoundError('Session not found');
    return toSessionState(row);
  }

  private async participant(actor: Actor, sessionId: string): Promise<SessionState> {
    const session = await this.readable(actor, sessionId);
    canParticipate(actor, session);
    return session;
  }
}
