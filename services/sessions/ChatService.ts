import { randomUUID } from 'node:crypto';
import { Op } from 'sequelize';
import type { Config } from '../../config';
import type { Db } from '../../models/db';
import { canKnow, requireOperator, type Actor } from '../access';
import type { MessageDTO, SessionDTO, SettingsDTO } from '../contract';
import type { NewMail } from '../../models/queries/outbox';
import { offlineMessageMail } from '../mail/mails';
import { customerView } from '../dto';
import { ConflictError } from '../errors';
import type { OperatorDirectory } from '../operators/availability';
import type { Assigner } from '../routing/Assigner';
import { withinBusinessHours } from '../settings/businessHours';
import { issueCustomerToken, parseCustomerToken, secretMatches } from './customerTokens';
import { verifyIdentity } from './identity';
import { viewSession } from './sessionViews';
import { closeSession } from './transitions/close';
import type { Transitions } from './transitions/pipeline';
import { labelSession } from './transitions/label';
import { rateSession } from './transitions/rate';
import { transferSession, type TransferTarget } from './transitions/transfer';
import { cleanName } from '../text/names';
import { batchedLookup } from '../cache/batchedLookup';
import { queuePosition, selectSessionKeys, type SessionKey } from '../../models/queries/sessions';

/** What the actor may see of a session: a customer never sees its labels. */
const viewFor = (actor: Actor, session: SessionDTO): SessionDTO => (actor.kind === 'customer' ? customerView(session) : session);

export interface CreateSessionInput {
  customerName?: string;
  customerEmail?: string;
  customerId?: string;
  identityHash?: string;
  department?: string;
  metadata?: Record<string, unknown>;
  message?: string;
  /** The address the request came to (scheme and host): links in mails when PUBLIC_URL is not set. */
  origin?: string;
}

/** What a new or resumed session hands the customer. `resumed` is true for a verified returning customer. */
export interface SessionTicket {
  session: SessionDTO;
  customerToken: string;
  resumed: boolean;
}

/** How a customer's first message (given with the session's creation) is stored: MessageService.postMessage. */
export type PostFirstMessage = (actor: Actor, sessionId: string, content: string) => Promise<MessageDTO>;

/**
 * A session's life: created (and routed), read, closed, transferred, rated. Every change is one transition
 * (transitions/), so the rules, the locks and the order of what is told live there once.
 */
export class ChatService {
  constructor(
    private readonly db: Db,
    private readonly transitions: Transitions,
    private readonly assigner: Assigner,
    private readonly config: Config,
    private readonly operators: OperatorDirectory,
    private readonly postFirstMessage: PostFirstMessage,
  ) {}

  /**
   * The team's mail for a session created offline (PROTOCOL.md "Email"): to the department's list, else the
   * settings' list, else OFFLINE_NOTIFY_EMAILS; none when mail is off or nobody is named.
   */
  private offlineMail(
    settings: SettingsDTO,
    session: { sessionId: string; customerName?: string; customerEmail?: string; department?: string; message?: string; origin?: string },
  ): NewMail | null {
    const mail = this.config.mail;
    if (!mail) return null;
    const departmentList = settings.departments.find((d) => d.name === session.department)?.offlineNotifyEmails ?? [];
    const recipients = [departmentList, settings.offlineNotifyEmails, mail.offlineNotifyEmails].find((list) => list.length > 0);
    if (!recipients) return null;
    return offlineMessageMail(
      {
        sessionId: session.sessionId,
        customerName: session.customerName ?? null,
        customerEmail: session.customerEmail ?? null,
        department: session.department ?? null,
        message: session.message ?? null,
        publicUrl: mail.publicUrl ?? session.origin ?? '',
        from: mail.from,
      },
      recipients,
    );
  }

  /**
   * Sessions' keys, read for all the lookups of one turn of the event loop at once. Two readers, so that a
   * customer's handshake and the connection that follows it a moment later each read the row as it then is.
   */
  private readonly keysForTokens = batchedLookup((ids: string[]) => this.readKeys(ids));
  private readonly keysForConnections = batchedLookup((ids: string[]) => this.readKeys(ids));

  private async readKeys(ids: string[]): Promise<Map<string, SessionKey>> {
    return new Map((await selectSessionKeys(this.db, ids)).map((row) => [row.id, row]));
  }

  /** Resolves a customer token to its session id, or null when it is not valid for any session. */
  async verifyCustomerToken(token: string): Promise<string | null> {
    const parsed = parseCustomerToken(token);
    if (!parsed) return null;
    const session = await this.keysForTokens(parsed.sessionId);
    return session && secretMatches(parsed.secret, session.customerTokenHash) ? session.id : null;
  }

  /** A customer's place in the queue while their session waits; null once it does not (told on connect). */
  async queuePlace(actor: Actor, sessionId: string): Promise<number | null> {
    canKnow(actor, sessionId);
    const session = await this.keysForConnections(sessionId);
    if (!session || session.status !== 'waiting') return null;
    return queuePosition(this.db, { id: session.id, queuedAt: session.queuedAt === null ? null : new Date(session.queuedAt) });
  }

  /** Anyone may start a chat: it is routed at once (assigned, or queued in FIFO order behind earlier ones). */
  async createSession(_actor: Actor, input: CreateSessionInput): Promise<SessionTicket> {
    const arrivedAt = new Date();
    const verified = verifyIdentity(this.config.identitySecret, input.customerId, input.identityHash);
    if (verified) {
      const resumed = await this.resumeSession(input.customerId as string);
      if (resumed) {
        // What they typed to start this visit belongs to the conversation they are returned to.
        if (input.message !== undefined) await this.postFirstMessage({ kind: 'customer', sessionId: resumed.session.id }, resumed.session.id, input.message);
        return resumed;
      }
    }
    const id = randomUUID();
    const { token, hash } = issueCustomerToken(id);
    const { customerId, customerEmail, department, metadata } = input;
    const { message } = input;
    // Operators read this name beside every message: nothing in it may hide or reorder what they see.
    const customerName = input.customerName === undefined ? undefined : cleanName(input.customerName) || undefined;
    const anyoneOnline = await this.operators.anyoneOnline();
    const session = await this.assigner.arrive({
      id,
      customerTokenHash: hash,
      customerId,
      customerName,
      customerEmail,
      department,
      metadata,
      message,
      verifiedCustomer: verified,
      arrivedAt,
      // Offline: nobody online, or outside business hours (PROTOCOL.md: the "leave a message" path).
      settle: (settings) => {
        const offline = !anyoneOnline || !withinBusinessHours(settings.businessHours, arrivedAt);
        return { offline, offlineMail: offline ? this.offlineMail(settings, { sessionId: id, customerName, customerEmail, department, message, origin: input.origin }) : null };
      },
    });
    return { session: customerView(session), customerToken: token, resumed: false };
  }

  async getSession(actor: Actor, sessionId: string): Promise<SessionDTO> {
    canKnow(actor, sessionId);
    return viewFor(actor, await viewSession(this.db, sessionId));
  }

  async close(actor: Actor, sessionId: string, reason?: string): Promise<SessionDTO> {
    canKnow(actor, sessionId);
    return viewFor(actor, (await this.transitions.run((step) => closeSession(step, actor, sessionId, reason))) as SessionDTO);
  }

  /** Replaces a session's labels (its assigned operator or an admin). */
  async setLabels(actor: Actor, sessionId: string, labels: string[]): Promise<SessionDTO> {
    return this.transitions.run((step) => labelSession(step, actor, sessionId, labels));
  }

  /** SESSION_IDLE_TIMEOUT_MINUTES: closed by the system if, under its lock, it is still active and idle since the cutoff. */
  async closeIdle(actor: Actor, sessionId: string, cutoff: Date, reason: string): Promise<SessionDTO | null> {
    requireOperator(actor);
    const idle = (at: Date | null | undefined): boolean => !at || at < cutoff;
    return this.transitions.run((step) => closeSession(step, actor, sessionId, reason, (row) => row.status === 'active' && idle(row.assignedAt) && idle(row.lastMessageAt)));
  }

  /**
   * Moves a session to another operator or back to a department's queue. A session sent to a department is
   * routed at once when someone can take it: the answer is the session as it stands then.
   */
  async transfer(actor: Actor, sessionId: string, target: TransferTarget): Promise<SessionDTO> {
    canKnow(actor, sessionId);
    const moved = await this.transitions.run((step) => transferSession(step, actor, sessionId, target));
    if (moved.status !== 'waiting') return moved;
    // A drain (this process's sweep, or another process) may route it first: the transfer happened all the same.
    const routed = await this.assigner.route(sessionId).catch((error: unknown) => {
      if (error instanceof ConflictError && (error.code === 'ALREADY_ASSIGNED' || error.code === 'SESSION_CLOSED')) return null;
      throw error;
    });
    return routed?.session ?? viewSession(this.db, sessionId);
  }

  async rate(actor: Actor, sessionId: string, rating: number, comment?: string): Promise<SessionDTO> {
    return viewFor(actor, await this.transitions.run((step) => rateSession(step, actor, sessionId, rating, comment)));
  }

  /** A verified customer with an open session gets it back, with a fresh token. */
  private async resumeSession(customerId: string): Promise<SessionTicket | null> {
    const open = await this.db.models.ChatSession.findOne({
      where: { customerId, status: { [Op.in]: ['waiting', 'active'] } },
      order: [['createdAt', 'DESC']],
    });
    if (!open) return null;
    const { token, hash } = issueCustomerToken(open.id);
    await this.db.models.ChatSession.update({ customerTokenHash: hash }, { where: { id: open.id } });
    return { session: customerView(await viewSession(this.db, open.id)), customerToken: token, resumed: true };
  }
}
