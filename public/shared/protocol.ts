/** PROTOCOL.md's shapes as the pages read them: the server's own contract module (services/contract), renamed. */
export type {
  AckReply,
  Availability,
  CannedResponseDTO as CannedResponse,
  ErrorBody,
  LabelDTO as Label,
  MessageDTO as Message,
  OperatorDTO as Operator,
  OperatorStats,
  OperatorStatus,
  SearchResultDTO as SearchResult,
  SenderType,
  SessionDTO as Session,
  SessionEventDTO,
  SessionStatus,
  SettingsDTO as Settings,
} from '../../services/contract';
