import { randomUUID } from 'node:crypto';
import { IndexHints, Op, UniqueConstraintError, type Transaction, type WhereOptions } from 'sequelize';
import type { Db } from '../models/db';
import type { MessageType, SenderType, SessionStatus } from '../models';
import { toMessageDTO, type MessageDTO } from './dto';

/** A message's session as its group's transaction read it. */
export interface SessionState {
  id: string;
  status: SessionStatus;
  operatorId: number | null;
  customerId: string | null;
}

/**
 * The sender's check, run against the session as the group read it (`null`: no such session): throws to refuse
 * this one message (the rest of the group is stored), or returns the sender id to store. `exists` is true
 * when the clientMessageId is already stored (a retry, answered with the first message).
 */
export type Admit = (session: SessionState | null, exists: boolean) => { senderId: string | null };

export interface NewMessage {
  sessionId: string;
  senderType: Exclude<SenderType, 'system'>;
  senderId: string | null;
  type: MessageType;
  content: string;
  /** The client's id for retries; one is made up when the client sends none, so every row has a key. */
  clientMessageId: string | null;
  /**
   * Checked inside the group's transaction, so the sender's hot path needs no read of its own: one read of
   * the sessions per group instead of one per message. Without it the message is stored unchecked.
   */
  admit?: Admit;
}

export interface StoredMessage {
  message: MessageDTO;
  /** False when the clientMessageId was already stored: the first message is returned, nothing is added. */
  created: boolean;
  /** The session as the group read it (who else is to hear of the message). */
  session: SessionState | null;
  /** On the message that was the session's first operator answer: seconds since the session was assigned. */
  firstResponseSeconds?: number;
}

interface Pending {
  message: NewMessage & { clientMessageId: string };
  resolve: (result: StoredMessage) => void;
  reject: (error: unknown) => void;
}

/** What became of one message of a group: stored (or found stored), or refused by its admit check. */
type Outcome = { stored: StoredMessage } | { refused: unknown };

/** At most this many rows go into one INSERT; more wait for the next group. */
const MAX_GROUP = 500;

const keyOf = (sessionId: string, clientMessageId: string): string => `${sessionId}\u0000${clientMessageId}`;

/** Rows by (sessionId, clientMessageId), each pair once: one range of the unique index per pair. */
function byKeys(messages: Array<{ sessionId: string; clientMessageId: string }>): WhereOptions {
  const pairs = new Map(messages.map((m) => [keyOf(m.sessionId, m.clientMessageId), { sessionId: m.sessionId, clientMessageId: m.clientMessageId }]));
  return { [Op.or]: [...pairs.values()] };
}

/**
 * MariaDB reads an OR of (session_id, client_message_id) pairs through (session_id, id) unless told otherwise:
 * every message of the group's sessions, so a group cost grew with the conversations' length (measured:
 * 500 keys over 200 sessions holding 30,000 messages, 0.8–1 s instead of 25–30 ms). The unique index
 * (migration 001) answers each pair with one lookup. MySQL dialects only; SQLite plans this well itself.
 */
const BY_KEY = { indexHints: [{ type: IndexHints.FORCE, values: ['chat_messages_session_client_unique'] }] };

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
    let outcomes: Outcome[];
    try {
      outcomes = await this.db.transaction((transaction) => this.insertGroup(group, transaction));
    } catch (error) {
      // Another process stored one of these keys between the look-up and the insert: write them one by one
      // (each then finds what the others stored).
      if (!(error instanceof UniqueConstraintError)) throw error;
      outcomes = [];
      for (const pending of group) outcomes.push(...(await this.db.transaction((t) => this.insertGroup([pending], t))));
    }
    group.forEach((pending, index) => {
      const outcome = outcomes[index] as Outcome;
      if ('stored' in outcome) pending.resolve(outcome.stored);
      else pending.reject(outcome.refused);
    });
  }

  /** One transaction for the group: read its sessions, check each message, insert the new ones. */
  private async insertGroup(group: Pending[], transaction: Transaction): Promise<Outcome[]> {
    const { ChatMessage, ChatSession } = this.db.models;
    const sessionIds = [...new Set(group.map(({ message }) => message.sessionId))];
    const sessions = new Map<string, SessionState>();
    /** Assigned sessions still waiting for their operator's first answer, with the time they were assigned. */
    const unanswered = new Map<string, Date>();
    const sessionRows = (await ChatSession.findAll({
      attributes: ['id', 'status', 'operatorId', 'customerId', 'assignedAt', 'firstResponseAt'],
      where: { id: { [Op.in]: sessionIds } },
      transaction,
      raw: true,
    })) as unknown as Array<{
      id: string;
      status: SessionStatus;
      operatorId: number | string | null;
      customerId: string | null;
      // Raw rows: a Date from mysql2, a string from SQLite.
      assignedAt: Date | string | null;
      firstResponseAt: Date | string | null;
    }>;
    for (const row of sessionRows) {
      sessions.set(row.id, { id: row.id, status: row.status, operatorId: row.operatorId === null ? null : Number(row.operatorId), customerId: row.customerId ?? null });
      if (row.assignedAt !== null && row.firstResponseAt === null) unanswered.set(row.id, new Date(row.assignedAt));
    }

    // Stored already (retries), looked up by key on the unique index.
    const stored = new Map<string, MessageDTO>();
    const found = await ChatMessage.findAll({ where: byKeys(group.map(({ message }) => message)), transaction, ...BY_KEY });
    for (const row of found) stored.set(keyOf(row.sessionId, row.clientMessageId as string), toMessageDTO(row));

    const outcomes: Array<Outcome | { key: string; first: boolean }> = [];
    const firstAnswers = new Map<string, number>();
    const fresh = new Map<string, NewMessage & { clientMessageId: string }>();
    for (const { message } of group) {
      const key = keyOf(message.sessionId, message.clientMessageId);
      const session = sessions.get(message.sessionId) ?? null;
      let senderId = message.senderId;
      if (message.admit) {
        try {
          ({ senderId } = message.admit(session, stored.has(key) || fresh.has(key)));
        } catch (error) {
          outcomes.push({ refused: error });
          continue;
        }
      }
      const existing = stored.get(key);
      if (existing) {
        outcomes.push({ stored: { message: existing, created: false, session } });
      } else {
        // A key repeated within the group: the first sender creates it, the later ones get it back.
        outcomes.push({ key, first: !fresh.has(key) });
        if (!fresh.has(key)) fresh.set(key, { ...message, senderId });
      }
    }

    if (fresh.size > 0) {
      const now = new Date();
      const rows = [...fresh.values()];
      await ChatMessage.bulkCreate(
        rows.map(({ sessionId, senderType, senderId, type, content, clientMessageId }) => ({ sessionId, senderType, senderId, type, content, clientMessageId, createdAt: now })),
        { transaction, validate: false, returning: false },
      );
      // Ids are read back by key rather than trusted from the driver: consecutive auto-increment values for a
      // multi-row INSERT are not guaranteed on every MySQL configuration.
      const inserted = await ChatMessage.findAll({ where: byKeys(rows), transaction, ...BY_KEY });
      for (const row of inserted) stored.set(keyOf(row.sessionId, row.clientMessageId as string), toMessageDTO(row));

      const written = [...new Set(rows.map((m) => m.sessionId))];
      await ChatSession.update({ lastMessageAt: now }, { where: { id: { [Op.in]: written } }, transaction, silent: true });
      const answered = [...new Set(rows.filter((m) => m.senderType === 'operator').map((m) => m.sessionId))];
      if (answered.length > 0) {
        await ChatSession.update({ firstResponseAt: now }, { where: { id: { [Op.in]: answered }, firstResponseAt: null }, transaction, silent: true });
      }
      for (const sessionId of answered) {
        const assignedAt = unanswered.get(sessionId);
        if (assignedAt) firstAnswers.set(sessionId, Math.max(0, (now.getTime() - assignedAt.getTime()) / 1000));
      }
    }
    return outcomes.map((outcome, index) => {
      if (!('key' in outcome)) return outcome;
      const { message } = group[index] as Pending;
      const result: StoredMessage = { message: stored.get(outcome.key) as MessageDTO, created: outcome.first, session: sessions.get(message.sessionId) ?? null };
      // The group's first operator message of the session is its first answer; the rest of the group is not.
      const seconds = outcome.first && message.senderType === 'operator' ? firstAnswers.get(message.sessionId) : undefined;
      if (seconds !== undefined) {
        result.firstResponseSeconds = seconds;
        firstAnswers.delete(message.sessionId);
      }
      return { stored: result };
    });
  }
}
