import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';
import type { Config } from '../../config';
import type { Schemas } from '../../middleware/schemas';
import type { CustomerActor } from '../../services/access';
import type { AuthService } from '../../services/operators/AuthService';
import type { ChatService, PostMessageInput } from '../../services/sessions/ChatService';
import { RateLimitedError } from '../../services/errors';
import { authenticateSocket } from './auth';
import { rooms } from './events';
import { WindowLimiter, event, serveEvents, tracker, type EventSpec } from './handler';

export interface NamespaceDeps {
  config: Config;
  logger: Logger;
  schemas: Schemas;
  auth: AuthService;
  chat: ChatService;
  /** Work a connection started (presence, what it is told on connect); awaited on shutdown before the database closes. */
  pending: Set<Promise<void>>;
}

/** What a customer socket's events act as and on: its one session, and its own message rate. */
interface CustomerContext {
  actor: CustomerActor;
  sessionId: string;
  messages: WindowLimiter;
}

/** `/customer`: each socket is bound to its one session and sits in that session's room. */
export function registerCustomerNamespace(nsp: Namespace, deps: NamespaceDeps): void {
  const { config, logger, schemas, auth, chat, pending } = deps;
  const track = tracker(pending, logger);
  const events = new Map<string, EventSpec<CustomerContext>>([
    [
      'message:send',
      event(schemas.socketSend, async ({ actor, sessionId, messages }, input: PostMessageInput) => {
        if (!messages.take()) throw new RateLimitedError(10, 'Too many messages; slow down');
        return (await chat.postMessage(actor, sessionId, input)).message;
      }),
    ],
    [
      'messages:sync',
      event(schemas.socketSync, async ({ actor, sessionId }, { afterId }: { afterId: number }) => ({
        messages: await chat.syncMessages(actor, sessionId, afterId),
      })),
    ],
    ['typing', event(schemas.socketTyping, ({ actor, sessionId }, { isTyping }: { isTyping: boolean }) => chat.typing(actor, sessionId, isTyping))],
    [
      'messages:read',
      event(schemas.socketRead, async ({ actor, sessionId }, { upToId }: { upToId: number }) => {
        await chat.markRead(actor, sessionId, upToId);
      }),
    ],
    ['session:close', event(schemas.socketClose, ({ actor, sessionId }, { reason }: { reason?: string }) => chat.close(actor, sessionId, reason))],
    [
      'session:rate',
      event(schemas.socketRate, ({ actor, sessionId }, { rating, comment }: { rating: number; comment?: string }) => chat.rate(actor, sessionId, rating, comment)),
    ],
  ]);
  nsp.use(authenticateSocket(auth, 'customer', logger));
  nsp.on('connection', (socket) => {
    const actor = socket.data.actor as CustomerActor;
    const { sessionId } = actor;
    void socket.join(rooms.session(sessionId));
    logger.info({ namespace: 'customer', sessionId, socketId: socket.id }, 'socket connected');
    socket.on('disconnect', (reason) => logger.info({ namespace: 'customer', sessionId, socketId: socket.id, reason }, 'socket disconnected'));

    track(
      chat.getSession(actor, sessionId).then(async (session) => {
        if (session.status === 'waiting' && session.queuePosition !== undefined) {
          socket.emit('session:queued', { position: session.queuePosition, waiting: await chat.waitingCount() });
        }
      }),
      'the queue position on connect',
    );

    serveEvents<CustomerContext>(socket, { actor, sessionId, messages: new WindowLimiter(config.rateLimitMessagesPer10Seconds, 10_000) }, events, logger);
  });
}
