import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import { Server, type Socket } from 'socket.io';

/**
 * Benchmark child for `bench:realtime`: the floor to compare with. A bare Socket.IO server with our two
 * namespaces and room layout that stores nothing and checks nothing: a customer socket names its session
 * and operator in the handshake (`auth: { sessionId, operatorId }`), joins the session's room, and on
 * `message:send` the relay emits `message:new` to the session's room and to the operator's room (as our
 * NotificationService does), then acks; `messages:sync` is acked with nothing (the reconnect storm's round trip).
 * It listens on BENCH_RELAY_PORT (any free port by default). With BENCH_RELAY_REDIS_URL set it uses the same Redis adapter as our
 * server (each broadcast is published to Redis), otherwise Socket.IO's in-memory adapter.
 */
const redisUrl = process.env.BENCH_RELAY_REDIS_URL;
const httpServer = http.createServer();
// The same cap as our server's (MAX_MESSAGE_LENGTH 5000 × 4 bytes + 4 KB).
const io = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 5000 * 4 + 4 * 1024 });

let pub: Redis | null = null;
let sub: Redis | null = null;
if (redisUrl) {
  pub = new Redis(redisUrl);
  sub = new Redis(redisUrl);
  io.adapter(createAdapter(pub, sub, { key: `${process.env.BENCH_RELAY_REDIS_PREFIX ?? 'bench-relay:'}socket.io` }));
}

const customers = io.of('/customer');
const operators = io.of('/operator');
let nextId = 0;

interface Handshake {
  sessionId?: unknown;
  operatorId?: unknown;
}
const handshake = (socket: Socket): Handshake => (socket.handshake.auth ?? {}) as Handshake;

customers.use((socket, next) => {
  const { sessionId, operatorId } = handshake(socket);
  if (typeof sessionId !== 'string' || typeof operatorId !== 'number') return next(new Error('UNAUTHENTICATED'));
  socket.data = { sessionId, operatorId };
  next();
});
customers.on('connection', (socket) => {
  const { sessionId, operatorId } = socket.data as { sessionId: string; operatorId: number };
  void socket.join(`session:${sessionId}`);
  socket.on('message:send', (payload: { content?: unknown; clientMessageId?: unknown; type?: unknown } | undefined, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const message = {
      id: ++nextId,
      sessionId,
      senderType: 'customer',
      senderId: null,
      type: typeof payload?.type === 'string' ? payload.type : 'text',
      content: payload?.content,
      clientMessageId: payload?.clientMessageId,
      createdAt: new Date().toISOString(),
      readAt: null,
    };
    customers.to(`session:${sessionId}`).emit('message:new', { message });
    operators.to(`operator:${operatorId}`).emit('message:new', { message });
    (ack as (reply: unknown) => void)({ ok: true, data: message });
  });
  // The reconnect storm's round trip after each reconnection: nothing is stored, so nothing is missed.
  socket.on('messages:sync', (_payload: unknown, ack: unknown) => {
    if (typeof ack === 'function') (ack as (reply: unknown) => void)({ ok: true, data: { messages: [] } });
  });
});

operators.use((socket, next) => {
  const { operatorId } = handshake(socket);
  if (typeof operatorId !== 'number') return next(new Error('UNAUTHENTICATED'));
  socket.data = { operatorId };
  next();
});
operators.on('connection', (socket) => {
  void socket.join(`operator:${(socket.data as { operatorId: number }).operatorId}`);
});

const ready = (client: Redis | null): Promise<unknown> => (client && client.status !== 'ready' ? new Promise((resolve) => client.once('ready', resolve)) : Promise.resolve());
void Promise.all([ready(pub), ready(sub)]).then(() =>
  httpServer.listen(Number(process.env.BENCH_RELAY_PORT ?? 0), '127.0.0.1', () => process.send?.({ type: 'listening', port: (httpServer.address() as AddressInfo).port })),
);

// Stopping closes every transport, as our server's graceful stop does: a client that loses its transport
// reconnects by itself (the reconnect storm), one told "io server disconnect" would stay away.
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  io.engine.close();
  httpServer.close();
  pub?.disconnect();
  sub?.disconnect();
  setTimeout(() => process.exit(0), 200).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

// CPU time and memory, asked by the parent over IPC (a GC first when run with --expose-gc).
process.on('message', (message: { type?: string }) => {
  if (message.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
  if (message.type === 'memory') {
    global.gc?.();
    global.gc?.();
    process.send?.({ type: 'memory', usage: process.memoryUsage() });
  }
});
