import {
  AUDIT_ACTIONS,
  AUDIT_TARGET_TYPES,
  ERROR_STATUS,
  MESSAGE_TYPES,
  OPERATOR_ROLES,
  OPERATOR_STATUSES,
  SESSION_EVENT_TYPES,
  SESSION_STATUSES,
  type AssignmentDTO,
  type AuditEntryDTO,
  type CustomerExportDTO,
  type ErasureDTO,
  type AttachmentDTO,
  type CannedResponseDTO,
  type Availability,
  type ClosedBy,
  type ErrorBody,
  type ErrorCode,
  type FieldProblem,
  type LabelDTO,
  type LoginResult,
  type MessageDTO,
  type OperatorDTO,
  type OperatorFigures,
  type OperatorRef,
  type OperatorStats,
  type SearchResultDTO,
  type SettingsDTO,
  type TranscriptDTO,
  type BusinessHours,
  type SenderType,
  type SessionDTO,
  type SessionEventDTO,
  type SessionTicketDTO,
} from '../../services/contract';
import { anyObject, bool, int, membersOf, nullableRef, oneOf, orNull, ref, shape, str, time, type ObjectSchemaOf } from './jsonSchema';
import type { Shapes } from './shapes';
import { WEEKDAYS } from '../../services/settings/businessHours';

/**
 * The component schemas: PROTOCOL.md's shapes (services/contract), one per entry of Shapes. Each is written with
 * `shape<ContractType>`, so a field added to (or dropped from) a DTO fails `tsc` until its schema follows, and the
 * enums are the contract's own lists. The descriptions say what the type cannot.
 */

// The contract has no constant lists of these unions: a Record keeps each list complete (see membersOf).
const CLOSED_BY = membersOf<ClosedBy>({ customer: true, operator: true, system: true });
const SENDER_TYPES = membersOf<SenderType>({ customer: true, operator: true, system: true });
/** Every code of the contract, in its own order: ERROR_STATUS has one entry per ErrorCode. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

const uuid = (description?: string) => ({ ...str(description), format: 'uuid' as const });
const nullableTime = () => orNull(time());

const Session = shape<SessionDTO>(
  {
    id: uuid(),
    status: oneOf(SESSION_STATUSES),
    customerId: orNull(str('Your own id of the customer; with IDENTITY_SECRET, verified by identityHash')),
    customerName: orNull(str()),
    customerEmail: orNull(str()),
    department: orNull(str()),
    metadata: orNull(anyObject('What the widget sent, e.g. the page the chat started on')),
    operatorId: orNull(int()),
    operator: nullableRef('OperatorRef', 'Who holds the session'),
    createdAt: time(),
    assignedAt: nullableTime(),
    closedAt: nullableTime(),
    closedBy: orNull(oneOf(CLOSED_BY)),
    closeReason: orNull(str()),
    lastMessageAt: nullableTime(),
    rating: orNull({ ...int(), minimum: 1, maximum: 5 }),
    ratingComment: orNull(str()),
    queuePosition: { ...int('Place in the queue (1 = next); only while waiting'), minimum: 1 },
    labels: { type: 'array', items: str(), description: 'Operators only: a customer always sees []' },
    offline: bool('Created while no operator was online (the "leave a message" path); stays true once picked up'),
    erasedAt: orNull(time()),
  },
  { queuePosition: true },
);

const Attachment = shape<AttachmentDTO>({
  id: { ...str('A UUID'), format: 'uuid' },
  fileName: str(),
  contentType: str('e.g. image/png'),
  size: int('Bytes'),
  width: orNull(int('Pixels, images only')),
  height: orNull(int('Pixels, images only')),
  url: str(),
  thumbnailUrl: orNull(str('Images only')),
});

const Message = shape<MessageDTO>({
  id: int('Grows with every stored message: a cursor for sync and paging'),
  sessionId: uuid(),
  senderType: oneOf(SENDER_TYPES),
  senderId: orNull(str()),
  senderName: orNull(str('The sender’s name when it was stored (null for system lines): each message keeps who wrote it')),
  type: oneOf(MESSAGE_TYPES),
  content: str(),
  clientMessageId: orNull(str('The sender’s idempotency key: sent again, it returns this message, never a second one')),
  createdAt: time(),
  readAt: nullableTime(),
  internal: bool('An operators-only note: never sent to a customer'),
  attachment: nullableRef('Attachment', 'The file or image of a message of type image or file'),
});

const Operator = shape<OperatorDTO>({
  id: int(),
  name: str(),
  email: { ...str(), format: 'email' },
  role: oneOf(OPERATOR_ROLES),
  status: oneOf(OPERATOR_STATUSES),
  maxConcurrentSessions: int(),
  departments: { type: 'array', items: str() },
  activeSessions: int(),
  lastAssignedAt: nullableTime(),
  lastSeenAt: nullableTime(),
  disabled: bool('A disabled operator cannot log in and gets no sessions'),
});

const OperatorFiguresSchema = shape<OperatorFigures>({
  operatorId: int(),
  name: str(),
  status: oneOf(OPERATOR_STATUSES),
  activeSessions: int(),
  closedToday: int('Since midnight UTC'),
  avgFirstResponseSeconds: orNull({ type: 'number', description: 'Over their own assignments: from getting a session to their first message in it' }),
  avgRating: orNull({ type: 'number', minimum: 1, maximum: 5 }),
});

const FieldProblemSchema = shape<FieldProblem>({ field: str(), message: str() });

const ErrorBodySchema = shape<ErrorBody>(
  {
    code: oneOf(ERROR_CODES),
    message: str('For people; says nothing internal'),
    details: { type: 'array', items: ref('FieldProblem'), description: 'One entry per bad field (VALIDATION_ERROR)' },
  },
  { details: true },
);

/** Indexed by Shapes: one schema per component name, each of the type that name maps to. */
export const SCHEMAS: { [K in keyof Shapes]: ObjectSchemaOf<Shapes[K]> } = {
  Session,
  OperatorRef: shape<OperatorRef>({ id: int(), name: str() }),
  Message,
  Attachment,
  Operator,
  SessionEvent: shape<SessionEventDTO>({
    id: int(),
    type: oneOf(SESSION_EVENT_TYPES),
    operatorId: orNull(int()),
    detail: orNull(anyObject('e.g. the strategy and reason of an assignment, the operators of a transfer')),
    createdAt: time(),
  }),
  Availability: shape<Availability>({
    online: bool('Whether any operator is online'),
    availableOperators: int('Operators online with a free seat now'),
    waiting: int('Sessions in the queue'),
    estimatedWaitSeconds: int('0 when someone is free now; -1 when nobody is online (offer "leave a message")'),
    withinBusinessHours: bool('True when no business hours are set; outside them the widget offers "leave a message"'),
    nextOpenAt: orNull({ ...time(), description: 'When business hours next open; null while open, when none are set or none come' }),
    maxMessageLength: int('The longest message the server takes (MAX_MESSAGE_LENGTH): the pages refuse a longer one before sending it'),
  }),
  OperatorStats: shape<OperatorStats>({
    operators: { type: 'array', items: ref('OperatorFigures') },
    overall: shape<OperatorStats['overall']>({
      waiting: int(),
      active: int(),
      avgWaitSeconds: orNull({ type: 'number', description: 'Average wait of today’s assignments' }),
    }),
  }),
  OperatorFigures: OperatorFiguresSchema,
  LoginResult: shape<LoginResult>({
    token: str('A JWT: send it as `Authorization: Bearer <token>`'),
    operator: ref('Operator'),
  }),
  SessionTicket: shape<SessionTicketDTO>({
    session: ref('Session'),
    customerToken: str('Opens this one session only: REST `Authorization: Bearer`, Socket.IO handshake `auth.token`'),
  }),
  Assignment: shape<AssignmentDTO>({ session: ref('Session'), operator: ref('Operator') }),
  CannedResponse: shape<CannedResponseDTO>({
    id: int(),
    shortcut: str('Lowercase letters, digits, _ and - (1 to 32); unique per owner'),
    content: str('May hold {{customer.name}}, {{customer.email}}, {{operator.name}}: the console fills them in before sending'),
    scope: oneOf(['shared', 'personal']),
    department: orNull(str()),
    ownerId: orNull(int('The operator whose personal response it is; null for a shared one')),
  }),
  SearchResult: shape<SearchResultDTO>({
    session: ref('Session'),
    message: nullableRef('Message', 'The message that holds the words; null when the customer’s name, email or id matched'),
    snippet: str('Plain text around the first match (never HTML)'),
  }),
  Transcript: shape<TranscriptDTO>({ email: str('Where the transcript is being mailed (it waits in the outbox until sent)') }),
  CustomerExport: shape<CustomerExportDTO>({
    customerId: str(),
    exportedAt: time(),
    sessions: {
      type: 'array',
      description: 'Oldest first; none once the customer is erased',
      items: shape<CustomerExportDTO['sessions'][number]>({
        session: ref('Session'),
        messages: { type: 'array', description: 'Every message, notes and files (fresh links) included', items: ref('Message') },
        events: { type: 'array', items: ref('SessionEvent') },
      }),
    },
  }),
  Erasure: shape<ErasureDTO>({
    customerId: orNull(str('The customer erased; null for one session')),
    sessionId: orNull(str('The session erased; null for a customer')),
    sessions: int('Sessions erased now (0 when they had been already)'),
    messages: int('Messages deleted, notes and system lines included'),
    attachments: int('Files deleted'),
  }),
  AuditEntry: shape<AuditEntryDTO>({
    id: int(),
    at: time(),
    actor: shape<AuditEntryDTO['actor']>({ id: orNull(int('null: the system (retention)')), name: orNull(str('The operator’s name when they did it')) }),
    action: oneOf(AUDIT_ACTIONS),
    target: shape<AuditEntryDTO['target']>({ type: oneOf(AUDIT_TARGET_TYPES), id: orNull(str('Operator id, label name, customer id or session id')) }),
    detail: orNull(anyObject('What changed (field names, counts); never a password or token')),
  }),
  Settings: shape<SettingsDTO>({
    businessHours: orNull(
      shape<BusinessHours>({
        timezone: str('An IANA time zone, e.g. Europe/Paris'),
        week: {
          type: 'array',
          description: 'Opening windows in local time; several a day allowed; empty: closed every day',
          items: shape<BusinessHours['week'][number]>({ day: oneOf(WEEKDAYS), open: str('HH:MM, 00:00–23:59'), close: str('HH:MM after open; 24:00 allowed') }),
        },
        closedDates: { type: 'array', items: str('YYYY-MM-DD, a local date closed all day') },
      }),
    ),
    offlineNotifyEmails: { type: 'array', items: str('An email address told of offline messages') },
    departments: { type: 'array', items: shape<SettingsDTO['departments'][number]>({ name: str(), offlineNotifyEmails: { type: 'array', items: str() } }) },
  }),
  Label: shape<LabelDTO>({ name: str('Lowercase letters, digits and - (1 to 32)'), color: orNull(str('#rrggbb')) }),
  FieldProblem: FieldProblemSchema,
  ErrorBody: ErrorBodySchema,
  Error: shape<Shapes['Error']>({ success: { type: 'boolean', enum: [false] }, error: ref('ErrorBody') }),
};
