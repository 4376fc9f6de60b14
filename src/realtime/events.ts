import type { ErrorBody } from '../../services/errors';
import type { Actor } from '../../services/access';
import type { MessageDTO, OperatorDTO, SessionDTO } from '../../services/dto';
import type { OperatorStatus } from '../../models';

/** Every acknowledgement: `{ ok: true, data }` or `{ ok: false, error }` (PROTOCOL.md, Socket.IO). */
export type Ack<T> = (reply: { ok: true; data: T } | { ok: false; error: ErrorBody }) => void;

export interface CustomerClientEvents {
  'message:send': (payload: { content: string; clientMessageId: string; type?: string }, ack: Ack<MessageDTO>) => void;
  'messages:sync': (payload: { afterId: number }, ack: Ack<{ messages: MessageDTO[] }>) => void;
  typing: (payload: { isTyping: boolean }, ack: Ack<null>) => void;
  'messages:read': (payload: { upToId: number }, ack: Ack<null>) => void;
  'session:close': (payload: { reason?: string }, ack: Ack<SessionDTO>) => void;
  'session:rate': (payload: { rating: number; comment?: string }, ack: Ack<SessionDTO>) => void;
}

export interface CustomerServerEvents {
  'session:queued': (payload: { position: number; waiting: number }) => void;
  'session:assigned': (payload: { session: SessionDTO; operator: { id: number; name: string } }) => void;
  'session:transferred': (payload: { session: SessionDTO; operator: { id: number; name: string } | null }) => void;
  'session:closed': (payload: { session: SessionDTO }) => void;
  'message:new': (payload: { message: MessageDTO }) => void;
  typing: (payload: { senderType: 'operator'; isTyping: boolean }) => void;
  'messages:read': (payload: { upToId: number; by: 'operator' }) => void;
}

export interface OperatorClientEvents {
  'status:set': (payload: { status: OperatorStatus }, ack: Ack<OperatorDTO>) => void;
  'session:join': (payload: { sessionId: string }, ack: Ack<SessionDTO>) => void;
  'message:send': (payload: { sessionId: string; content: string; clientMessageId: string; type?: string }, ack: Ack<MessageDTO>) => void;
  'messages:sync': (payload: { sessionId: string; afterId: number }, ack: Ack<{ messages: MessageDTO[] }>) => void;
  typing: (payload: { sessionId: string; isTyping: boolean }, ack: Ack<null>) => void;
  'messages:read': (payload: { sessionId: string; upToId: number }, ack: Ack<null>) => void;
  'session:close': (payload: { sessionId: string; reason?: string }, ack: Ack<SessionDTO>) => void;
  'session:transfer': (payload: { sessionId: string; operatorId?: number; department?: string }, ack: Ack<SessionDTO>) => void;
}

export interface OperatorServerEvents {
  'session:new': (payload: { session: SessionDTO }) => void;
  'session:assigned': (payload: { session: SessionDTO }) => void;
  'session:unassigned': (payload: { session: SessionDTO }) => void;
  'session:closed': (payload: { session: SessionDTO }) => void;
  'message:new': (payload: { message: MessageDTO }) => void;
  typing: (payload: { sessionId: string; senderType: 'customer'; isTyping: boolean }) => void;
  'messages:read': (payload: { sessionId: string; upToId: number; by: 'customer' }) => void;
  'queue:updated': (payload: { waiting: number }) => void;
  'operator:status': (payload: { operatorId: number; status: OperatorStatus }) => void;
}

/** A waiting session's place in the queue, as [sessionId, position]. */
export type QueuePosition = [string, number];

/** A stored message and who hears of it: [sessionId, the session's operator or null, the message]. */
export type MessageNotice = [string, number | null, MessageDTO];

/**
 * Events between server processes (serverSideEmit over the adapter). Room broadcasts need none, but the
 * queue's positions go to every waiting customer at once: one message for all of them instead of one publish
 * per customer, and each process tells the customers connected to it.
 */
export interface InterServerEvents {
  'queue:positions': (positions: QueuePosition[], waiting: number) => void;
  'messages:stored': (notices: MessageNotice[]) => void;
  /** A process whose adapter has just subscribed: the others tell it of their stored messages from now on. */
  'process:hello': () => void;
}

export interface SocketData {
  actor: Actor;
}

/** Room names, shared by every process through the adapter. */
export const rooms = {
  session: (sessionId: string): string => `session:${sessionId}`,
  operator: (operatorId: number): string => `operator:${operatorId}`,
  /** Every operator socket: operator:status goes here. */
  operators: 'operators',
  /** Online operators: session:new and queue:updated go here. */
  queue: 'queue',
};
