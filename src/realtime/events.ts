import type { Namespace, Server, Socket } from 'socket.io';
import type { Actor } from '../../services/access';
import type { CustomerClientEvents, CustomerServerEvents, MessageDTO, OperatorClientEvents, OperatorServerEvents } from '../../services/contract';

/** A waiting session's place in the queue, as [sessionId, position]. */
export type QueuePosition = [string, number];

/** A stored message and who hears of it: [sessionId, the session's operator or null, the message]. */
export type MessageNotice = [string, number | null, MessageDTO];

/**
 * What one process tells the others, for each to repeat to its own sockets (rooms.ts):
 * - a stored message and who hears of it: the session, the session's operator or null, the message;
 * - an event of the contract to the sockets of some rooms of a namespace;
 * - the queue's positions, to every waiting customer at once (one notice for all of them).
 */
export type Notice =
  | ['message', ...MessageNotice]
  | ['emit', 'customer', string[], keyof CustomerServerEvents, Parameters<CustomerServerEvents[keyof CustomerServerEvents]>]
  | ['emit', 'operator', string[], keyof OperatorServerEvents, Parameters<OperatorServerEvents[keyof OperatorServerEvents]>]
  | ['positions', QueuePosition[], number];

/** Events between server processes (serverSideEmit over the adapter). */
export interface InterServerEvents {
  /** Everything one process told its sockets in one tick, in order: one publish instead of one per event. */
  notices: (notices: Notice[]) => void;
  /**
   * What a process of the previous release sends (it told only stored messages and queue positions this way, the
   * rest through the adapter's broadcasts): heard during a rolling reload from it. To go in the release after.
   */
  'messages:stored': (notices: MessageNotice[]) => void;
  'queue:positions': (positions: QueuePosition[], waiting: number) => void;
  /** A process whose adapter has just subscribed: the others send it their notices from now on. */
  'process:hello': () => void;
}

export interface SocketData {
  actor: Actor;
  /** An operator socket's open conversations (`session:viewing`): session id → typing in it (realtime/viewers.ts). */
  viewing?: Record<string, boolean>;
}

/** The two namespaces and their sockets, typed by the contract (services/contract). */
export type CustomerNamespace = Namespace<CustomerClientEvents, CustomerServerEvents, InterServerEvents, SocketData>;
export type OperatorNamespace = Namespace<OperatorClientEvents, OperatorServerEvents, InterServerEvents, SocketData>;
export type CustomerSocket = Socket<CustomerClientEvents, CustomerServerEvents, InterServerEvents, SocketData>;
export type OperatorSocket = Socket<OperatorClientEvents, OperatorServerEvents, InterServerEvents, SocketData>;
/** The server as its root sees it (no events of its own: its namespace refuses every handshake). */
export type ChatIo = Server<Record<string, never>, Record<string, never>, InterServerEvents, SocketData>;

/** Room names, shared by every process through the adapter. */
export const rooms = {
  session: (sessionId: string): string => `session:${sessionId}`,
  operator: (operatorId: number): string => `operator:${operatorId}`,
  /** Every operator socket: operator:status goes here. */
  operators: 'operators',
  /** Online operators: session:new and queue:updated go here. */
  queue: 'queue',
  /** Operator sockets that have a session open (session:viewing): they hear its messages and typing. */
  viewing: (sessionId: string): string => `viewing:${sessionId}`,
  /** Who hears a session as its operators do: its holder (if any) and its viewers. */
  sessionStaff: (sessionId: string, operatorId: number | null): string[] => [rooms.viewing(sessionId), ...(operatorId === null ? [] : [rooms.operator(operatorId)])],
};
