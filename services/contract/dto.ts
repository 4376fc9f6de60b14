/**
 * PROTOCOL.md's shapes, as every answer and event carries them. Imports nothing: the server, the pages
 * (public/) and the tests all read these same declarations.
 */

export type SessionStatus = 'waiting' | 'active' | 'closed';
export type OperatorStatus = 'online' | 'busy' | 'offline';
export type OperatorRole = 'operator' | 'admin';
export type SenderType = 'customer' | 'operator' | 'system';
export type MessageType = 'text' | 'image' | 'file' | 'system';
export type ClosedBy = 'customer' | 'operator' | 'system';
export type StrategyName = 'least-busy' | 'round-robin' | 'longest-idle' | 'manual';

export const SESSION_STATUSES: readonly SessionStatus[] = ['waiting', 'active', 'closed'];
export const OPERATOR_STATUSES: readonly OperatorStatus[] = ['online', 'busy', 'offline'];
export const OPERATOR_ROLES: readonly OperatorRole[] = ['operator', 'admin'];
export const STRATEGY_NAMES: readonly StrategyName[] = ['least-busy', 'round-robin', 'longest-idle', 'manual'];
export const MESSAGE_TYPES: readonly MessageType[] = ['text', 'image', 'file', 'system'];

/** Who holds a session, as shown beside it. */
export interface OperatorRef {
  id: number;
  name: string;
}

export interface SessionDTO {
  id: string;
  status: SessionStatus;
  customerId: string | null;
  customerName: string | null;
  customerEmail: string | null;
  department: string | null;
  metadata: Record<string, unknown> | null;
  operatorId: number | null;
  operator: OperatorRef | null;
  createdAt: string;
  assignedAt: string | null;
  closedAt: string | null;
  closedBy: ClosedBy | null;
  closeReason: string | null;
  lastMessageAt: string | null;
  rating: number | null;
  ratingComment: string | null;
  /** 1-based, while waiting only. */
  queuePosition?: number;
  /** Never shown to customers: their view of a session has none. */
  labels: string[];
  /** Created while no operator was online: the "leave a message" path. */
  offline: boolean;
  /** When its content and its customer's details were erased (PROTOCOL.md "Customer data"); null: never. */
  erasedAt: string | null;
}

export interface AttachmentDTO {
  id: string;
  /** The name given, cleaned (no path, control or bidi characters, at most 200 characters, an extension of its type). */
  fileName: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  /** Signed and expiring, relative to the server. */
  url: string;
  /** Images only: a WebP of at most 320 px a side. */
  thumbnailUrl: string | null;
}

export interface MessageDTO {
  id: number;
  sessionId: string;
  senderType: SenderType;
  senderId: string | null;
  /** The sender's name when the message was stored (null for system lines): after a transfer each message still shows who wrote it. */
  senderName: string | null;
  type: MessageType;
  content: string;
  clientMessageId: string | null;
  createdAt: string;
  readAt: string | null;
  /** An operators-only note. */
  internal: boolean;
  attachment: AttachmentDTO | null;
}

export interface OperatorDTO {
  id: number;
  name: string;
  email: string;
  role: OperatorRole;
  status: OperatorStatus;
  maxConcurrentSessions: number;
  departments: string[];
  activeSessions: number;
  lastAssignedAt: string | null;
  lastSeenAt: string | null;
  disabled: boolean;
}

export type SessionEventType =
  | 'created'
  | 'queued'
  | 'assigned'
  | 'transferred'
  | 'requeued'
  | 'unassigned'
  | 'closed'
  | 'rated'
  | 'labelled'
  | 'mailed'
  | 'mail_failed'
  | 'transcript'
  | 'erased';
export const SESSION_EVENT_TYPES: readonly SessionEventType[] = ['created', 'queued', 'assigned', 'transferred', 'requeued', 'unassigned', 'closed', 'rated', 'labelled', 'mailed', 'mail_failed', 'transcript', 'erased'];

export interface SessionEventDTO {
  id: number;
  type: SessionEventType;
  operatorId: number | null;
  detail: Record<string, unknown> | null;
  createdAt: string;
}

/** GET /api/chat/availability: lets the widget offer "leave a message" when nobody can answer. */
export interface Availability {
  online: boolean;
  availableOperators: number;
  waiting: number;
  estimatedWaitSeconds: number;
  /** True when no business hours are set. */
  withinBusinessHours: boolean;
  /** The longest message the server takes (MAX_MESSAGE_LENGTH), so a page can refuse a longer one before sending. */
  maxMessageLength: number;
  /** When business hours next open; null while they are open, when none are set, or when none come. */
  nextOpenAt: string | null;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** PROTOCOL.md "Business hours and settings". */
export interface BusinessHours {
  /** An IANA time zone. */
  timezone: string;
  /** Opening windows, local times "HH:MM" (close may be "24:00"); several per day allowed, none: closed every day. */
  week: Array<{ day: Weekday; open: string; close: string }>;
  /** Local dates "YYYY-MM-DD" closed all day. */
  closedDates: string[];
}

export interface SettingsDTO {
  businessHours: BusinessHours | null;
  offlineNotifyEmails: string[];
  departments: Array<{ name: string; offlineNotifyEmails: string[] }>;
}

export interface OperatorFigures {
  operatorId: number;
  name: string;
  status: OperatorStatus;
  activeSessions: number;
  closedToday: number;
  /** Over this operator's own assignments: from getting a session to their first message in it. */
  avgFirstResponseSeconds: number | null;
  avgRating: number | null;
}

/** GET /api/operators/stats. */
export interface OperatorStats {
  operators: OperatorFigures[];
  overall: { waiting: number; active: number; avgWaitSeconds: number | null };
}

/** POST /api/auth/login. */
export interface LoginResult {
  token: string;
  operator: OperatorDTO;
}

/** POST /api/chat/sessions. */
export interface SessionTicketDTO {
  session: SessionDTO;
  customerToken: string;
}

/** POST /api/operators/assign. */
export interface AssignmentDTO {
  session: SessionDTO;
  operator: OperatorDTO;
}

/** One of the team's labels (PROTOCOL.md "Labels"). */
export interface LabelDTO {
  name: string;
  color: string | null;
}

/**
 * One search hit (PROTOCOL.md "Search"): a message that holds the words (with its session), or a session whose
 * customer's name, email or id does (`message` null). `snippet` is plain text around the match.
 */
export interface SearchResultDTO {
  session: SessionDTO;
  message: MessageDTO | null;
  snippet: string;
}

/** A transcript on its way (PROTOCOL.md "Email"): queued in the outbox for this address. */
export interface TranscriptDTO {
  email: string;
}

/** A saved reply (PROTOCOL.md "Canned responses"): the team's (`shared`, ownerId null) or one operator's. */
export interface CannedResponseDTO {
  id: number;
  shortcut: string;
  content: string;
  scope: 'shared' | 'personal';
  department: string | null;
  ownerId: number | null;
}

/** PROTOCOL.md "Customer data": one customer's data as one document (GET /api/users/:customerId/export). */
export interface CustomerExportDTO {
  customerId: string;
  exportedAt: string;
  sessions: Array<{ session: SessionDTO; messages: MessageDTO[]; events: SessionEventDTO[] }>;
}

/** What an erasure deleted: of a customer (sessionId null) or of one session (customerId null). */
export interface ErasureDTO {
  customerId: string | null;
  sessionId: string | null;
  sessions: number;
  messages: number;
  attachments: number;
}

export type AuditAction =
  | 'operator.created'
  | 'operator.updated'
  | 'operator.disabled'
  | 'operator.enabled'
  | 'operator.password_reset'
  | 'operator.password_changed'
  | 'settings.updated'
  | 'label.created'
  | 'label.deleted'
  | 'customer.exported'
  | 'customer.erased'
  | 'session.erased'
  | 'sessions.expired';
export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'operator.created',
  'operator.updated',
  'operator.disabled',
  'operator.enabled',
  'operator.password_reset',
  'operator.password_changed',
  'settings.updated',
  'label.created',
  'label.deleted',
  'customer.exported',
  'customer.erased',
  'session.erased',
  'sessions.expired',
];
export type AuditTargetType = 'operator' | 'settings' | 'label' | 'customer' | 'session';
export const AUDIT_TARGET_TYPES: readonly AuditTargetType[] = ['operator', 'settings', 'label', 'customer', 'session'];

/** One line of the audit log (GET /api/audit): who did what to what, when; never a secret. */
export interface AuditEntryDTO {
  id: number;
  at: string;
  /** The operator as they were named then; id and name null: the system (retention). */
  actor: { id: number | null; name: string | null };
  action: AuditAction;
  target: { type: AuditTargetType; id: string | null };
  detail: Record<string, unknown> | null;
}
