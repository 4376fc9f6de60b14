import { Op, UniqueConstraintError } from 'sequelize';
import type { Db } from '../models/db';
import type { MessageType, SenderType } from '../models';
import { toMessageDTO, type MessageDTO } from './dto';

export interface NewMessage {
  sessionId: string;
  senderType: Exclude<SenderType, 'system'>;
  senderId: string | null;
  type: MessageType;
  content: string;
  clientMessageId: string | null;
}

export interface MessagePage {
  messages: MessageDTO[];
  hasMore: boolean;
}

/** Stores and reads messages. Idempotent on (sessionId, clientMessageId) through the unique index. */
export class MessageStore {
  constructor(private readonly db: Db) {}

  async findByClientId(sessionId: string, clientMessageId: string): Promise<MessageDTO | null> {
    const existing = await this.db.models.ChatMessage.findOne({ where: { sessionId, clientMessageId } });
    return existing ? toMessageDTO(existing) : null;
  }

  /** Stores the message, or returns the one already stored under its clientMessageId (created: false). */
  async store(message: NewMessage): Promise<{ message: MessageDTO; created: boolean }> {
    const now = new Date();
    const { ChatMessage, ChatSession } = this.db.models;
    try {
      const row = await ChatMessage.create({ ...message, createdAt: now });
      const touch = ChatSession.update({ lastMessageAt: now }, { where: { id: message.sessionId } });
      const firstResponse =
        message.senderType === 'operator'
          ? ChatSession.update({ firstResponseAt: now }, { where: { id: message.sessionId, firstResponseAt: null } })
          : Promise.resolve();
      await Promise.all([touch, firstResponse]);
      return { message: toMessageDTO(row), created: true };
    } catch (error) {
      if (error instanceof UniqueConstraintError && message.clientMessageId) {
        const existing = await this.findByClientId(message.sessionId, message.clientMessageId);
        if (existing) return { message: existing, created: false };
      }
      throw error;
    }
  }

  /**
   * Ascending by id. `after`: the next page newer than that id; `before`: the page just older than that id;
   * neither: the latest page. hasMore says whether more lie beyond the page in the direction read.
   */
  async list(sessionId: string, options: { after?: number; before?: number; limit: number }): Promise<MessagePage> {
    const { ChatMessage } = this.db.models;
    const { after, before, limit } = options;
    if (after !== undefined) {
      const rows = await ChatMessage.findAll({
        where: { sessionId, id: { [Op.gt]: after, ...(before !== undefined ? { [Op.lt]: before } : {}) } },
        order: [['id', 'ASC']],
        limit: limit + 1,
      });
      return { messages: rows.slice(0, limit).map(toMessageDTO), hasMore: rows.length > limit };
    }
    const rows = await ChatMessage.findAll({
      where: before !== undefined ? { sessionId, id: { [Op.lt]: before } } : { sessionId },
      order: [['id', 'DESC']],
      limit: limit + 1,
    });
    return { messages: rows.slice(0, limit).reverse().map(toMessageDTO), hasMore: rows.length > limit };
  }

  /** Everything newer than afterId (reconnect sync), in pages the caller need not know about. */
  async since(sessionId: string, afterId: number): Promise<MessageDTO[]> {
    const rows = await this.db.models.ChatMessage.findAll({
      where: { sessionId, id: { [Op.gt]: afterId } },
      order: [['id', 'ASC']],
      limit: 1000,
    });
    return rows.map(toMessageDTO);
  }

  /** Marks the other side's messages up to an id as read; returns how many changed. */
  async markRead(sessionId: string, reader: 'customer' | 'operator', upToId: number): Promise<number> {
    const [count] = await this.db.models.ChatMessage.update(
      { readAt: new Date() },
      {
        where: {
          sessionId,
          id: { [Op.lte]: upToId },
          readAt: null,
          senderType: reader === 'customer' ? { [Op.in]: ['operator', 'system'] } : 'customer',
        },
      },
    );
    return count;
  }
}
