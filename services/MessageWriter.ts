import { randomUUID } from 'node:crypto';
import { UniqueConstraintError, type Transaction } from 'sequelize';
import type { Db } from '../models/db';
import type { MessageType, SenderType, SessionStatus } from '../models';
import type { MessageDTO } from './dto';
import { insertRows, selectByKeys, selectSessions, touchSessions } from './messageRows';

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
    const sessionIds = [...new Set(group.map(({ message }) => message.sessionId))];
    const sessions = new Map<string, SessionState>();
    /** Assigned sessions still waiting for their operator's first answer, with the time they were assigned. */
    const unanswered = new Map<string, Date>();
    const sessionRows = await selectSessions(this.db, sessionIds, transaction);
    for (const row of sessionRows) {
      sessions.set(row.id, { id: row.id, status: row.status, operatorId: row.operatorId === null ? null : Number(row.operatorId), customerId: row.customerId ?? null });
      if (row.assignedAt !== null && row.firstResponseAt === null) unanswered.set(row.id, new Date(row.assignedAt));
    }

    // Stored already (retries), looked up by key on the unique index.
    const stored = new Map<string, MessageDTO>();
    for (const row of await selectByKeys(this.db, group.map(({ message }) => message), transaction)) stored.set(keyOf(row.sessionId, row.clientMessageId as string), row);

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
      await insertRows(this.db, rows.map(({ sessionId, senderType, senderId, type, content, clientMessageId }) => ({ sessionId, senderType, senderId, type, content, clientMessageId, createdAt: now })), transaction);
      // Ids are read back by key rather than trusted from the driver: consecutive auto-increment values for a
      // multi-row INSERT are not guaranteed on every MySQL configuration.
      for (const row of await selectByKeys(this.db, rows, transaction)) stored.set(keyOf(row.sessionId, row.clientMessageId as string), row);

      const written = [...new Set(rows.map((m) => m.sessionId))];
      const answered = [...new Set(rows.filter((m) => m.senderType === 'operator').map((m) => m.sessionId))];
      await touchSessions(this.db, written, answered, now, transaction);
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
