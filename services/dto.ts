import type { ChatSession, Operator, SessionEvent } from '../models';
import type { MessageFields } from '../models/queries/messages';
import type { MessageDTO, OperatorDTO, SessionDTO, SessionEventDTO } from './contract';

/** Rows → PROTOCOL.md's shapes. Services hand out these plain objects, never model instances (no hash leaks). */

// A Date from a model or mysql2; text from a raw SQLite row ('2026-11-25 17:59:10.123 +00:00').
const iso = (date: Date | string | null | undefined): string | null => (date ? new Date(date).toISOString() : null);

export function toSessionDTO(session: ChatSession, queuePosition?: number): SessionDTO {
  const operatorId = session.operatorId ?? null;
  const dto: SessionDTO = {
    id: session.id,
    status: session.status,
    customerId: session.customerId ?? null,
    customerName: session.customerName ?? null,
    customerEmail: session.customerEmail ?? null,
    department: session.department ?? null,
    metadata: session.metadata ?? null,
    operatorId: operatorId === null ? null : Number(operatorId),
    operator: session.operator ? { id: session.operator.id, name: session.operator.name } : null,
    createdAt: iso(session.createdAt) as string,
    assignedAt: iso(session.assignedAt),
    closedAt: iso(session.closedAt),
    closedBy: session.closedBy ?? null,
    closeReason: session.closeReason ?? null,
    lastMessageAt: iso(session.lastMessageAt),
    rating: session.rating ?? null,
    ratingComment: session.ratingComment ?? null,
    labels: session.labels ?? [],
    offline: Boolean(session.offline),
    erasedAt: iso(session.erasedAt),
  };
  if (session.status === 'waiting' && queuePosition !== undefined) dto.queuePosition = queuePosition;
  return dto;
}

/** A waiting session's row as a routing pass's assignment leaves it (models/queries/sessions.ts assignMany). */
export function assignedView(waiting: ChatSession, operator: { id: number; name: string }, at: Date): SessionDTO {
  return { ...toSessionDTO(waiting), status: 'active', operatorId: operator.id, operator, assignedAt: iso(at) };
}

/** A session as its customer is shown it: the team's labels are never theirs to see (PROTOCOL.md "Labels"). */
export const customerView = (session: SessionDTO): SessionDTO => ({ ...session, labels: [] });

/** `attachment` is null here: a message's file is described with fresh links by services/messages/MessageReader.ts. */
export function toMessageDTO(message: MessageFields): MessageDTO {
  return {
    id: Number(message.id),
    sessionId: message.sessionId,
    senderType: message.senderType,
    senderId: message.senderId ?? null,
    senderName: message.senderName ?? null,
    type: message.type,
    content: message.content,
    clientMessageId: message.clientMessageId ?? null,
    createdAt: iso(message.createdAt) as string,
    readAt: iso(message.readAt),
    internal: Boolean(message.internal),
    attachment: null,
  };
}

export function toOperatorDTO(operator: Operator): OperatorDTO {
  return {
    id: operator.id,
    name: operator.name,
    email: operator.email,
    role: operator.role,
    status: operator.status,
    maxConcurrentSessions: operator.maxConcurrentSessions,
    departments: operator.departments,
    activeSessions: operator.activeSessions,
    lastAssignedAt: iso(operator.lastAssignedAt),
    lastSeenAt: iso(operator.lastSeenAt),
    disabled: operator.disabled,
  };
}

export function toSessionEventDTO(event: SessionEvent): SessionEventDTO {
  return {
    id: Number(event.id),
    type: event.type,
    operatorId: event.operatorId ?? null,
    detail: event.detail ?? null,
    createdAt: iso(event.createdAt) as string,
  };
}
