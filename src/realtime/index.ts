import type http from 'node:http';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type Redis from 'ioredis';
import type { Config } from '../../config';
import { closeRedis, createRedis } from '../../config/redis';
import type { RateLimiters } from '../../middleware/rateLimits';
import type { Schemas } from '../../middleware/schemas';
import type { MessageService } from '../../services/messages/MessageService';
import type { ChatService } from '../../services/sessions/ChatService';
import type { SessionDirectory } from '../../services/sessions/SessionDirectory';
import type { OperatorService } from '../../services/operators/OperatorService';
import type { PresenceService } from '../../services/operators/PresenceService';
import { corsOrigin, originAllowed } from '../http/cors';
import type { SocketAuthenticator } from './auth';
import { registerCustomerNamespace } from './customerNamespace';
import type { TranscriptService } from '../../services/mail/TranscriptService';
import { rooms, type ChatIo, type CustomerNamespace, type OperatorNamespace } from './events';
import { registerOperatorNamespace } from './operatorNamespace';
import { Peers } from './peers';
import { roomAudience } from './rooms';
import { Viewers } from './viewers';
import type { Audience } from '../../services/events/NotificationService';
import { SYSTEM } from '../../services/access';

export interface RealtimeDeps {
  config: Config;
  logger: Logger;
  schemas: Schemas;
  auth: SocketAuthenticator;
  chat: ChatService;
  messages: MessageService;
  sessions: SessionDirectory;
  operators: OperatorService;
  presence: PresenceService;
  transcripts: TranscriptService;
  /** A customer's messages, typing and read marks, counted per session with REST's (middleware/rateLimits.ts). */
  sessionBuckets: RateLimiters['sessionBuckets'];
}

export interface Realtime {
  io: ChatIo;
  customers: CustomerNamespace;
  operators: OperatorNamespace;
  /** Connects the adapter's Redis clients (when Redis is configured). */
  start(): Promise<void>;
  /** Where the NotificationService sends: this layer's rooms, silent once closing. */
  audience: Audience;
  /** Disconnects every socket and waits for their presence updates (shutdown, first step). */
  disconnectAll(): Promise<void>;
  /** Closes the adapter's Redis clients (shutdown, after disconnectAll and once nothing emits any more). */
  close(): Promise<void>;
  /** Whether a session's customer has a live socket on any process (replies by email wait while they do). */
  customerConnected(sessionId: string): Promise<boolean>;
}

/** How long start() waits for this process's hello to the others (peers.ts) before serving anyway. */
const ANNOUNCE_WAIT_MS = 2_000;

/** How long a connection refused for the per-IP cap stays open for its refusal to reach the client. */
const REFUSAL_FLUSH_MS = 200;
/** How long a connection over the per-IP cap is kept at most, refused or not (a namespace handshake takes less). */
const OVER_CAP_CLOSE_MS = 2_000;

/** Room and handshake overhead on top of the largest message a client may send. */
const PACKET_OVERHEAD_BYTES = 4 * 1024;

/**
 * Socket.IO on the HTTP server: `/customer` and `/operator`. With Redis, the Redis pub/sub adapter makes
 * every process's rooms one: a customer on one process and an operator on another hear each other.
 */
export function createRealtime(httpServer: http.Server, deps: RealtimeDeps): Realtime {
  const { config, logger } = deps;
  const origins = corsOrigin(config.corsOrigins);
  let accepting = true;
  const io: ChatIo = new Server(httpServer, {
    // A message of MAX_MESSAGE_LENGTH characters of up to 4 bytes each, not the 1 MB default.
    maxHttpBufferSize: config.maxMessageLength * 4 + PACKET_OVERHEAD_BYTES,
    cors: { origin: origins === false ? [] : origins },
    // Once stopping, no new handshake: a client reconnecting at that moment must go to a process that stays.
    allowRequest: (req, callback) => callback(null, accepting && originAllowed(req.headers.origin, req.headers.host, config.corsOrigins)),
    serveClient: false,
    // Clustered without sticky sessions, a long-polling client would be refused at random (its requests reach
    // processes that never saw its handshake): refuse it at once instead, with engine.io's "Transport unknown".
    transports: config.clusterInstances > 1 ? ['websocket'] : ['polling', 'websocket'],
  });

  const connectionsPerIp = new Map<string, number>();
  /** Connections past MAX_CONNECTIONS_PER_IP: their namespace handshake is refused with RATE_LIMITED, then they close. */
  const overCap = new WeakSet<object>();
  io.engine.on('connection', (socket: { remoteAddress: string; on(event: 'close', listener: () => void): void; close(): void }) => {
    const ip = socket.remoteAddress;
    const count = (connectionsPerIp.get(ip) ?? 0) + 1;
    connectionsPerIp.set(ip, count);
    socket.on('close', () => {
      const left = (connectionsPerIp.get(ip) ?? 1) - 1;
      if (left <= 0) connectionsPerIp.delete(ip);
      else connectionsPerIp.set(ip, left);
    });
    if (config.maxConnectionsPerIp > 0 && count > config.maxConnectionsPerIp) {
      logger.warn({ ip, count }, 'too many connections from one address; refusing');
      overCap.add(socket);
      // A connection that never asks for a namespace is not held either.
      setTimeout(() => socket.close(), OVER_CAP_CLOSE_MS).unref();
    }
  });
  const capped = (socket: { conn: { close(): void } }, next: (error?: Error) => void): void => {
    if (!overCap.has(socket.conn)) return next();
    // Told why (never a silent close), then let go once the refusal has left.
    next(new Error('RATE_LIMITED'));
    setTimeout(() => socket.conn.close(), REFUSAL_FLUSH_MS).unref();
  };

  // Packets queued for a socket while its previous write was under way leave in one flush, a frame each: the
  // socket is corked until the end of the tick, so they go out as one write rather than one syscall per frame
  // (the costliest step per message on this path). A WebSocket that was one from the start writes to its
  // upgrade request's socket; for any other transport this corks a socket the flush does not write to.
  io.engine.on('flush', (socket: { request: http.IncomingMessage }, packets: unknown[]) => {
    if (packets.length < 2) return;
    const raw = socket.request.socket;
    raw.cork();
    process.nextTick(() => raw.uncork());
  });

  let pub: Redis | null = null;
  let sub: Redis | null = null;
  if (config.redis) {
    // The adapter's clients queue commands while reconnecting: a broadcast must not be dropped on a blip.
    pub = createRedis(config.redis, { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    // A subscriber sends almost nothing; pipelining is for the publishing side.
    sub = pub.duplicate({ enableAutoPipelining: false });
    for (const client of [pub, sub]) {
      client.on('error', (error: Error) => logger.debug({ err: error.message }, 'socket.io adapter redis error'));
      settleRefusals(client);
    }
    io.adapter(createAdapter(pub, sub, { key: `${config.redis.keyPrefix}socket.io` }));
  }

  // Clients belong in /customer or /operator; the root namespace, which Socket.IO always opens, takes nobody.
  io.of('/').use((_socket, next) => next(new Error('NOT_FOUND')));
  const customers: CustomerNamespace = io.of('/customer');
  const operators: OperatorNamespace = io.of('/operator');
  const pending = new Set<Promise<void>>();
  let open = true;
  customers.use(capped);
  operators.use(capped);
  const peers = sub ? new Peers(customers, sub, logger) : null;
  // A session's holder, who hears of its viewers whether viewing or not (a read as the server itself).
  const holderOf = async (sessionId: string): Promise<number | null> => (await deps.chat.getSession(SYSTEM, sessionId)).operatorId;
  const viewers = new Viewers(operators, holderOf, logger);
  const namespaceDeps = { ...deps, pending, viewers };
  registerCustomerNamespace(customers, namespaceDeps);
  registerOperatorNamespace(operators, namespaceDeps);
  const audience = roomAudience(customers, operators, { isOpen: () => open, hasPeers: () => peers?.present ?? false });

  return {
    io,
    customers,
    operators,
    async customerConnected(sessionId) {
      return (await customers.in(rooms.session(sessionId)).fetchSockets()).length > 0;
    },
    async start() {
      await Promise.all([pub, sub].map((client) => client?.connect().catch((error: Error) => logger.warn({ err: error.message }, 'socket.io adapter: redis unreachable at start'))));
      if (peers) {
        peers.start();
        // Serve once the other processes know of this one (a Redis that is down only delays it, briefly: until
        // this process is announced, every process assumes it has peers).
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([peers.announced, new Promise((resolve) => (timer = setTimeout(resolve, ANNOUNCE_WAIT_MS)))]);
        clearTimeout(timer);
      }
    },
    async disconnectAll() {
      // Every connection of this process (any namespace, or none: an upgraded socket left open would hold
      // the HTTP server's close forever), and only this process's (a disconnectSockets()
      // through the Redis adapter would end every process's). By closing transports rather than saying
      // goodbye: a client told "io server disconnect" stays away, one that loses its transport reconnects by
      // itself, to a process that is still serving (pm2 reload, a rolling restart), and syncs what it missed.
      accepting = false;
      io.engine.close();
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all([...pending]);
    },
    audience,
    async close() {
      // What this tick told still reaches the other processes, before the adapter's clients go.
      audience.flush();
      open = false;
      peers?.stop();
      // Ended for good, also while Redis is down: a client left reconnecting would knock on its port for ever.
      await Promise.all([pub, sub].map((client) => client && closeRedis(client)));
    },
  };
}

/**
 * The adapter sends its (p)subscribe and publish commands without handling a refusal. Queued while Redis is down,
 * they are refused when the client is closed, which would surface as unhandled rejections on shutdown: each
 * is marked handled here (the adapter's 'error' path and the client's reconnects are what report Redis trouble).
 */
function settleRefusals(client: Redis): void {
  for (const name of ['subscribe', 'psubscribe', 'publish'] as const) {
    // ioredis overloads these methods; the wrapper passes whatever they are given straight through.
    const send = client[name].bind(client) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(client, {
      [name]: (...args: unknown[]) => {
        const reply = send(...args);
        reply.catch(() => undefined);
        return reply;
      },
    });
  }
}
