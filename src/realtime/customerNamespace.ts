import type { Logger } from 'pino';
import type { TranscriptService } from '../../services/mail/TranscriptService';
import type { RateLimiters, SessionBucket } from '../../middleware/rateLimits';
import type { Schemas } from '../../middleware/schemas';
import { access, type CustomerActor } from '../../services/access';
import type { CustomerClientEvents } from '../../services/contract';
import { RateLimitedError } from '../../services/errors';
import type { MessageService, PostMessageInput } from '../../services/messages/MessageService';
import type { ChatService } from '../../services/sessions/ChatService';
import type { SessionDirectory } from '../../services/sessions/SessionDirectory';
import { authenticateSocket, type SocketAuthenticator } from './auth';
import { rooms, type CustomerNamespace } from './events';
import { event, eventTable, serveEvents, tracker, type EventSpec } from './handler';

export interface NamespaceDeps {
  logger: Logger;
  schemas: Schemas;
  auth: SocketAuthenticator;
  chat: ChatService;
  messages: MessageService;
  sessions: SessionDirectory;
  /** RATE_LIMIT_MESSAGES_PER_10_SECONDS (0: none) per session, every socket and REST together (middleware/rateLimits.ts). */
  sessionBuckets: RateLimiters['sessionBuckets'];
  /** Work a connection started (presence, what it is told on connect); awaited on shutdown before the database closes. */
  pending: Set<Promise<void>>;
  transcripts: TranscriptService;
}

/** What a customer socket's events act as and on: its one session. */
export interface CustomerContext {
  actor: CustomerActor;
  sessionId: string;
}

/** Every /customer event is its own session's customer's (the socket is bound to it). */
const own = access.sessionCustomer();

/** `/customer`'s events: every one the contract names, each with its access rule (the table refuses one without). */
export function customerEvents({ schemas, chat, messages, transcripts, sessionBuckets }: Pick<NamespaceDeps, 'schemas' | 'chat' | 'messages' | 'transcripts' | 'sessionBuckets'>): ReadonlyMap<string, EventSpec<CustomerContext>> {
  /** Counts the event in the session's bucket; over it, RATE_LIMITED with the seconds to wait. */
  const within = async (bucket: SessionBucket, sessionId: string, what: string): Promise<void> => {
    const wait = await bucket.take(sessionId);
    if (wait !== null) throw new RateLimitedError(wait, `Too many ${what}; slow down`);
  };
  return eventTable<CustomerContext, keyof CustomerClientEvents>('/customer', {
    'message:send': event(own, schemas.socketSend, async ({ actor, sessionId }, input: PostMessageInput) => {
      const wait = await sessionBuckets.messages.take(sessionId);
      if (wait !== null) return messages.retryOverLimit(actor, sessionId, input.clientMessageId, wait);
      return (await messages.postMessage(actor, sessionId, input)).message;
    }),
    'messages:sync': event(own, schemas.socketSync, async ({ actor, sessionId }, { afterId }: { afterId: number }) => ({
      messages: await messages.syncMessages(actor, sessionId, afterId),
    })),
    typing: event(own, schemas.socketTyping, async ({ actor, sessionId }, { isTyping }: { isTyping: boolean }) => {
      await within(sessionBuckets.signals, sessionId, 'typing and read marks');
      await messages.typing(actor, sessionId, isTyping);
    }),
    'messages:read': event(own, schemas.socketRead, async ({ actor, sessionId }, { upToId }: { upToId: number }) => {
      await within(sessionBuckets.signals, sessionId, 'typing and read marks');
      await messages.markRead(actor, sessionId, upToId);
    }),
    'session:close': event(own, schemas.socketClose, ({ actor, sessionId }, { reason }: { reason?: string }) => chat.close(actor, sessionId, reason)),
    'session:rate': event(own, schemas.socketRate, ({ actor, sessionId }, { rating, comment }: { rating: number; comment?: string }) => chat.rate(actor, sessionId, rating, comment)),
    'session:transcript': event(own, schemas.socketTranscript, ({ actor, sessionId }) => transcripts.send(actor, sessionId)),
  });
}

/** `/customer`: each socket is bound to its one session and sits in that session's room. */
export function registerCustomerNamespace(nsp: CustomerNamespace, deps: NamespaceDeps): void {
  const { logger, auth, chat, sessions, pending } = deps;
  const track = tracker(pending, logger);
  const events = customerEvents(deps);
  nsp.use(authenticateSocket(auth, 'customer', logger));
  nsp.on('connection', (socket) => {
    const { actor } = socket.data;
    if (actor.kind !== 'customer') return;
    const { sessionId } = actor;
    void socket.join(rooms.session(sessionId));
    logger.info({ namespace: 'customer', sessionId, socketId: socket.id }, 'socket connected');
    socket.on('disconnect', (reason) => logger.info({ namespace: 'customer', sessionId, socketId: socket.id, reason }, 'socket disconnected'));

    track(
      chat.queuePlace(actor, sessionId).then(async (position) => {
        if (position !== null) socket.emit('session:queued', { position, waiting: await sessions.waitingCount(actor) });
      }),
      'the queue position on connect',
    );

    serveEvents<CustomerContext>(socket, { actor, sessionId }, events, logger);
  });
}
