import type { Audience } from '../../services/events/NotificationService';
import type { CustomerServerEvents, MessageDTO, OperatorServerEvents } from '../../services/contract';
import { rooms, type CustomerNamespace, type MessageNotice, type Notice, type OperatorNamespace, type QueuePosition } from './events';

/** The contract's server → client events: the only names a notice from another process may make a socket hear. */
const CUSTOMER_EVENTS = new Set(
  Object.keys({
    'session:queued': true,
    'session:assigned': true,
    'session:transferred': true,
    'session:closed': true,
    'session:requeued': true,
    'message:new': true,
    typing: true,
    'messages:read': true,
  } satisfies Record<keyof CustomerServerEvents, true>),
);
const OPERATOR_EVENTS = new Set(
  Object.keys({
    'session:new': true,
    'session:assigned': true,
    'session:unassigned': true,
    'session:closed': true,
    'session:updated': true,
    'session:viewers': true,
    'message:new': true,
    typing: true,
    'messages:read': true,
    'queue:updated': true,
    'operator:status': true,
  } satisfies Record<keyof OperatorServerEvents, true>),
);

const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** The audience, and `flush` for the realtime layer's close: what was told in this tick still reaches the others. */
export type RoomAudience = Audience & { flush(): void };

/**
 * PROTOCOL.md's audiences as Socket.IO rooms. Once the realtime layer is closing (`isOpen` false) nothing is
 * sent: the adapter's Redis clients are going away, and a publish on a closed client would reject with nobody
 * to catch it.
 *
 * Each process tells its own sockets at once, and the other processes, when there are any (peers.ts), get
 * everything told in the same tick (a whole message group, a group of arrivals' assignments) as one notice, in
 * the order it happened here; each tells those of its sockets that are in the rooms. A room broadcast through
 * the adapter would be one Redis publish per event, decoded again by the sending process (its own echo) and by
 * every other process, whether or not it holds the room. What the adapter must do itself (a socket joining or
 * leaving rooms on every process, disconnecting them) first sends the notices still pending. `session:viewers`
 * (viewers.ts) goes through the adapter: it follows the adapter's own count of a session's viewers, and each
 * copy replaces the last.
 */
export function roomAudience(customers: CustomerNamespace, operators: OperatorNamespace, { isOpen, hasPeers }: { isOpen: () => boolean; hasPeers: () => boolean }): RoomAudience {
  let pending: Notice[] = [];
  const sendNotices = (): void => {
    if (pending.length === 0) return;
    const notices = pending;
    pending = [];
    customers.serverSideEmit('notices', notices);
  };
  const when =
    <A extends unknown[]>(send: (...args: A) => void) =>
    (...args: A): void => {
      if (isOpen()) send(...args);
    };
  /** For the other processes, after the current tick's callbacks and promise reactions (a group's news goes together). */
  const notify = (notice: Notice): void => {
    // No other process to tell: none listens (peers.ts), or the in-process adapter, which warns when asked.
    if (!hasPeers()) return;
    if (pending.length === 0) process.nextTick(when(sendNotices));
    pending.push(notice);
  };
  /** Sends the pending notices first, then this adapter operation, while open. */
  const inOrder = (send: () => void): void => {
    if (!isOpen()) return;
    sendNotices();
    send();
  };
  /** The rooms' sockets in this process; rooms without any here cost no encoding. */
  const toCustomers = <E extends keyof CustomerServerEvents>(names: string[], event: E, args: Parameters<CustomerServerEvents[E]>): void => {
    const here = names.filter((room) => customers.adapter.rooms.has(room));
    if (here.length > 0) customers.local.to(here).emit(event, ...args);
  };
  const toOperators = <E extends keyof OperatorServerEvents>(names: string[], event: E, args: Parameters<OperatorServerEvents[E]>): void => {
    const here = names.filter((room) => operators.adapter.rooms.has(room));
    if (here.length > 0) operators.local.to(here).emit(event, ...args);
  };
  const tellPositions = (positions: QueuePosition[], waiting: number): void => {
    for (const [sessionId, position] of positions) toCustomers([rooms.session(sessionId)], 'session:queued', [{ position, waiting }]);
  };
  const tellMessage = (sessionId: string, operatorId: number | null, message: MessageDTO): void => {
    // A note never goes to a customer socket, whichever process tells it.
    if (!message.internal) toCustomers([rooms.session(sessionId)], 'message:new', [{ message }]);
    // The holder and whoever has the session open (a socket in both rooms gets it once).
    toOperators(rooms.sessionStaff(sessionId, operatorId), 'message:new', [{ message }]);
  };
  const tellMessageNotice = (notice: MessageNotice): void => {
    const [sessionId, operatorId, message] = notice;
    if (typeof sessionId === 'string' && typeof message === 'object' && message !== null) tellMessage(sessionId, typeof operatorId === 'number' ? operatorId : null, message);
  };
  const heardPositions = (positions: QueuePosition[], waiting: number): void => {
    if (!Array.isArray(positions) || typeof waiting !== 'number') return;
    tellPositions(
      positions.filter((p) => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number'),
      waiting,
    );
  };
  /** From another process of this deployment: a malformed notice is dropped, never thrown into the adapter. */
  const tellNotice = (notice: Notice): void => {
    if (!Array.isArray(notice)) return;
    if (notice[0] === 'message') tellMessageNotice([notice[1], notice[2], notice[3]]);
    else if (notice[0] === 'positions') heardPositions(notice[1], notice[2]);
    else if (notice[0] === 'emit' && strings(notice[2]) && Array.isArray(notice[4])) {
      if (notice[1] === 'customer' && CUSTOMER_EVENTS.has(notice[3])) toCustomers(notice[2], notice[3], notice[4]);
      else if (notice[1] === 'operator' && OPERATOR_EVENTS.has(notice[3])) toOperators(notice[2], notice[3], notice[4]);
    }
  };
  const heard =
    <T>(tell: (item: T) => void) =>
    (items: T[]): void => {
      if (!isOpen() || !Array.isArray(items)) return;
      for (const item of items) {
        try {
          tell(item);
        } catch {
          // A payload this process cannot send (Socket.IO refuses it): the rest of the tick's news still goes.
        }
      }
    };
  customers.on('notices', heard(tellNotice));
  customers.on('messages:stored', heard(tellMessageNotice));
  customers.on('queue:positions', when(heardPositions));
  const tellCustomer = <E extends keyof CustomerServerEvents>(names: string[], event: E, args: Parameters<CustomerServerEvents[E]>): void => {
    if (!isOpen()) return;
    toCustomers(names, event, args);
    notify(['emit', 'customer', names, event, args]);
  };
  const tellOperators = <E extends keyof OperatorServerEvents>(names: string[], event: E, args: Parameters<OperatorServerEvents[E]>): void => {
    if (!isOpen()) return;
    toOperators(names, event, args);
    notify(['emit', 'operator', names, event, args]);
  };
  return {
    flush: when(sendNotices),
    message: when((sessionId: string, operatorId: number | null, message: MessageDTO) => {
      tellMessage(sessionId, operatorId, message);
      notify(['message', sessionId, operatorId, message]);
    }),
    customer<E extends keyof CustomerServerEvents>(sessionId: string, event: E, ...args: Parameters<CustomerServerEvents[E]>) {
      tellCustomer([rooms.session(sessionId)], event, args);
    },
    queuePositions: when((positions: QueuePosition[], waiting: number) => {
      tellPositions(positions, waiting);
      notify(['positions', positions, waiting]);
    }),
    operator<E extends keyof OperatorServerEvents>(operatorId: number, event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      tellOperators([rooms.operator(operatorId)], event, args);
    },
    sessionStaff<E extends keyof OperatorServerEvents>(sessionId: string, operatorId: number | null, event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      tellOperators(rooms.sessionStaff(sessionId, operatorId), event, args);
    },
    queue<E extends keyof OperatorServerEvents>(event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      tellOperators([rooms.queue], event, args);
    },
    operators<E extends keyof OperatorServerEvents>(event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      tellOperators([rooms.operators], event, args);
    },
    setInQueue(operatorId: number, inQueue: boolean) {
      inOrder(() => {
        const sockets = operators.in(rooms.operator(operatorId));
        if (inQueue) sockets.socketsJoin(rooms.queue);
        else sockets.socketsLeave(rooms.queue);
      });
    },
    disconnectOperator(operatorId: number) {
      inOrder(() => operators.in(rooms.operator(operatorId)).disconnectSockets(true));
    },
    disconnectCustomer(sessionId: string) {
      inOrder(() => customers.in(rooms.session(sessionId)).disconnectSockets(true));
    },
  };
}
