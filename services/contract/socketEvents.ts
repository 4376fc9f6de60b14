import type { Ack } from './errors';
import type { MessageDTO, OperatorDTO, OperatorRef, OperatorStatus, SessionDTO, TranscriptDTO } from './dto';

/**
 * PROTOCOL.md's Socket.IO events, both namespaces, both directions. Socket.IO's Server and Namespace are typed
 * with these on the server, and the pages' and tests' clients with the same maps.
 */

export interface MessageSendPayload {
  content: string;
  clientMessageId: string;
  type?: 'text' | 'image' | 'file';
}

export interface QueuedPayload {
  position: number;
  waiting: number;
}

export interface CustomerClientEvents {
  'message:send': (payload: MessageSendPayload, ack: Ack<MessageDTO>) => void;
  'messages:sync': (payload: { afterId: number }, ack: Ack<{ messages: MessageDTO[] }>) => void;
  typing: (payload: { isTyping: boolean }, ack: Ack<null>) => void;
  'messages:read': (payload: { upToId: number }, ack: Ack<null>) => void;
  'session:close': (payload: { reason?: string }, ack: Ack<SessionDTO>) => void;
  'session:rate': (payload: { rating: number; comment?: string }, ack: Ack<SessionDTO>) => void;
  /** The transcript mailed to the session's customerEmail (PROTOCOL.md "Email"). */
  'session:transcript': (payload: Record<string, never>, ack: Ack<TranscriptDTO>) => void;
}

export interface CustomerServerEvents {
  'session:queued': (payload: QueuedPayload) => void;
  'session:assigned': (payload: { session: SessionDTO; operator: OperatorRef | null }) => void;
  'session:transferred': (payload: { session: SessionDTO; operator: OperatorRef | null }) => void;
  'session:closed': (payload: { session: SessionDTO }) => void;
  'session:requeued': (payload: QueuedPayload) => void;
  'message:new': (payload: { message: MessageDTO }) => void;
  typing: (payload: { senderType: 'operator'; isTyping: boolean }) => void;
  'messages:read': (payload: { upToId: number; by: 'operator' }) => void;
}

export interface OperatorClientEvents {
  'status:set': (payload: { status: OperatorStatus }, ack: Ack<OperatorDTO>) => void;
  'session:join': (payload: { sessionId: string }, ack: Ack<SessionDTO>) => void;
  'message:send': (payload: MessageSendPayload & { sessionId: string }, ack: Ack<MessageDTO>) => void;
  'messages:sync': (payload: { sessionId: string; afterId: number }, ack: Ack<{ messages: MessageDTO[] }>) => void;
  /** `internal`: a note is being written (colleagues are told through session:viewers, the customer never). */
  typing: (payload: { sessionId: string; isTyping: boolean; internal?: boolean }, ack: Ack<null>) => void;
  'messages:read': (payload: { sessionId: string; upToId: number }, ack: Ack<null>) => void;
  'session:close': (payload: { sessionId: string; reason?: string }, ack: Ack<SessionDTO>) => void;
  'session:transfer': (payload: { sessionId: string; operatorId?: number; department?: string }, ack: Ack<SessionDTO>) => void;
  'session:viewing': (payload: { sessionId: string; viewing: boolean }, ack: Ack<null>) => void;
}

export interface OperatorServerEvents {
  'session:new': (payload: { session: SessionDTO }) => void;
  'session:assigned': (payload: { session: SessionDTO }) => void;
  'session:unassigned': (payload: { session: SessionDTO }) => void;
  'session:closed': (payload: { session: SessionDTO }) => void;
  /** Labels or other details operators see changed. */
  'session:updated': (payload: { session: SessionDTO }) => void;
  /** Who has the session open or is typing in it (agent collision): to its holder and every viewer. */
  'session:viewers': (payload: { sessionId: string; operators: Array<{ id: number; name: string; typing: boolean }> }) => void;
  'message:new': (payload: { message: MessageDTO }) => void;
  typing: (payload: { sessionId: string; senderType: 'customer'; isTyping: boolean }) => void;
  'messages:read': (payload: { sessionId: string; upToId: number; by: 'customer' }) => void;
  'queue:updated': (payload: { waiting: number }) => void;
  'operator:status': (payload: { operatorId: number; status: OperatorStatus }) => void;
}

/** The payload an event of a map carries (its first argument). */
export type PayloadOf<M, E extends keyof M> = M[E] extends (payload: infer P, ...rest: never[]) => void ? P : never;
