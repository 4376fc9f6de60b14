import { randomUUID } from 'node:crypto';
import { insertMail, type NewMail } from '../../../models/queries/outbox';
import { queuePosition } from '../../../models/queries/sessions';
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
}

/**
 * A new session enters the queue, with its first message if one was given: both in one commit, so routing
 * (which may take the session the moment it exists) always finds the message before its "joined" line.
 * `offline` when no operator is online at this moment: the "leave a message" path, which stays marked after
 * someone picks it up.
 */
export async function createSession(step: CommitStep, input: NewSession): Promise<SessionDTO> {
  const { db, transaction, now } = step;
  const row = await step.insert({
    id: input.id,
    status: 'waiting',
    customerId: input.customerId ?? null,
    customerName: input.customerName ?? null,
    customerEmail: input.customerEmail ?? null,
    department: input.department ?? null,
    metadata: input.metadata ?? null,
    customerTokenHash: input.customerTokenHash,
    offline: input.offline,
    queuedAt: now,
    lastMessageAt: input.message === undefined ? null : now,
    createdAt: now,
  });
  await step.log(input.id, 'created', null, { verifiedCustomer: input.verifiedCustomer });
  if (input.offlineMail) await insertMail(db, input.offlineMail, now, transaction);
  const message =
    input.message === undefined
      ? null
      : await db.models.ChatMessage.create(
          {
            sessionId: input.id,
            senderType: 'customer',
            senderId: input.customerId ?? null,
            senderName: input.customerName ?? null,
            type: 'text',
            content: input.message,
            // Every row has a key (the writer makes one up the same way when a client sends none).
            clientMessageId: `srv-${randomUUID()}`,
            createdAt: now,
          },
          { transaction },
        );
  // Nobody holds a new session: no operator to read with it.
  const session = toSessionDTO(row, await queuePosition(db, row, transaction));
  step.emit('session.created', { session });
  if (message) step.emit('message.created', { message: toMessageDTO(message), session });
  return session;
}

/** A session routing could not place at once is recorded as queued, with why, if it still waits. */
export async function markQueued(step: CommitStep, sessionId: string, reason: string): Promise<void> {
  const row = await step.lock(sessionId);
  if (row.status !== 'waiting') return;
  await step.log(sessionId, 'queued', null, { reason });
  step.queueChanged();
}
