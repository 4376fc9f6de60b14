import type { Namespace } from 'socket.io';
import type { OperatorStatus } from '../../models';
import type { OperatorActor } from '../../services/access';
import type { PostMessageInput } from '../../services/sessions/ChatService';
import type { OperatorService } from '../../services/operators/OperatorService';
import type { PresenceService } from '../../services/operators/PresenceService';
import { authenticateSocket } from './auth';
import type { NamespaceDeps } from './customerNamespace';
import { rooms } from './events';
import { event, serveEvents, tracker, type EventSpec } from './handler';

export interface OperatorNamespaceDeps extends NamespaceDeps {
  operators: OperatorService;
  presence: PresenceService;
}

type SessionRef = { sessionId: string };

/** `/operator`: an operator's sockets share a room; online operators also share the queue room. */
export function registerOperatorNamespace(nsp: Namespace, deps: OperatorNamespaceDeps): void {
  const { logger, schemas, auth, chat, operators, presence, pending } = deps;
  const track = tracker(pending, logger);

  // Each socket's context is its operator.
  const events = new Map<string, EventSpec<OperatorActor>>([
    ['status:set', event(schemas.socketStatus, (actor, { status }: { status: OperatorStatus }) => operators.setStatus(actor, actor.operatorId, status))],
    ['session:join', event(schemas.socketSessionRef, (actor, { sessionId }: SessionRef) => operators.join(actor, sessionId))],
    [
      'message:send',
      event(schemas.operatorSend, async (actor, { sessionId, ...input }: SessionRef & PostMessageInput) => (await chat.postMessage(actor, sessionId, input)).message),
    ],
    [
      'messages:sync',
      event(schemas.operatorSync, async (actor, { sessionId, afterId }: SessionRef & { afterId: number }) => ({
        messages: await chat.syncMessages(actor, sessionId, afterId),
      })),
    ],
    ['typing', event(schemas.operatorTyping, (actor, { sessionId, isTyping }: SessionRef & { isTyping: boolean }) => chat.typing(actor, sessionId, isTyping))],
    [
      'messages:read',
      event(schemas.operatorRead, async (actor, { sessionId, upToId }: SessionRef & { upToId: number }) => {
        await chat.markRead(actor, sessionId, upToId);
      }),
    ],
    ['session:close', event(schemas.operatorClose, (actor, { sessionId, reason }: SessionRef & { reason?: string }) => chat.close(actor, sessionId, reason))],
    [
      'session:transfer',
      event(schemas.operatorTransfer, (actor, { sessionId, operatorId: to, department }: SessionRef & { operatorId?: number; department?: string }) =>
        chat.transfer(actor, sessionId, { operatorId: to, department }),
      ),
    ],
  ]);

  nsp.use(authenticateSocket(auth, 'operator', logger));
  nsp.on('connection', (socket) => {
    const actor = socket.data.actor as OperatorActor;
    const { operatorId } = actor;
    void socket.join([rooms.operator(operatorId), rooms.operators]);
    track(presence.connected(operatorId), 'presence update');
    track(
      operators.get(operatorId).then((operator) => {
        if (operator.status === 'online') void socket.join(rooms.queue);
      }),
      'joining the queue room on connect',
    );
    logger.info({ namespace: 'operator', operatorId, socketId: socket.id }, 'socket connected');
    socket.on('disconnect', (reason) => {
      logger.info({ namespace: 'operator', operatorId, socketId: socket.id, reason }, 'socket disconnected');
      track(presence.disconnected(operatorId), 'presence update');
    });

    serveEvents<OperatorActor>(socket, actor, events, logger);
  });
}
