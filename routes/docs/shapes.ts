import type {
  AssignmentDTO,
  AuditEntryDTO,
  CustomerExportDTO,
  ErasureDTO,
  AttachmentDTO,
  CannedResponseDTO,
  Availability,
  Envelope,
  ErrorBody,
  FieldProblem,
  LabelDTO,
  LoginResult,
  MessageDTO,
  OperatorDTO,
  OperatorFigures,
  OperatorRef,
  OperatorStats,
  SearchResultDTO,
  SettingsDTO,
  TranscriptDTO,
  SessionDTO,
  SessionEventDTO,
  SessionTicketDTO,
} from '../../services/contract';

/**
 * Which contract type each component schema of the OpenAPI document describes. Only types: the route registry
 * names its answers by these keys (RouteSpec.responds.schema) and components.ts must give one schema per key,
 * written against the type it maps to, so a shape the routes name cannot be left undocumented.
 */
export interface Shapes {
  Session: SessionDTO;
  OperatorRef: OperatorRef;
  Message: MessageDTO;
  Attachment: AttachmentDTO;
  Operator: OperatorDTO;
  SessionEvent: SessionEventDTO;
  Availability: Availability;
  OperatorStats: OperatorStats;
  OperatorFigures: OperatorFigures;
  LoginResult: LoginResult;
  SessionTicket: SessionTicketDTO;
  Assignment: AssignmentDTO;
  Label: LabelDTO;
  CannedResponse: CannedResponseDTO;
  SearchResult: SearchResultDTO;
  Settings: SettingsDTO;
  Transcript: TranscriptDTO;
  CustomerExport: CustomerExportDTO;
  Erasure: ErasureDTO;
  AuditEntry: AuditEntryDTO;
  FieldProblem: FieldProblem;
  ErrorBody: ErrorBody;
  /** The failure envelope, `{ success: false, error }`. */
  Error: Extract<Envelope<unknown>, { success: false }>;
}

export type ShapeName = keyof Shapes;
