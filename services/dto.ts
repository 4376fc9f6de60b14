import type { ChatMessage, ChatSession, Operator, SessionEvent } from '../models';

/** PROTOCOL.md's shapes. Services hand out these plain objects, never model instances (no hash leaks). */
export interface SessionDTO {
  id: string;
  status: ChatSession['status'];
  customerId: string | null;
  customerName: string | null;
  customerEmail: string | null;
  department: string | null;
  metadata: Record<string, unknown> | null;
  operatorId: number | null;
  operator: { id: number; name: string } | null;
  createdAt: string;
  assignedAt: string | null;
  closedAt: string | null;
  closedBy: string | null;
  closeReason: string | null;
  lastMessageAt: string | null;
  rating: number | null;
  ratingComment: string | null;
  queuePosition?: number;
}

export interface MessageDTO {
  id: number;
  sessionId: string;
  senderType: ChatMessage['senderType'];
  senderId: string | null;
  type: ChatMessage['type'];
  content: string;
  clientMessageId: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface OperatorDTO {
  id: number;
  name: string;
  email: string;
  role: Operator['role'];
  status: Operator['status'];
  maxConcurrentSessions: number;
  departments: string[];
  activeSessions: number;
  lastAssignedAt: string | null;
  lastSeenAt: string | null;
  disabled: boolean;
}

export interface SessionEventDTO {
  id: number;
  type: SessionEvent['type'];
  operatorId: number | null;
  detail: Record<string, unknown> | null;
  createdAt: string;
}

// A Date from a model or mysql2; text from a raw SQLite row ('2026-11-25 17:59:10.123 +00:00').
const iso = (date: Date | string | null | undefined): string | null => (date ? new Date(date).toISOString() : null);

/** A message's stored fields: a ChatMessage, or a raw row selected under the attributes' names. */
export interface MessageFields {
  id: number | string;
  sessionId: string;
  senderType: ChatMessage['senderType'];
  senderId?: string | null;
  type: ChatMessage['type'];
  content: string;
  clientMessageId?: string | null;
  createdAt: Date | string;
  readAt?: Date | string | null;
}

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
  };
  if (session.status === 'waiting' && queuePosition !== undefined) dto.queuePosition = queuePosition;
  return dto;
}

export function toMessageDTO(message: MessageFields): MessageDTO {
  return {
    id: Number(message.id),
    sessionId: message.sessionId,
    senderType: message.senderType,
    senderId: message.senderId ?? null,
    type: message.type,
    content: message.content,
    clientMessageId: message.clientMessageId ?? null,
    createdAt: iso(message.createdAt) as string,
    readAt: iso(message.readAt),
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
