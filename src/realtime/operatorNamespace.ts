import type { Namespace } from 'socket.io';
import type { OperatorStatus } from '../../models';
import type { OperatorActor } from '../../services/actor';
import type { PostMessageInput } from '../../services/ChatService';
import type { OperatorService } from '../../services/OperatorService';
import type { PresenceService } from '../../services/PresenceService';
import { authenticateSocket } from './auth';
import type { NamespaceDeps } from './customerNamespace';
import { rooms } from './events';
import { onEvent } from './handler';

export interface OperatorNamespaceDeps extends NamespaceDeps {
  operators: OperatorService;
  presence: PresenceService;
  /** Presence updates still running; awaited on shutdown before the database closes. */
  pending: Set<Promise<void>>;
}

type SessionRef = { sessionId: string };

/** `/operator`: an operator's sockets share a room; online operators also share the queue room. */
export function registerOperatorNamespace(nsp: Namespace, deps: OperatorNamespaceDeps): void {
  const { logger, schemas, auth, chat, operators, presence, pending } = deps;
  const track = (work: Promise<void>): void => {
    const tracked = work.catch((error: unknown) => logger.warn({ err: error }, 'presence update failed')).finally(() => pending.delete(tracked));
    pending.add(tracked);
  };

  nsp.use(authenticateSocket(auth, 'operator'));
  nsp.on('connection', (socket) => {
    const actor = socket.data.actor as OperatorActor;
    const { operatorId } = actor;
    void socket.join([rooms.operator(operatorId), rooms.operators]);
    track(presence.connected(operatorId));
    void operators.get(operatorId).then(
      (operator) => {
        if (operator.status === 'online') void socket.join(rooms.queue);
      },
      () => undefined,
    );
    logger.info({ namespace: 'operator', operatorId, socketId: socket.id }, 'socket connected');
    socket.on('disconnect', (reason) => {
      logger.info({ namespace: 'operator', operatorId, socketId: socket.id, reason }, 'socket disconnected');
      track(presence.disconnected(operatorId));
    });

    onEvent<{ status: OperatorStatus }>(socket, 'status:set', schemas.socketStatus, logger, ({ status }) => operators.setStatus(actor, operatorId, status));
    onEvent<SessionRef>(socket, 'session:join', schemas.socketSessionRef, logger, ({ sessionId }) => operators.join(actor, sessionId));
    onEvent<SessionRef & PostMessageInput>(socket, 'message:send', schemas.operatorSend, logger, async ({ sessionId, ...input }) =>
      (await chat.postMessage(actor, sessionId, input)).message,
    );
    onEvent<SessionRef & { afterId: number }>(socket, 'messages:sync', schemas.operatorSync, logger, async ({ sessionId, afterId }) => ({
      messages: await chat.syncMessages(actor, sessionId, afterId),
    }));
    onEvent<SessionRef & { isTyping: boolean }>(socket, 'typing', schemas.operatorTyping, logger, ({ sessionId, isTyping }) =>
      chat.typing(actor, sessionId, isTyping),
    );
    onEvent<SessionRef & { upToId: number }>(socket, 'messages:read', schemas.operatorRead, logger, async ({ sessionId, upToId }) => {
      await chat.markRead(actor, sessionId, upToId);
    });
    onEvent<SessionRef & { reason?: string }>(socket, 'session:close', schemas.operatorClose, logger, ({ sessionId, reason }) =>
      chat.close(actor, sessionId, reason),
    );
    onEvent<SessionRef & { operatorId?: number; department?: string }>(socket, 'session:transfer', schemas.operatorTransfer, logger, ({ sessionId, operatorId: to, department }) =>
      chat.transfer(actor, sessionId, { operatorId: to, department }),
    );
  });
}
