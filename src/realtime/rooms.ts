import type { Namespace } from 'socket.io';
import type { Audience } from '../../services/NotificationService';
import { rooms, type QueuePosition } from './events';

/**
 * PROTOCOL.md's audiences as Socket.IO rooms; the adapter carries each emit to every process. Once the
 * realtime layer is closing (`isOpen` false) nothing is sent: the adapter's Redis clients are going away, and
 * a publish on a closed client would reject with nobody to catch it.
 */
export function roomAudience(customers: Namespace, operators: Namespace, { isOpen, clustered }: { isOpen: () => boolean; clustered: boolean }): Audience {
  const when =
    <A extends unknown[]>(send: (...args: A) => void) =>
    (...args: A): void => {
      if (isOpen()) send(...args);
    };
  // Only to this process's sockets: the other processes got the same list and tell their own.
  const tellPositions = (positions: QueuePosition[], waiting: number): void => {
    for (const [sessionId, position] of positions) customers.local.to(rooms.session(sessionId)).emit('session:queued', { position, waiting });
  };
  customers.on('queue:positions', when(tellPositions));
  return {
    customer: when((sessionId: string, event: string, payload: unknown) => customers.to(rooms.session(sessionId)).emit(event, payload)),
    queuePositions: when((positions: QueuePosition[], waiting: number) => {
      tellPositions(positions, waiting);
      // The in-process adapter has no other process to tell (and warns when asked to).
      if (clustered) customers.serverSideEmit('queue:positions', positions, waiting);
    }),
    operator: when((operatorId: number, event: string, payload: unknown) => operators.to(rooms.operator(operatorId)).emit(event, payload)),
    queue: when((event: string, payload: unknown) => operators.to(rooms.queue).emit(event, payload)),
    operators: when((event: string, payload: unknown) => operators.to(rooms.operators).emit(event, payload)),
    setInQueue: when((operatorId: number, inQueue: boolean) => {
      const sockets = operators.in(rooms.operator(operatorId));
      if (inQueue) sockets.socketsJoin(rooms.queue);
      else sockets.socketsLeave(rooms.queue);
    }),
    disconnectOperator: when((operatorId: number) => operators.in(rooms.operator(operatorId)).disconnectSockets(true)),
  };
}
