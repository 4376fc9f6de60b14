import type { Logger } from 'pino';
import type { Db } from '../../models/db';
import type { ChatSession } from '../../models';
import { expiredSessionIds } from '../../models/queries/privacy';
import { sessionEvents } from '../../models/queries/sessionLog';
import { findSessions } from '../../models/queries/sessions';
import { requireAdmin, SYSTEM, type Actor } from '../access';
import type { AuditLog } from '../audit/AuditLog';
import type { CustomerExportDTO, ErasureDTO, MessageDTO } from '../contract';
import { toSessionEventDTO } from '../dto';
import type { DomainEvents } from '../events/DomainEvents';
import { sessionDTOs } from '../sessions/sessionViews';
import { eraseSession, type SessionErasure } from '../sessions/transitions/erase';
import type { Transitions } from '../sessions/transitions/pipeline';

/** Every message of a session, notes included, with fresh attachment links (MessageReader.since from 0). */
export type AllMessages = (sessionId: string) => Promise<MessageDTO[]>;

/** Where the files of a session are deleted from every store (AttachmentFiles). */
export interface SessionFiles {
  /** The bytes only: the rows stay, for the erasure to count and delete. */
  removeSessionBytes(sessionId: string): Promise<void>;
  /** The bytes and the rows. */
  removeSession(sessionId: string): Promise<void>;
}

/** What a retention batch did: how many sessions it took and how many it erased. */
export interface ExpiredBatch {
  selected: number;
  erased: number;
}

const totals = (erasures: SessionErasure[]): Pick<ErasureDTO, 'sessions' | 'messages' | 'attachments'> => ({
  sessions: erasures.filter((e) => e.erased).length,
  messages: erasures.reduce((n, e) => n + e.messages, 0),
  attachments: erasures.reduce((n, e) => n + e.attachments, 0),
});

/**
 * Customer data on request and by age (PROTOCOL.md "Customer data (privacy)"): one customer's data as one
 * document, and erasure of a customer, of a session, or of sessions past MESSAGE_RETENTION_DAYS. Each session is
 * erased by its own transition (transitions/erase.ts), so a customer with many chats never holds one long
 * transaction; its files on disk are deleted once the transition has committed. Admins only; every export and
 * erasure is in the audit log.
 */
export class PrivacyService {
  constructor(
    private readonly db: Db,
    private readonly transitions: Transitions,
    private readonly allMessages: AllMessages,
    private readonly files: SessionFiles,
    private readonly audit: AuditLog,
    private readonly events: DomainEvents,
    private readonly logger: Logger,
  ) {}

  /** Every session of the customer, oldest first, each with every message (notes too), event and rating. */
  async exportCustomer(actor: Actor, customerId: string): Promise<CustomerExportDTO> {
    requireAdmin(actor);
    const rows = await this.sessionsOf(customerId);
    const sessions = await Promise.all(
      (await sessionDTOs(this.db, rows)).map(async (session) => ({
        session,
        messages: await this.allMessages(session.id),
        events: (await sessionEvents(this.db, session.id)).map(toSessionEventDTO),
      })),
    );
    await this.audit.record(actor, { action: 'customer.exported', target: { type: 'customer', id: customerId }, detail: { sessions: sessions.length } });
    return { customerId, exportedAt: new Date().toISOString(), sessions };
  }

  /**
   * Erases every session of the customer (open ones are closed first). Twice is harmless: the second finds none.
   * Should one session fail, what was erased before it is still recorded and told, and the error answered: a
   * retry finds only the sessions left (their customer id is still there).
   */
  async eraseCustomer(actor: Actor, customerId: string): Promise<ErasureDTO> {
    requireAdmin(actor);
    const rows = await this.sessionsOf(customerId);
    const erasures: SessionErasure[] = [];
    try {
      for (const { id } of rows) erasures.push(await this.eraseOne(actor, id));
    } finally {
      await this.audit.record(actor, { action: 'customer.erased', target: { type: 'customer', id: customerId }, detail: totals(erasures) });
      this.told(actor, customerId, erasures);
    }
    return { customerId, sessionId: null, ...totals(erasures) };
  }

  /** Erases one session (404 for one that does not exist). */
  async eraseSession(actor: Actor, sessionId: string): Promise<ErasureDTO> {
    requireAdmin(actor);
    const erasure = await this.eraseOne(actor, sessionId);
    await this.audit.record(actor, { action: 'session.erased', target: { type: 'session', id: sessionId }, detail: totals([erasure]) });
    this.told(actor, erasure.customerId, [erasure]);
    return { customerId: null, sessionId, ...totals([erasure]) };
  }

  /**
   * Retention: erases up to `limit` sessions closed before the cutoff, oldest first, until `stopping` says so. The
   * caller (RetentionJob) makes sure one process at a time does it. A session that fails is logged and left for the
   * next pass; the others go on.
   */
  async eraseExpired(cutoff: Date, limit: number, stopping: () => boolean): Promise<ExpiredBatch> {
    const ids = await expiredSessionIds(this.db, cutoff, limit);
    const erasures: SessionErasure[] = [];
    for (const id of ids) {
      if (stopping()) break;
      try {
        erasures.push(await this.eraseOne(SYSTEM, id));
      } catch (error) {
        this.logger.error({ err: error, sessionId: id }, 'retention: a session could not be erased; tried again next pass');
      }
    }
    const done = erasures.filter((e) => e.erased);
    if (done.length > 0) {
      await this.audit.record(SYSTEM, { action: 'sessions.expired', target: { type: 'session', id: null }, detail: totals(erasures) });
      const byCustomer = new Map<string | null, SessionErasure[]>();
      for (const erasure of done) byCustomer.set(erasure.customerId, [...(byCustomer.get(erasure.customerId) ?? []), erasure]);
      for (const [customerId, group] of byCustomer) this.told(SYSTEM, customerId, group);
    }
    return { selected: ids.length, erased: done.length };
  }

  /** Every session of the customer, oldest first. */
  private sessionsOf(customerId: string): Promise<ChatSession[]> {
    return findSessions(this.db, { customerId }, [['createdAt', 'ASC'], ['id', 'ASC']]);
  }

  /**
   * One session's file bytes, its transition, then its files again (one uploaded meanwhile). Bytes first: a failure
   * between the two leaves rows pointing at no file, never a file no row leads to (that nobody would delete).
   */
  private async eraseOne(actor: Actor, sessionId: string): Promise<SessionErasure> {
    await this.files.removeSessionBytes(sessionId);
    const erasure = await this.transitions.run((step) => eraseSession(step, actor, sessionId));
    await this.files.removeSession(sessionId);
    return erasure;
  }

  /** The `customer.erased` webhook, when something was erased. */
  private told(actor: Actor, customerId: string | null, erasures: SessionErasure[]): void {
    const done = erasures.filter((e) => e.erased);
    if (done.length === 0) return;
    this.events.emit('customer.erased', {
      customerId,
      sessionIds: done.map((e) => e.sessionId),
      erasedBy: actor.kind === 'operator' ? { id: actor.operatorId, name: actor.name } : null,
      reason: actor.kind === 'operator' ? 'request' : 'retention',
      ...totals(done),
    });
    this.logger.info({ sessions: done.length, reason: actor.kind === 'operator' ? 'request' : 'retention' }, 'customer data erased');
  }
}
