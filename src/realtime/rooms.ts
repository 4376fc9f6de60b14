import type { Namespace } from 'socket.io';
import type { Audience } from '../../services/NotificationService';
import { rooms } from './events';

/** PROTOCOL.md's audiences as Socket.IO rooms; the adapter carries each emit to every process. */
export function roomAudience(customers: Namespace, operators: Namespace): Audience {
  return {
    customer: (sessionId, event, payload) => void customers.to(rooms.session(sessionId)).emit(event, payload),
    operator: (operatorId, event, payload) => void operators.to(rooms.operator(operatorId)).emit(event, payload),
    queue: (event, payload) => void operators.to(rooms.queue).emit(event, payload),
    operators: (event, payload) => void operators.to(rooms.operators).emit(event, payload),
    setInQueue: (operatorId, inQueue) => {
      const sockets = operators.in(rooms.operator(operatorId));
      if (inQueue) sockets.socketsJoin(rooms.queue);
      else sockets.socketsLeave(rooms.queue);
    },
    disconnectOperator: (operatorId) => operators.in(rooms.operator(operatorId)).disconnectSockets(true),
  };
}
