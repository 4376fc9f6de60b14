import validator from 'validator';
import type { Db } from '../../models/db';
import type { MessageType } from '../../models';
import { selectByKeys, selectSessions, senderKeyOf, toSessionState, type SessionState } from '../../models/queries/messages';
import { canKnow, canParticipate, requireOperator, type Actor } from '../access';
import { batchedLookup } from '../cache/batchedLookup';
import type { MessageDTO } from '../contract';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError, ValidationError } from '../errors';
import type { DomainEvents } from '../events/DomainEvents';
import type { AttachmentFiles, Upload } from './attachments/AttachmentFiles';
import { IMAGE_TYPES } from './attachments/fileTypes';
import { withAttachments, type MessageReader, type MessagePage } from './MessageReader';
import type { Admit, MessageWriter, NewMessage, StoredMessage } from './MessageWriter';

export interface PostMessageInput {
  content: string;
  type?: Exclude<MessageType, 'system'>;
  clientMessageId?: string;
  /** An operators-only note (PROTOCOL.md "Internal notes"): operators only; any operator, any session, closed too. */
  internal?: boolean;
}

export interface PostFileInput {
  file: Upload;
  /** A caption, optional. */
  content?: string;
  clientMessageId?: string;
  /** Refused (a note carries text only): a file meant for operators must never be stored where a customer reads. */
  internal?: boolean;
}

/** Notes are the team's: a customer's `internal: true` is refused (403) before anything is stored. */
function customersWriteNoNotes(actor: Actor, internal: boolean | undefined): void {
  if (internal === true && actor.kind === 'customer') throw new ForbiddenError('Customers cannot write internal notes');
}

/** How long after a message was stored a retry of it is told again (see announce). */
const RETELL_AFTER_MS = 1_000;

/** A conversation's messages: sent (stored before acknowledged), paged, synced after a reconnect, read; typing. */
export class MessageService {
  constructor(
    private readonly db: Db,
    private readonly writer: MessageWriter,
    private readonly reader: MessageReader,
    private readonly events: DomainEvents,
    private readonly files: AttachmentFiles,
    private readonly maxMessageLength: number,
  ) {}

  /**
   * The hot path: no read of its own. The grouped write reads the group's sessions once, in one statement, and
   * runs the checks there, in the order a participant check would (not found, forbidden, closed, content).
   */
  async postMessage(actor: Actor, sessionId: string, input: PostMessageInput): Promise<{ message: MessageDTO; created: boolean }> {
    canKnow(actor, sessionId);
    customersWriteNoNotes(actor, input.internal);
    const message = { content: input.content, type: input.type ?? 'text', clientMessageId: input.clientMessageId };
    const result = await this.writer.store(input.internal === true ? this.newNote(actor, sessionId, message) : this.newMessage(actor, sessionId, message));
    this.announce(result);
    return { message: result.message, created: result.created };
  }

  /**
   * Over the session's message limit: a retry of a message this sender already stored is answered with it (as
   * every retry is, 200), anything else waits (RATE_LIMITED, with the seconds left).
   */
  async retryOverLimit(actor: Actor, sessionId: string, clientMessageId: string | undefined, waitSeconds: number): Promise<MessageDTO> {
    const earlier = clientMessageId === undefined ? null : await this.storedCopy(actor, sessionId, clientMessageId);
    if (earlier) return earlier;
    throw new RateLimitedError(waitSeconds, 'Too many messages; slow down');
  }

  /** The message this sender stored under `clientMessageId`, told again as a retry is; null when there is none. */
  private async storedCopy(actor: Actor, sessionId: string, clientMessageId: string): Promise<MessageDTO | null> {
    canKnow(actor, sessionId);
    const [earlier] = (await selectByKeys(this.db, [{ sessionId, senderKey: this.senderKey(actor), clientMessageId }])).values();
    if (!earlier) return null;
    const message = (await withAttachments([earlier], (ids) => this.files.describe(ids)))[0] as MessageDTO;
    this.announce({ message, created: false, session: null });
    return message;
  }

  /**
   * A message with a file (multipart upload): checked like a message, the file checked and stored, then the
   * message written through the same group writer. The same sender's clientMessageId again returns the first
   * message before the file is even looked at; a refused or duplicate message leaves no file behind.
   */
  async postFile(actor: Actor, sessionId: string, input: PostFileInput): Promise<{ message: MessageDTO; created: boolean }> {
    canKnow(actor, sessionId);
    customersWriteNoNotes(actor, input.internal);
    if (input.internal === true) throw new ValidationError('A note carries text only', [{ field: 'internal', message: 'a file cannot be a note: nothing was stored' }]);
    const session = await this.participant(actor, sessionId);
    if (input.clientMessageId !== undefined) {
      const earlier = await this.storedCopy(actor, sessionId, input.clientMessageId);
      if (earlier) return { message: earlier, created: false };
    }
    if (session.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is closed');
    const caption = input.content ?? '';
    this.checkLength(caption);
    const prepared = await this.files.prepare(input.file);
    const stored = await this.files.store(sessionId, prepared);
    let result: StoredMessage;
    try {
      const type = IMAGE_TYPES.has(stored.contentType) ? 'image' : 'file';
      result = await this.writer.store({ ...this.newMessage(actor, sessionId, { content: caption, type, clientMessageId: input.clientMessageId, captionOnly: true }), attachmentId: stored.id });
    } catch (error) {
      await this.files.discard([stored]);
      throw error;
    }
    // Another request with the same clientMessageId got there first: its message stands, this copy goes.
    if (!result.created) await this.files.discard([stored]);
    this.announce(result);
    return { message: result.message, created: result.created };
  }

  /**
   * A message for the group writer, with the sender's check run against the group's one read of the session, in
   * the order a participant check would (not found, forbidden, closed, content). `captionOnly`: the content may
   * be blank (a file's caption).
   */
  private newMessage(
    actor: Actor,
    sessionId: string,
    message: { content: string; type: Exclude<MessageType, 'system'>; clientMessageId?: string; captionOnly?: boolean },
  ): NewMessage {
    const { content } = message;
    const admit: Admit = (session, exists) => {
      if (!session) throw new NotFoundError('Session not found');
      canParticipate(actor, session);
      // A retry of a message stored before the close still gets its message back.
      if (session.status === 'closed' && !exists) throw new ConflictError('SESSION_CLOSED', 'The session is closed');
      if (session.status !== 'closed') {
        if (!message.captionOnly && content.trim() === '') throw new ValidationError('Message is blank', [{ field: 'content', message: 'must not be blank' }]);
        this.checkLength(content);
      }
      return { senderId: actor.kind === 'operator' ? String(actor.operatorId) : session.customerId };
    };
    return {
      sessionId,
      senderType: actor.kind === 'operator' ? 'operator' : 'customer',
      senderId: null,
      operatorId: actor.kind === 'operator' ? actor.operatorId : undefined,
      operatorName: actor.kind === 'operator' ? actor.name : undefined,
      senderKey: this.senderKey(actor),
      type: message.type,
      content,
      clientMessageId: message.clientMessageId ?? null,
      admit,
    };
  }

  /**
   * A note: any operator on any session that exists, open or closed (a supervisor's whisper), checked against
   * the group's read like a message. The caller has refused customers.
   */
  private newNote(actor: Actor, sessionId: string, message: { content: string; type: Exclude<MessageType, 'system'>; clientMessageId?: string }): NewMessage {
    const { content } = message;
    const admit: Admit = (session) => {
      if (!session || actor.kind !== 'operator') throw new NotFoundError('Session not found');
      if (session.erased) throw new ConflictError('SESSION_CLOSED', 'The session was erased: nothing more is kept in it');
      if (content.trim() === '') throw new ValidationError('Note is blank', [{ field: 'content', message: 'must not be blank' }]);
      this.checkLength(content);
      return { senderId: String(actor.operatorId) };
    };
    return { ...this.newMessage(actor, sessionId, message), internal: true, admit };
  }

  private senderKey(actor: Actor): string {
    return actor.kind === 'operator' ? senderKeyOf('operator', String(actor.operatorId)) : senderKeyOf('customer', null);
  }

  /** Counted as the request schemas count (validator.js): characters, an emoji once, not UTF-16 units. */
  private checkLength(content: string): void {
    if (!validator.isLength(content, { max: this.maxMessageLength })) {
      throw new ValidationError('Message is too long', [{ field: 'content', message: `at most ${this.maxMessageLength} characters` }]);
    }
  }

  /**
   * Tells everyone else of a message just stored. A retry that comes once its sender has had time to reconnect
   * (RETELL_AFTER_MS) is told again: no acknowledgement came because the process that stored it stopped, maybe
   * before telling anyone (a host that died between its commit and its news). A quick retry (a double send, two
   * tabs racing) is not: the first telling is on its way. Clients keep one copy per message id anyway.
   */
  private announce(result: StoredMessage): void {
    if (!result.created) {
      // Not told again when the database does not answer: a sync still finds it, as before this retry.
      if (Date.now() - Date.parse(result.message.createdAt) >= RETELL_AFTER_MS) this.retell(result).catch(() => undefined);
      return;
    }
    if (!result.session) return;
    const { id, status, operatorId: holder } = result.session;
    this.events.emit('message.created', { message: result.message, session: { id, status, operatorId: holder } });
    if (result.firstResponseSeconds !== undefined) {
      this.events.emit('session.first_response', { sessionId: id, operatorId: holder, seconds: result.firstResponseSeconds });
    }
  }

  /**
   * Sockets only (message.retold), never a second webhook: a receiver that had the first would count the message
   * twice. When the host died before sending the first, integrations miss it, as they miss any event of a process
   * that stops (webhooks are delivered from memory, docs/API.md).
   */
  private async retell({ message, session }: StoredMessage): Promise<void> {
    // The group's read of the session when it made one (a retry after a close); else one read of it now.
    const [row] = session ? [] : await selectSessions(this.db, [message.sessionId]);
    const state = session ?? (row ? toSessionState(row) : null);
    if (!state) return;
    this.events.emit('message.retold', { message, session: { id: state.id, status: state.status, operatorId: state.operatorId } });
  }

  async listMessages(actor: Actor, sessionId: string, options: { after?: number; before?: number; limit: number }): Promise<MessagePage> {
    await this.readable(actor, sessionId);
    return this.reader.list(sessionId, { ...options, notes: actor.kind === 'operator' });
  }

  /** Reconnect sync: every message newer than afterId, ascending. */
  async syncMessages(actor: Actor, sessionId: string, afterId: number): Promise<MessageDTO[]> {
    await this.readable(actor, sessionId);
    return this.reader.since(sessionId, afterId, actor.kind === 'operator');
  }

  /** Marks the other side's messages up to an id as read and tells the other side. */
  async markRead(actor: Actor, sessionId: string, upToId: number): Promise<number> {
    const session = await this.participant(actor, sessionId);
    const by = actor.kind === 'customer' ? 'customer' : 'operator';
    const changed = await this.reader.markRead(sessionId, by, upToId);
    this.events.emit('messages.read', { sessionId, operatorId: session.operatorId, by, upToId });
    return changed;
  }

  /**
   * An operator writing a note: checked like a note (any operator, any session that exists, closed too). Nobody is
   * told here: a customer never hears of a note, and colleagues learn of it from session:viewers (realtime).
   */
  async noteTyping(actor: Actor, sessionId: string): Promise<void> {
    requireOperator(actor);
    await this.readable(actor, sessionId);
  }

  /** A typing indicator, checked like a message (the customer, the assigned operator or an admin) but not stored. */
  async typing(actor: Actor, sessionId: string, isTyping: boolean): Promise<void> {
    const session = await this.participant(actor, sessionId);
    if (session.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is closed');
    this.events.emit('typing', { sessionId, operatorId: session.operatorId, senderType: actor.kind === 'customer' ? 'customer' : 'operator', isTyping });
  }

  /**
   * The session, for the frequent calls (pages, sync, read receipts, typing): only what the checks need, one plain
   * read, shared by every such call of the same turn of the event loop (after a restart, thousands of customers
   * sync at once).
   */
  private async readable(actor: Actor, sessionId: string): Promise<SessionState> {
    canKnow(actor, sessionId);
    const row = await this.sessionRows(sessionId);
    if (!row) throw new NotFoundError('Session not found');
    return toSessionState(row);
  }

  private readonly sessionRows = batchedLookup(async (ids: string[]) => new Map((await selectSessions(this.db, ids)).map((row) => [row.id, row])));

  private async participant(actor: Actor, sessionId: string): Promise<SessionState> {
    const session = await this.readable(actor, sessionId);
    canParticipate(actor, session);
    return session;
  }
}
