import { randomUUID } from 'node:crypto';
import { UniqueConstraintError, type Transaction } from 'sequelize';
import type { Db } from '../../models/db';
import type { Logger } from 'pino';
import type { MessageDTO } from '../contract';
import { toMessageDTO } from '../dto';
import { insertRows, keyOf, selectByKeys, selectSessions, stampFirstResponse, stampLastMessage, toSessionState, type MessageFields, type SessionState } from '../../models/queries/messages';
import { describeFiles, type DescribeAttachments, type FileOf } from './MessageReader';
import type { Admit, NewMessage, StoredMessage } from './newMessage';

export type { Admit, NewMessage, StoredMessage };

interface Pending {
  message: NewMessage & { clientMessageId: string };
  resolve: (result: StoredMessage) => void;
  reject: (error: unknown) => void;
}

/** What became of one message of a group: stored (or found stored), or refused by its admit check. */
type Outcome = { stored: StoredMessage } | { refused: unknown };

/** A group written: each message's outcome, and the sessions whose conversation moved on (notes aside: they are not stamped as the last message). */
interface Written {
  outcomes: Outcome[];
  sessionIds: Set<string>;
  at: Date;
  /** Answers whose message came with a file, to be described once the group is written. */
  withFiles: FileOf[];
}

/** At most this many rows go into one INSERT; more wait for the next group. */
const MAX_GROUP = 500;

/** Under steady load, the sessions written to are stamped together at most this often. */
const STAMP_EVERY_MS = 250;

/**
 * Group commit for messages (DESIGN.md decision 5). Messages that arrive while a group is being written wait
 * and go together into the next one: one read of their sessions, then one multi-row INSERT for the whole
 * group however many senders. Each caller's promise resolves only after its group is committed, so an ack
 * never precedes the commit. Groups are written one after another, so message
 * ids are handed out in the order they resolve. Idempotent on (sessionId, sender, clientMessageId): duplicates within
 * a group or of stored rows return the first.
 *
 * On MySQL no transaction wraps the group (Db.statements): the INSERT is atomic by itself (and run again whole
 * if it is a deadlock's victim), and every statement in the path is a round trip the sender waits for. On
 * SQLite the group is one transaction of the process's queue. The first-answer stamp (on the session, read by
 * the accept timeout, and on its assignment, read by the stats) is written before the acks, on the rare group
 * that holds one. The sessions' last-message stamp is written
 * after them, between groups (never beside an INSERT, whose foreign key checks lock the same session rows),
 * for all the sessions written to at most every STAMP_EVERY_MS: it may lag the last message by up to about
 * twice that.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private writing = false;
  /** Sessions written to since the last stamp, and when the latest of their messages was stored. */
  private unstamped = new Set<string>();
  private lastWrittenAt = new Date(0);
  private stampedAt = 0;
  private stampTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly describe: DescribeAttachments,
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
    await this.stamp();
  }

  private async writeGroups(): Promise<void> {
    this.writing = true;
    try {
      // Let the messages of this turn of the event loop join the first group.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.queue.length > 0 || this.stampDue()) {
        const group = this.queue.splice(0, MAX_GROUP);
        if (group.length > 0) {
          await this.writeGroup(group).catch((error: unknown) => {
            for (const pending of group) pending.reject(error);
          });
        }
        if (this.stampDue()) await this.stamp();
      }
    } finally {
      this.writing = false;
      // Stamps not yet due are written by a later loop: the next group's, or this timer's.
      if (this.unstamped.size > 0) this.stampTimer ??= setTimeout(() => this.onStampTimer(), STAMP_EVERY_MS).unref();
    }
  }

  private onStampTimer(): void {
    this.stampTimer = null;
    if (!this.writing) void this.writeGroups();
  }

  private stampDue(): boolean {
    return this.unstamped.size > 0 && Date.now() - this.stampedAt >= STAMP_EVERY_MS;
  }

  private async writeGroup(group: Pending[]): Promise<void> {
    const store = (pendings: Pending[], lookUpAll: boolean): Promise<Written> => this.db.statements((t) => this.storeGroup(pendings, lookUpAll, t));
    let written: Written;
    try {
      written = await store(group, false);
    } catch (error) {
      // One of the keys is stored already (a retry), so the INSERT stored nothing: again, with the stored keys
      // looked up first. Should another process store one of them in between, one by one: each then finds
      // what the others stored, and a failure refuses that message alone (the others may be stored already).
      if (!(error instanceof UniqueConstraintError)) throw error;
      written = await store(group, true).catch(async (again: unknown) => {
        if (!(again instanceof UniqueConstraintError)) throw again;
        const oneByOne: Written = { outcomes: [], sessionIds: new Set(), at: new Date(), withFiles: [] };
        for (const pending of group) {
          try {
            const one = await store([pending], true);
            oneByOne.outcomes.push(...one.outcomes);
            oneByOne.withFiles.push(...one.withFiles);
            for (const id of one.sessionIds) oneByOne.sessionIds.add(id);
            oneByOne.at = one.at;
          } catch (failed) {
            oneByOne.outcomes.push({ refused: failed });
          }
        }
        return oneByOne;
      });
    }
    // The messages are stored: they are answered whatever happens here, and their files show on the next read.
    await describeFiles(written.withFiles, this.describe).catch((error: unknown) => this.logger.warn({ err: error }, 'could not describe the files of stored messages'));
    group.forEach((pending, index) => {
      const outcome = written.outcomes[index] as Outcome;
      if ('stored' in outcome) pending.resolve(outcome.stored);
      else pending.reject(outcome.refused);
    });
    if (written.sessionIds.size > 0) {
      for (const id of written.sessionIds) this.unstamped.add(id);
      this.lastWrittenAt = written.at;
    }
  }

  /** Stamps the sessions written to since the last stamp with the time of the latest message stored. */
  private async stamp(): Promise<void> {
    this.stampedAt = Date.now();
    if (this.unstamped.size === 0) return;
    const ids = [...this.unstamped];
    this.unstamped.clear();
    try {
      const at = this.lastWrittenAt;
      await this.db.statements((t) => this.db.retrying(t, () => stampLastMessage(this.db, ids, at, t)));
    } catch (error) {
      this.logger.warn({ err: error, sessions: ids.length }, 'last-message stamp failed; the idle sweeper may close those sessions early');
    }
  }

  /**
   * Reads the group's sessions, checks each message, inserts the new ones. Keys already stored (retries) are
   * looked up first only where that changes the outcome before any INSERT (a closed session still answers a
   * retry with its message), or when `lookUpAll` (an INSERT of this group met one): most groups hold none,
   * and the unique index refuses them anyway.
   */
  private async storeGroup(group: Pending[], lookUpAll: boolean, transaction: Transaction | undefined): Promise<Written> {
    const sessions = new Map<string, SessionState>();
    /** Assigned sessions still waiting for their operator's first answer, with the time they were assigned. */
    const unanswered = new Map<string, Date>();
    for (const row of await selectSessions(this.db, [...new Set(group.map(({ message }) => message.sessionId))], transaction)) {
      sessions.set(row.id, toSessionState(row));
      if (row.assignedAt !== null && row.firstResponseAt === null) unanswered.set(row.id, new Date(row.assignedAt));
    }
    const toLookUp = lookUpAll ? group : group.filter(({ message }) => sessions.get(message.sessionId)?.status === 'closed');
    const stored = await selectByKeys(this.db, toLookUp.map(({ message }) => message), transaction);

    const outcomes: Array<Outcome | { key: string; first: boolean }> = [];
    const withFiles: Written['withFiles'] = [];
    const answer = (fields: MessageFields): MessageDTO => {
      const message = toMessageDTO(fields);
      if (fields.attachmentId) withFiles.push({ message, attachmentId: fields.attachmentId });
      return message;
    };
    const fresh = new Map<string, NewMessage & { clientMessageId: string; senderName: string | null }>();
    for (const { message } of group) {
      const key = keyOf(message);
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
        outcomes.push({ stored: { message: answer(existing), created: false, session } });
      } else {
        // A key repeated within the group: the first sender creates it, the later ones get it back.
        outcomes.push({ key, first: !fresh.has(key) });
        const senderName = message.operatorId === undefined ? (session?.customerName ?? null) : (message.operatorName ?? null);
        if (!fresh.has(key)) fresh.set(key, { ...message, senderId, senderName });
      }
    }

    const at = new Date();
    const rows = [...fresh.values()].map(({ sessionId, senderType, senderId, senderName, operatorId, senderKey, type, content, clientMessageId, attachmentId, internal }) => ({
      sessionId,
      senderType,
      senderId,
      senderName,
      operatorId,
      senderKey,
      type,
      content,
      clientMessageId,
      attachmentId: attachmentId ?? null,
      internal: internal === true,
      createdAt: at,
    }));
    /** The conversation's messages, notes left out: a note neither answers the customer nor keeps the chat alive. */
    const spoken = rows.filter((row) => !row.internal);
    /** Seconds from assignment to this group's first answer, per session answered for the first time. */
    const firstAnswers = new Map<string, number>();
    if (rows.length > 0) {
      // Asked before the INSERT: once it has stored the rows, nothing avoidable may fail the group.
      const step = await this.db.insertIdStep();
      // A deadlock victim's INSERT stored nothing, so it runs again as it was.
      const firstId = await this.db.retrying(transaction, () => insertRows(this.db, rows, transaction));
      if (step !== null) {
        rows.forEach((row, index) => stored.set(keyOf(row), { ...row, id: firstId + index * step, readAt: null }));
      } else {
        for (const [key, message] of await selectByKeys(this.db, rows, transaction)) stored.set(key, message);
      }
      for (const row of spoken) {
        const assignedAt = unanswered.get(row.sessionId);
        // Only the operator who holds the session answers for this assignment (an admin's word is not theirs).
        const holder = sessions.get(row.sessionId)?.operatorId;
        if (row.operatorId !== undefined && row.operatorId === holder && assignedAt && !firstAnswers.has(row.sessionId)) {
          firstAnswers.set(row.sessionId, Math.max(0, (at.getTime() - assignedAt.getTime()) / 1000));
        }
      }
      if (firstAnswers.size > 0) {
        const answered = [...firstAnswers.keys()].map((sessionId) => ({ sessionId, operatorId: sessions.get(sessionId)?.operatorId as number }));
        // The messages are stored: a failed stamp costs the stats a figure, never the senders their acks.
        await this.db
          .retrying(transaction, () => stampFirstResponse(this.db, answered, at, transaction))
          .catch((error: unknown) => this.logger.warn({ err: error, sessions: firstAnswers.size }, 'first-response stamp failed'));
      }
    }

    const resolved = outcomes.map((outcome, index): Outcome => {
      if (!('key' in outcome)) return outcome;
      const { message } = group[index] as Pending;
      const result: StoredMessage = { message: answer(stored.get(outcome.key) as MessageFields), created: outcome.first, session: sessions.get(message.sessionId) ?? null };
      // The group's first message of the session from its operator is their first answer; the rest of the group is not.
      const holder = sessions.get(message.sessionId)?.operatorId;
      const seconds = outcome.first && message.internal !== true && message.operatorId !== undefined && message.operatorId === holder ? firstAnswers.get(message.sessionId) : undefined;
      if (seconds !== undefined) {
        result.firstResponseSeconds = seconds;
        firstAnswers.delete(message.sessionId);
      }
      return { stored: result };
    });
    return { outcomes: resolved, sessionIds: new Set(spoken.map((row) => row.sessionId)), at, withFiles };
  }
}
