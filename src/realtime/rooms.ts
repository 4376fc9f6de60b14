import type { Audience } from '../../services/events/NotificationService';
import type { CustomerServerEvents, MessageDTO, OperatorServerEvents } from '../../services/contract';
import { rooms, type CustomerNamespace, type MessageNotice, type OperatorNamespace, type QueuePosition } from './events';

/**
 * PROTOCOL.md's audiences as Socket.IO rooms; the adapter carries each emit to every process. Once the
 * realtime layer is closing (`isOpen` false) nothing is sent: the adapter's Redis clients are going away, and
 * a publish on a closed client would reject with nobody to catch it.
 *
 * Stored messages travel differently: each process tells its own sockets at once, and the other processes,
 * when there are any, get every message stored in the same tick (a whole message group) as one notice, then
 * tell those of their sockets that are in the rooms. Two room broadcasts per message would be two Redis
 * publishes, each decoded again by the sending process (its own echo) and by every process holding the room.
 * Any other emit first sends the notices still pending, so that other processes hear of everything in the
 * order it happened here.
 */
export function roomAudience(
  customers: CustomerNamespace,
  operators: OperatorNamespace,
  { isOpen, clustered, hasPeers }: { isOpen: () => boolean; clustered: boolean; hasPeers: () => boolean },
): Audience {
  let pendingNotices: MessageNotice[] = [];
  const sendNotices = (): void => {
    if (pendingNotices.length === 0) return;
    const notices = pendingNotices;
    pendingNotices = [];
    customers.serverSideEmit('messages:stored', notices);
  };
  const when =
    <A extends unknown[]>(send: (...args: A) => void) =>
    (...args: A): void => {
      if (isOpen()) send(...args);
    };
  /** Sends the pending notices first, then this emit, while open. */
  const inOrder = (send: () => void): void => {
    if (!isOpen()) return;
    sendNotices();
    send();
  };
  // Only to this process's sockets: the other processes got the same list and tell their own.
  const tellPositions = (positions: QueuePosition[], waiting: number): void => {
    for (const [sessionId, position] of positions) customers.local.to(rooms.session(sessionId)).emit('session:queued', { position, waiting });
  };
  /** To the room's sockets in this process; a room without any here costs no encoding. */
  const tellMessage = (sessionId: string, operatorId: number | null, message: MessageDTO): void => {
    const sessionRoom = rooms.session(sessionId);
    // A note never goes to a customer socket, whichever process tells it.
    if (!message.internal && customers.adapter.rooms.has(sessionRoom)) customers.local.to(sessionRoom).emit('message:new', { message });
    // The holder and whoever has the session open (a socket in both rooms gets it once).
    const staff = rooms.sessionStaff(sessionId, operatorId).filter((room) => operators.adapter.rooms.has(room));
    if (staff.length > 0) operators.local.to(staff).emit('message:new', { message });
  };
  const tellMessages = (notices: MessageNotice[]): void => {
    // From another process of this deployment: a malformed notice is dropped, never thrown into the adapter.
    if (!Array.isArray(notices)) return;
    for (const notice of notices) {
      if (!Array.isArray(notice) || typeof notice[0] !== 'string') continue;
      const [sessionId, operatorId, message] = notice;
      tellMessage(sessionId, typeof operatorId === 'number' ? operatorId : null, message);
    }
  };
  customers.on('queue:positions', when(tellPositions));
  customers.on('messages:stored', when(tellMessages));
  return {
    message: when((sessionId: string, operatorId: number | null, message: MessageDTO) => {
      tellMessage(sessionId, operatorId, message);
      // No other process to tell: none listens (peers.ts), or the in-process adapter, which warns when asked.
      if (!hasPeers()) return;
      // After the current tick's callbacks and promise reactions: a group's messages resolve together.
      if (pendingNotices.length === 0) process.nextTick(when(sendNotices));
      pendingNotices.push([sessionId, operatorId, message]);
    }),
    customer<E extends keyof CustomerServerEvents>(sessionId: string, event: E, ...args: Parameters<CustomerServerEvents[E]>) {
      inOrder(() => customers.to(rooms.session(sessionId)).emit(event, ...args));
    },
    queuePositions(positions: QueuePosition[], waiting: number) {
      inOrder(() => {
        tellPositions(positions, waiting);
        if (clustered) customers.serverSideEmit('queue:positions', positions, waiting);
      });
    },
    operator<E extends keyof OperatorServerEvents>(operatorId: number, event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      inOrder(() => operators.to(rooms.operator(operatorId)).emit(event, ...args));
    },
    sessionStaff<E extends keyof OperatorServerEvents>(sessionId: string, operatorId: number | null, event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      inOrder(() => operators.to(rooms.sessionStaff(sessionId, operatorId)).emit(event, ...args));
    },
    queue<E extends keyof OperatorServerEvents>(event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      inOrder(() => operators.to(rooms.queue).emit(event, ...args));
    },
    operators<E extends keyof OperatorServerEvents>(event: E, ...args: Parameters<OperatorServerEvents[E]>) {
      inOrder(() => operators.to(rooms.operators).emit(event, ...args));
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
