import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import mysql from 'mysql2/promise';

/**
 * Benchmark child: the floor to compare with, a bare Express app with no middleware but the JSON body parser.
 * - GET /api/operators/available answers the same JSON body as ours (serialised per request, as ours is).
 * - POST /api/messages stores the posted message in the same MariaDB table with one mysql2 INSERT per request
 *   (BENCH_BARE_MYSQL: connection options as JSON; BENCH_BARE_SESSION: the session the rows belong to): no
 *   authentication, checks, grouping, idempotency or notification, just the row.
 */
const body: unknown = JSON.parse(process.env.BENCH_BARE_BODY ?? '{}');
const pool = process.env.BENCH_BARE_MYSQL ? mysql.createPool({ ...(JSON.parse(process.env.BENCH_BARE_MYSQL) as mysql.PoolOptions), connectionLimit: 10 }) : null;
const sessionId = process.env.BENCH_BARE_SESSION ?? '';
const app = express();
app.get('/api/operators/available', (_req, res) => {
  res.json(body);
});
app.post('/api/messages', express.json(), async (req, res) => {
  if (!pool) {
    res.status(503).json({ success: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'BENCH_BARE_MYSQL is not set' } });
    return;
  }
  const { content, clientMessageId } = req.body as { content: string; clientMessageId: string };
  const createdAt = new Date();
  const [result] = await pool.execute<mysql.ResultSetHeader>(
    'INSERT INTO chat_messages (session_id, sender_type, sender_id, type, content, client_message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [sessionId, 'operator', null, 'text', content, clientMessageId, createdAt],
  );
  res.status(201).json({ success: true, data: { id: result.insertId, sessionId, content, clientMessageId, createdAt } });
});

const server = http.createServer(app);
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port }));

const stop = (): void => {
  void pool?.end();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
// The parent asks for this process's CPU time around each run: CPU per request, whatever else loads the machine.
process.on('message', (message: { type?: string }) => {
  if (message.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
});
