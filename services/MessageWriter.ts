import { randomUUID } from 'node:crypto';
import { Op, UniqueConstraintError, type Transaction } from 'sequelize';
import type { Db } from '../models/db';
import type { MessageType, SenderType } from '../models';
import { toMessageDTO, type MessageDTO } from './dto';

export interface NewMessage {
  sessionId: string;
  senderType: Exclude<SenderType, 'system'>;
  senderId: string | null;
  type: MessageType;
  content: string;
  /** The client's id for retries; one is made up when the client sends none, so every row has a key. */
  clientMessageId: string | null;
}

export interface StoredMessage {
  message: MessageDTO;
  /** False when the clientMessageId was already stored: the first message is returned, nothing is added. */
  created: boolean;
}

interface Pending {
  message: NewMessage & { clientMessageId: string };
  resolve: (result: StoredMessage) => void;
  reject: (error: unknown) => void;
}

/** At most this many rows go into one INSERT; more wait for the next group. */
const MAX_GROUP = 500;

const keyOf = (sessionId: string, clientMessageId: string): string => `${sessionId}\u0000${clientMessageId}`;

/**
 * Group commit for messages (DESIGN.md decision 5). Messages that arrive while a group is being written wait
 * and go together into the next one: one multi-row INSERT and one commit for the whole group, however many
 * senders. Each caller's promise resolves only after its group is committed, so an ack never precedes the
 * commit. Groups are written one after another, so message ids are handed out in the order they resolve.
 * Idempotent on (sessionId, clientMessageId): duplicates within a group or of stored rows return the first.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private writing = false;

  constructor(private readonly db: Db) {}

  store(message: NewMessage): Promise<StoredMessage> {
    const clientMessageId = message.clientMessageId ?? `srv-${randomUUID()}`;
    return new Promise((resolve, reject) => {
      this.queue.push({ message: { ...message, clientMessageId }, resolve, reject });
      if (!this.writing) void this.writeGroups();
    });
  }

  /** Resolves once every message handed in so far is written (used on shutdown). */
  async idle(): Promise<void> {
    while (this.writing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  private async writeGroups(): Promise<void> {
    this.writing = true;
    try {
      // Let the messages of this turn of the event loop join the first group.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP);
        await this.writeGroup(group).catch((error: unknown) => {
          for (const pending of group) pending.reject(error);
        });
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeGroup(group: Pending[]): Promise<void> {
    let results: Map<string, StoredMessage>;
    try {
      results = await this.db.transaction((transaction) => this.insertGroup(group, transaction));
    } catch (error) {
      // Another process stored one of these keys between the look-up and the insert: write them one by one.
      if (!(error instanceof UniqueConstraintError)) throw error;
      results = new Map();
      for (const pending of group) {
        const key = keyOf(pending.message.sessionId, pending.message.clientMessageId);
        if (!results.has(key)) results.set(key, await this.db.transaction((t) => this.insertGroup([pending], t)).then((r) => r.get(key) as StoredMessage));
      }
    }
    const seen = new Set<string>();
    for (const pending of group) {
      const key = keyOf(pending.message.sessionId, pending.message.clientMessageId);
      const result = results.get(key) as StoredMessage;
      // A key repeated within the group: the first sender created it, the later ones get it back.
      pending.resolve(seen.has(key) ? { message: result.message, created: false } : result);
      seen.add(key);
    }
  }

  private async insertGroup(group: Pending[], transaction: Transaction): Promise<Map<string, StoredMessage>> {
    const { ChatMessage, ChatSession } = this.db.models;
    const unique = new Map<string, Pending['message']>();
    for (const { message } of group) unique.set(keyOf(message.sessionId, message.clientMessageId), message);
    const keys = [...unique.values()];
    const where = {
      [Op.or]: keys.map((m) => ({ sessionId: m.sessionId, clientMessageId: m.clientMessageId })),
    };
    const results = new Map<string, StoredMessage>();
    for (const row of await ChatMessage.findAll({ where, transaction })) {
      results.set(keyOf(row.sessionId, row.clientMessageId as string), { message: toMessageDTO(row), created: false });
    }
    const fresh = keys.filter((m) => !results.has(keyOf(m.sessionId, m.clientMessageId)));
    if (fresh.length === 0) return results;

    const now = new Date();
    await ChatMessage.bulkCreate(
      fresh.map((m) => ({ ...m, createdAt: now })),
      { transaction, validate: false, returning: false },
    );
    // Ids are read back by key rather than trusted from the driver: consecutive auto-increment values for a
    // multi-row INSERT are not guaranteed on every MySQL configuration.
    const inserted = await ChatMessage.findAll({
      where: { [Op.or]: fresh.map((m) => ({ sessionId: m.sessionId, clientMessageId: m.clientMessageId })) },
      transaction,
    });
    for (const row of inserted) results.set(keyOf(row.sessionId, row.clientMessageId as string), { message: toMessageDTO(row), created: true });

    const sessions = [...new Set(fresh.map((m) => m.sessionId))];
    await ChatSession.update({ lastMessageAt: now }, { where: { id: { [Op.in]: sessions } }, transaction, silent: true });
    const answered = [...new Set(fresh.filter((m) => m.senderType === 'operator').map((m) => m.sessionId))];
    if (answered.length > 0) {
      await ChatSession.update({ firstResponseAt: now }, { where: { id: { [Op.in]: answered }, firstResponseAt: null }, transaction, silent: true });
    }
    return results;
  }
}
