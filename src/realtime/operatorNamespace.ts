import { access, type OperatorActor } from '../../services/access';
import type { OperatorClientEvents, OperatorStatus } from '../../services/contract';
import type { PostMessageInput } from '../../services/messages/MessageService';
import type { OperatorService } from '../../services/operators/OperatorService';
import type { PresenceService } from '../../services/operators/PresenceService';
import { authenticateSocket } from './auth';
import type { NamespaceDeps } from './customerNamespace';
import { rooms, type OperatorNamespace, type OperatorSocket } from './events';
import type { Viewers } from './viewers';
import { event, eventTable, serveEvents, tracker, type EventSpec } from './handler';

export interface OperatorNamespaceDeps extends NamespaceDeps {
  operators: OperatorService;
  presence: PresenceService;
  viewers: Viewers;
}

type SessionRef = { sessionId: string };

/** A socket's context is its operator, and the socket (it joins the rooms of the sessions it views). */
export interface OperatorContext {
  actor: OperatorActor;
  socket: OperatorSocket;
}

const staff = access.operator;

/** `/operator`'s events: every one the contract names, each with its access rule (the table refuses one without). */
export function operatorEvents({ schemas, chat, messages, operators, viewers }: Pick<OperatorNamespaceDeps, 'schemas' | 'chat' | 'messages' | 'operators' | 'viewers'>): ReadonlyMap<string, EventSpec<OperatorContext>> {
  return eventTable<OperatorContext, keyof OperatorClientEvents>('/operator', {
    'status:set': event(staff, schemas.socketStatus, ({ actor }, { status }: { status: OperatorStatus }) => operators.setStatus(actor, actor.operatorId, status)),
    'session:join': event(staff, schemas.socketSessionRef, ({ actor }, { sessionId }: SessionRef) => operators.join(actor, sessionId)),
    'message:send': event(staff, schemas.operatorSend, async ({ actor }, { sessionId, ...input }: SessionRef & PostMessageInput) => (await messages.postMessage(actor, sessionId, input)).message),
    'messages:sync': event(staff, schemas.operatorSync, async ({ actor }, { sessionId, afterId }: SessionRef & { afterId: number }) => ({
      messages: await messages.syncMessages(actor, sessionId, afterId),
    })),
    // `internal`: typing a note. The customer is not told; the colleagues are, as for a reply (session:viewers).
    typing: event(staff, schemas.operatorTyping, ({ actor, socket }, { sessionId, isTyping, internal }: SessionRef & { isTyping: boolean; internal?: boolean }) =>
      viewers.inOrder(socket, async () => {
        if (internal === true) await messages.noteTyping(actor, sessionId);
        else await messages.typing(actor, sessionId, isTyping);
        await viewers.set(socket, sessionId, { typing: isTyping });
      }),
    ),
    'messages:read': event(staff, schemas.operatorRead, async ({ actor }, { sessionId, upToId }: SessionRef & { upToId: number }) => {
      await messages.markRead(actor, sessionId, upToId);
    }),
    'session:close': event(staff, schemas.operatorClose, ({ actor }, { sessionId, reason }: SessionRef & { reason?: string }) => chat.close(actor, sessionId, reason)),
    'session:transfer': event(staff, schemas.operatorTransfer, ({ actor }, { sessionId, operatorId: to, department }: SessionRef & { operatorId?: number; department?: string }) =>
      chat.transfer(actor, sessionId, { operatorId: to, department }),
    ),
    'session:viewing': event(staff, schemas.operatorViewing, ({ actor, socket }, { sessionId, viewing }: SessionRef & { viewing: boolean }) =>
      viewers.inOrder(socket, async () => {
        // Only an open needs the session to exist: closing one always works, whatever the database is doing.
        if (viewing) await chat.getSession(actor, sessionId);
        await viewers.set(socket, sessionId, { viewing });
      }),
    ),
  });
}

/** `/operator`: an operator's sockets share a room; online operators also share the queue room. */
export function registerOperatorNamespace(nsp: OperatorNamespace, deps: OperatorNamespaceDeps): void {
  const { logger, auth, operators, presence, pending, viewers } = deps;
  const track = tracker(pending, logger);
  const events = operatorEvents(deps);

  nsp.use(authenticateSocket(auth, 'operator', logger));
  nsp.on('connection', (socket) => {
    const { actor } = socket.data;
    if (actor.kind !== 'operator') return;
    const { operatorId } = actor;
    void socket.join([rooms.operator(operatorId), rooms.operators]);
    track(presence.connected(operatorId), 'presence update');
    track(
      operators.get(actor, operatorId).then((operator) => {
        if (operator.status === 'online') void socket.join(rooms.queue);
      }),
      'joining the queue room on connect',
    );
    logger.info({ namespace: 'operator', operatorId, socketId: socket.id }, 'socket connected');
    socket.on('disconnecting', () => viewers.leaving(socket));
    socket.on('disconnect', (reason) => {
      logger.info({ namespace: 'operator', operatorId, socketId: socket.id, reason }, 'socket disconnected');
      track(presence.disconnected(operatorId), 'presence update');
    });

    serveEvents<OperatorContext>(socket, { actor, socket }, events, logger);
  });
}
