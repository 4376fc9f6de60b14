import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';
import type { Config } from '../../config';
import type { Schemas } from '../../middleware/schemas';
import type { AuthService } from '../../services/AuthService';
import type { ChatService, PostMessageInput } from '../../services/ChatService';
import { RateLimitedError } from '../errors';
import { authenticateSocket } from './auth';
import { rooms } from './events';
import { WindowLimiter, onEvent } from './handler';

export interface NamespaceDeps {
  config: Config;
  logger: Logger;
  schemas: Schemas;
  auth: AuthService;
  chat: ChatService;
}

/** `/customer`: each socket is bound to its one session and sits in that session's room. */
export function registerCustomerNamespace(nsp: Namespace, deps: NamespaceDeps): void {
  const { config, logger, schemas, auth, chat } = deps;
  nsp.use(authenticateSocket(auth, 'customer'));
  nsp.on('connection', (socket) => {
    const actor = socket.data.actor as { kind: 'customer'; sessionId: string };
    const { sessionId } = actor;
    void socket.join(rooms.session(sessionId));
    logger.info({ namespace: 'customer', sessionId, socketId: socket.id }, 'socket connected');
    socket.on('disconnect', (reason) => logger.info({ namespace: 'customer', sessionId, socketId: socket.id, reason }, 'socket disconnected'));

    void chat.getSession(actor, sessionId).then(
      async (session) => {
        if (session.status === 'waiting' && session.queuePosition !== undefined) {
          socket.emit('session:queued', { position: session.queuePosition, waiting: await chat.waitingCount() });
        }
      },
      (error: unknown) => logger.warn({ err: error, sessionId }, 'could not send the queue position on connect'),
    );

    const messages = new WindowLimiter(config.rateLimitMessagesPer10Seconds, 10_000);
    onEvent<PostMessageInput>(socket, 'message:send', schemas.socketSend, logger, async (input) => {
      if (!messages.take()) throw new RateLimitedError(10, 'Too many messages; slow down');
      return (await chat.postMessage(actor, sessionId, input)).message;
    });
    onEvent<{ afterId: number }>(socket, 'messages:sync', schemas.socketSync, logger, async ({ afterId }) => ({
      messages: await chat.syncMessages(actor, sessionId, afterId),
    }));
    onEvent<{ isTyping: boolean }>(socket, 'typing', schemas.socketTyping, logger, ({ isTyping }) => chat.typing(actor, sessionId, isTyping));
    onEvent<{ upToId: number }>(socket, 'messages:read', schemas.socketRead, logger, async ({ upToId }) => {
      await chat.markRead(actor, sessionId, upToId);
    });
    onEvent<{ reason?: string }>(socket, 'session:close', schemas.socketClose, logger, ({ reason }) => chat.close(actor, sessionId, reason));
    onEvent<{ rating: number; comment?: string }>(socket, 'session:rate', schemas.socketRate, logger, ({ rating, comment }) =>
      chat.rate(actor, sessionId, rating, comment),
    );
  });
}
