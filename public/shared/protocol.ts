/** PROTOCOL.md's shapes as the pages read them (the browser build cannot import the server's types). */

export type SessionStatus = 'waiting' | 'active' | 'closed';
export type OperatorStatus = 'online' | 'busy' | 'offline';
export type SenderType = 'customer' | 'operator' | 'system';

export interface Session {
  id: string;
  status: SessionStatus;
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

export interface Message {
  id: number;
  sessionId: string;
  senderType: SenderType;
  senderId: string | null;
  type: 'text' | 'image' | 'file' | 'system';
  content: string;
  clientMessageId: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface Operator {
  id: number;
  name: string;
  email: string;
  role: 'operator' | 'admin';
  status: OperatorStatus;
  maxConcurrentSessions: number;
  departments: string[];
  activeSessions: number;
  lastAssignedAt: string | null;
  lastSeenAt: string | null;
}

export interface Availability {
  online: boolean;
  availableOperators: number;
  waiting: number;
  estimatedWaitSeconds: number;
}

export interface OperatorStats {
  operators: Array<{
    operatorId: number;
    name: string;
    status: OperatorStatus;
    activeSessions: number;
    closedToday: number;
    avgFirstResponseSeconds: number | null;
    avgRating: number | null;
  }>;
  overall: { waiting: number; active: number; avgWaitSeconds: number | null };
}

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown[];
}

/** Every acknowledgement of a client → server event. */
export type AckReply<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
