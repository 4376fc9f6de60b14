import { randomUUID } from 'node:crypto';
import { UniqueConstraintError } from 'sequelize';
import type { Db } from '../models/db';
import type { MessageType, SenderType, SessionStatus } from '../models';
import type { Logger } from '../src/logger';
import { toMessageDTO, type MessageDTO } from './dto';
import { insertIdStep, insertRows, lookUpGroup, selectByKeys, stampFirstResponse, stampLastMessage } from './messageRows';

/** A message's session as its group read it. */
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
   * Checked against the group's one read of its sessions, so the sender's hot path needs no read of its own.
   * Without it the message is stored unchecked.
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

/** A group written: each message's outcome, and the sessions that got new messages. */
interface Written {
  outcomes: Outcome[];
  sessionIds: Set<string>;
  at: Date;
}

/** At most this many rows go into one INSERT; more wait for the next group. */
const MAX_GROUP = 500;

const keyOf = (sessionId: string, clientMessageId: string): string => `${sessionId}\u0000${clientMessageId}`;

/**
 * Group commit for messages (DESIGN.md decision 5). Messages that arrive while a group is being written wait
 * and go together into the next one: one read of their sessions and stored keys, then one multi-row INSERT,
 * which is its own commit, for the whole group however many senders. Each caller's promise resolves only
 * after that INSERT, so an ack never precedes the commit. Groups are written one after another, so message
 * ids are handed out in the order they resolve. Idempotent on (sessionId, clientMessageId): duplicates within
 * a group or of stored rows return the first.
 *
 * No transaction around the group: the INSERT is atomic by itself, and every statement in the path is a round
 * trip the sender waits for. The sessions' last-message stamp (read by the idle sweeper alone) is written
 * after the acks; the first-answer stamp (read by the stats) before them, on the rare group that holds one.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private writing = false;
  /** The last-message stamps still being written, one after another. */
  private stamping: Promise<void> = Promise.resolve();
  /** insertIdStep's answer, read once (undefined: not yet). */
  private idStep: number | null | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  store(message: NewMessage): Promise<StoredMessage> {
    const clientMessageId = message.clientMessageId ?? `srv-${randomUUID()}`;
    return new Promise((resolve, reject) => {
      this.queue.push({ message: { ...message, clientMessageId }, resolve, reject });
      if (!this.writing) void this.writeGroups();
    });
  }

  /** Resolves once every message handed in so far is written, stamps included (used on shutdown). */
  async idle(): Promise<void> {
    while (this.writing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.stamping;
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
    let written: Written;
    try {
      written = await this.storeGroup(group);
    } catch (error) {
      // Another process stored one of these keys between the look-up and the insert (so the INSERT stored
      // nothing): write them one by one, each then finds what the others stored.
      if (!(error instanceof UniqueConstraintError)) throw error;
      written = { outcomes: [], sessionIds: new Set(), at: new Date() };
      for (const pending of group) {
        const one = await this.storeGroup([pending]);
        written.outcomes.push(...one.outcomes);
        for (const id of one.sessionIds) written.sessionIds.add(id);
      }
    }
    group.forEach((pending, index) => {
      const outcome = written.outcomes[index] as Outcome;
      if ('stored' in outcome) pending.resolve(outcome.stored);
      else pending.reject(outcome.refused);
    });
    if (written.sessionIds.size > 0) {
      const ids = [...written.sessionIds];
      this.stamping = this.stamping
        .then(() => stampLastMessage(this.db, ids, written.at))
        .catch((error: unknown) => this.logger.warn({ err: error, sessions: ids.length }, 'last-message stamp failed; the idle sweeper may close those sessions early'));
    }
  }

  /** Reads the group's sessions and stored keys, checks each message, inserts the new ones. */
  private async storeGroup(group: Pending[]): Promise<Written> {
    const lookup = await lookUpGroup(this.db, group.map(({ message }) => message));
    const sessions = new Map<string, SessionState>();
    /** Assigned sessions still waiting for their operator's first answer, with the time they were assigned. */
    const unanswered = new Map<string, Date>();
    for (const row of lookup.sessions) {
      sessions.set(row.id, { id: row.id, status: row.status, operatorId: row.operatorId === null ? null : Number(row.operatorId), customerId: row.customerId ?? null });
      if (row.assignedAt !== null && row.firstResponseAt === null) unanswered.set(row.id, new Date(row.assignedAt));
    }
    const stored = new Map<string, MessageDTO>(lookup.stored.map((m) => [keyOf(m.sessionId, m.clientMessageId as string), m]));

    const outcomes: Array<Outcome | { key: string; first: boolean }> = [];
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

    const at = new Date();
    const rows = [...fresh.values()].map(({ sessionId, senderType, senderId, type, content, clientMessageId }) => ({ sessionId, senderType, senderId, type, content, clientMessageId, createdAt: at }));
    /** Seconds from assignment to this group's first answer, per session answered for the first time. */
    const firstAnswers = new Map<string, number>();
    if (rows.length > 0) {
      const firstId = await insertRows(this.db, rows);
      this.idStep ??= await insertIdStep(this.db);
      const step = this.idStep;
      if (step !== null) {
        rows.forEach((row, index) => stored.set(keyOf(row.sessionId, row.clientMessageId), toMessageDTO({ ...row, id: firstId + index * step, readAt: null })));
      } else {
        for (const row of await selectByKeys(this.db, rows)) stored.set(keyOf(row.sessionId, row.clientMessageId as string), row);
      }
      for (const row of rows) {
        const assignedAt = unanswered.get(row.sessionId);
        if (row.senderType === 'operator' && assignedAt && !firstAnswers.has(row.sessionId)) {
          firstAnswers.set(row.sessionId, Math.max(0, (at.getTime() - assignedAt.getTime()) / 1000));
        }
      }
      if (firstAnswers.size > 0) await stampFirstResponse(this.db, [...firstAnswers.keys()], at);
    }

    const resolved = outcomes.map((outcome, index): Outcome => {
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
    return { outcomes: resolved, sessionIds: new Set(rows.map((row) => row.sessionId)), at };
  }
}
