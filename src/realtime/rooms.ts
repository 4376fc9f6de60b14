import type { Namespace } from 'socket.io';
import type { Audience } from '../../services/events/NotificationService';
import type { MessageDTO } from '../../services/dto';
import { rooms, type MessageNotice, type QueuePosition } from './events';

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
  customers: Namespace,
  operators: Namespace,
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
  const afterNotices = <A extends unknown[]>(send: (...args: A) => void): ((...args: A) => void) =>
    when((...args: A) => {
      sendNotices();
      send(...args);
    });
  // Only to this process's sockets: the other processes got the same list and tell their own.
  const tellPositions = (positions: QueuePosition[], waiting: number): void => {
    for (const [sessionId, position] of positions) customers.local.to(rooms.session(sessionId)).emit('session:queued', { position, waiting });
  };
  /** To the room's sockets in this process; a room without any here costs no encoding. */
  const tellLocal = (namespace: Namespace, room: string, message: MessageDTO): void => {
    if (namespace.adapter.rooms.has(room)) namespace.local.to(room).emit('message:new', { message });
  };
  const tellMessage = (sessionId: string, operatorId: number | null, message: MessageDTO): void => {
    tellLocal(customers, rooms.session(sessionId), message);
    if (operatorId !== null) tellLocal(operators, rooms.operator(operatorId), message);
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
    customer: afterNotices((sessionId: string, event: string, payload: unknown) => customers.to(rooms.session(sessionId)).emit(event, payload)),
    queuePositions: afterNotices((positions: QueuePosition[], waiting: number) => {
      tellPositions(positions, waiting);
      if (clustered) customers.serverSideEmit('queue:positions', positions, waiting);
    }),
    operator: afterNotices((operatorId: number, event: string, payload: unknown) => operators.to(rooms.operator(operatorId)).emit(event, payload)),
    queue: afterNotices((event: string, payload: unknown) => operators.to(rooms.queue).emit(event, payload)),
    operators: afterNotices((event: string, payload: unknown) => operators.to(rooms.operators).emit(event, payload)),
    setInQueue: afterNotices((operatorId: number, inQueue: boolean) => {
      const sockets = operators.in(rooms.operator(operatorId));
      if (inQueue) sockets.socketsJoin(rooms.queue);
      else sockets.socketsLeave(rooms.queue);
    }),
    disconnectOperator: afterNotices((operatorId: number) => operators.in(rooms.operator(operatorId)).disconnectSockets(true)),
  };
}
