import type { ChatSession } from '../../../models';
import { firstMessagesOf, insertFirstMessages } from '../../../models/queries/messages';
import { insertMail, type NewMail } from '../../../models/queries/outbox';
import { inQueueOrder, queuePosition, queueSpan } from '../../../models/queries/sessions';
import type { SessionDTO } from '../../contract';
import { toMessageDTO, toSessionDTO } from '../../dto';
import type { CommitStep } from './CommitStep';

export interface NewSession {
  id: string;
  customerTokenHash: string;
  customerId?: string;
  customerName?: string;
  customerEmail?: string;
  department?: string;
  metadata?: Record<string, unknown>;
  /** The customer's first message (validated by the request's schema), stored with the session. */
  message?: string;
  /** No operator was online, or outside business hours: the "leave a message" path. */
  offline: boolean;
  /** The team's mail about it (offline only, mail configured), written to the outbox in the same commit. */
  offlineMail?: NewMail | null;
  verifiedCustomer: boolean;
  /** When the customer's request came: the session's creation and its place in the queue. */
  arrivedAt: Date;
}

/** What a group's routing pass did (routing/pass.ts), as the arrivals' transition needs it. */
export interface ArrivalsPass {
  considered: number;
  assignments: Array<{ session: SessionDTO }>;
}

/** The sessions of a group as they stand at its commit, and whether the queue's head may hold more to route. */
export interface ArrivalsResult {
  sessions: Map<string, SessionDTO>;
  /** The pass filled a whole pass: older sessions may still fit free seats, so a drain should follow. */
  morePossible: boolean;
}

/**
 * New sessions enter the queue together (routing/arrivals.ts groups them as messages are grouped), each with its
 * first message if one was given, and are routed in the same commit: `route` runs one routing pass over the head
 * of the queue, which holds them behind any older session. So routing always finds a message before its
 * "joined" line, and one commit does what a creation, a drain and a "queued" record each did per session.
 * Those still waiting after the pass are recorded as queued, with why. `offline` when no operator was online at
 * arrival: the "leave a message" path, which stays marked after someone picks it up.
 */
export async function createSessions(
  step: CommitStep,
  arrivals: NewSession[],
  route: (step: CommitStep) => Promise<ArrivalsPass>,
  queueReason: string,
  passSize: number,
): Promise<ArrivalsResult> {
  const { db, transaction } = step;
  const rows = await step.insertMany(
    arrivals.map((input) => ({
      id: input.id,
      status: 'waiting' as const,
      customerId: input.customerId ?? null,
      customerName: input.customerName ?? null,
      customerEmail: input.customerEmail ?? null,
      department: input.department ?? null,
      metadata: input.metadata ?? null,
      customerTokenHash: input.customerTokenHash,
      offline: input.offline,
      queuedAt: input.arrivedAt,
      lastMessageAt: input.message === undefined ? null : input.arrivedAt,
      createdAt: input.arrivedAt,
    })),
  );
  step.logMany(arrivals.map((input) => ({ sessionId: input.id, type: 'created' as const, operatorId: null, detail: { verifiedCustomer: input.verifiedCustomer } })));
  for (const input of arrivals) if (input.offlineMail) await insertMail(db, input.offlineMail, step.now, transaction);
  const speaking = arrivals.flatMap((input) =>
    input.message === undefined ? [] : [{ sessionId: input.id, senderId: input.customerId ?? null, senderName: input.customerName ?? null, content: input.message, at: input.arrivedAt }],
  );
  await insertFirstMessages(db, speaking, transaction);
  // Their creation is told before the pass's news, though it is known only after the pass.
  const tellCreated = step.later();
  // The pass before any plain read: on MySQL the transaction's first plain read fixes what all its plain reads see,
  // and the pass must read the queue as it stands once it holds the operators' locks (as every pass does).
  const pass = await route(step);
  const sessions = new Map(pass.assignments.map(({ session }) => [session.id, session]));
  const waiting = rows.filter((row) => !sessions.has(row.id));
  if (waiting.length > 0) {
    step.logMany(waiting.map((row) => ({ sessionId: row.id, type: 'queued' as const, operatorId: null, detail: { reason: queueReason } })));
    step.queueChanged();
    for (const [id, session] of await positioned(db, waiting, transaction)) sessions.set(id, session);
  }
  const firstMessages = await firstMessagesOf(db, speaking.map((m) => m.sessionId), transaction);
  for (const row of rows) {
    // As it entered the queue (the pass's news says who took it): nobody holds a new session.
    const queued = sessions.get(row.id);
    const session = queued?.status === 'waiting' ? queued : toSessionDTO(row);
    tellCreated('session.created', { session });
    const message = firstMessages.get(row.id);
    if (message) tellCreated('message.created', { message: toMessageDTO(message), session });
  }
  return { sessions, morePossible: pass.assignments.length > 0 && pass.considered === passSize };
}

/**
 * Waiting sessions of one group with their queue positions: the sessions ahead of the group's first counted, then
 * the stretch of the queue from its first to its last read in order (other sessions may sit between a group's own:
 * another process's, or one that arrived before a slower request of the group).
 */
async function positioned(db: CommitStep['db'], rows: ChatSession[], transaction: CommitStep['transaction']): Promise<Map<string, SessionDTO>> {
  const ordered = [...rows].sort(inQueueOrder);
  const first = ordered[0];
  const last = ordered[ordered.length - 1];
  if (!first || !last) return new Map();
  const position = await queuePosition(db, first, transaction);
  const span = first === last ? [first.id] : await queueSpan(db, first, last, transaction);
  const at = new Map(span.map((id, i) => [id, position + i]));
  return new Map(ordered.map((row) => [row.id, toSessionDTO(row, at.get(row.id))]));
}
