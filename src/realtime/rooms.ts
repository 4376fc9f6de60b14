import type { Audience } from '../../services/events/NotificationService';
import type { CustomerServerEvents, MessageDTO, OperatorServerEvents } from '../../services/contract';
import { rooms, type CustomerNamespace, type Notice, type OperatorNamespace, type QueuePosition } from './events';

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
 * leaving rooms on every process, disconnecting them) first sends the notices still pending.
 */
export function roomAudience(
  customers: CustomerNamespace,
  operators: OperatorNamespace,
  { isOpen, hasPeers }: { isOpen: () => boolean; hasPeers: () => boolean },
): Audience {
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
  const namespaces = { customer: customers, operator: operators };
  /** To the rooms' sockets in this process; rooms without any here cost no encoding. */
  const tellLocal = (namespace: keyof typeof namespaces, names: string[], event: string, args: unknown[]): void => {
    const nsp = namespaces[namespace];
    const here = names.filter((room) => nsp.adapter.rooms.has(room));
    // The event's name and payload are the contract's (services/contract), as the sending process typed them.
    if (here.length > 0) (nsp.local.to(here).emit as (event: string, ...args: unknown[]) => boolean)(event, ...args);
  };
  const tell = (namespace: keyof typeof namespaces, names: string[], event: string, args: unknown[]): void => {
    if (!isOpen()) return;
    tellLocal(namespace, names, event, args);
    notify(['emit', namespace, names, event, args]);
  };
  const tellPositions = (positions: QueuePosition[], waiting: number): void => {
    for (const [sessionId, position] of positions) tellLocal('customer', [rooms.session(sessionId)], 'session:queued', [{ position, waiting }]);
  };
  const tellMessage = (sessionId: string, operatorId: number | null, message: MessageDTO): void => {
    // A note never goes to a customer socket, whichever process tells it.
    if (!message.internal) tellLocal('customer', [rooms.session(sessionId)], 'message:new', [{ message }]);
    // The holder and whoever has the session open (a socket in both rooms gets it once).
    tellLocal('operator', rooms.sessionStaff(sessionId, operatorId), 'message:new', [{ message }]);
  };
  const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
  /** From another process of this deployment: a malformed notice is dropped, never thrown into the adapter. */
  const tellNotice = (notice: unknown): void => {
    if (!Array.isArray(notice)) return;
    const [kind, a, b, c, d] = notice as unknown[];
    if (kind === 'message' && typeof a === 'string' && typeof c === 'object' && c !== null) tellMessage(a, typeof b === 'number' ? b : null, c as MessageDTO);
    else if (kind === 'emit' && (a === 'customer' || a === 'operator') && strings(b) && typeof c === 'string' && Array.isArray(d)) tellLocal(a, b, c, d);
    else if (kind === 'positions' && Array.isArray(a) && typeof b === 'number') {
      tellPositions(a.filter((p): p is QueuePosition => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number'), b);
    }
  };
  customers.on(
    'notices',
    when((notices: Notice[]) => {
      if (Array.isArray(notices)) for (const notice of notices) tellNotice(notice);
    }),
  );
  return {
    message: when((sessionId: string, operatorId: number | null, message: MessageDTO) => {
      tellMessage(sessionId, operatorId, message);
      notify(['message', sessionId, operatorId, message]);
    }),
    customer<E extends keyof CustomerServerEvents>(sessionId: string, event: E, ...args: Parameters<CustomerServerEvents[E]>) {
      tell('customer', [rooms.session(sessionId)], event, args);
    },
    queuePositions: when((positions: QueuePosition[], waiting: number) => {
      tellPositions(positions, waiting);
      notify(['positions', positions, waiting]);
    }),
    operator<E extends keyof OperatorServerEvents>(operatorId: number, event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      tell('operator', [rooms.operator(operatorId)], event, args);
    },
    sessionStaff<E extends keyof OperatorServerEvents>(sessionId: string, operatorId: number | null, event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      tell('operator', rooms.sessionStaff(sessionId, operatorId), event, args);
    },
    queue<E extends keyof OperatorServerEvents>(event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      tell('operator', [rooms.queue], event, args);
    },
    operators<E extends keyof OperatorServerEvents>(event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      tell('operator', [rooms.operators], event, args);
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
