import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

/**
 * Benchmark child: the floor to compare with. A bare Express app whose one handler answers the same JSON body
 * as our GET /api/operators/available (serialised per request, as ours is), with no middleware at all.
 */
const body: unknown = JSON.parse(process.env.BENCH_BARE_BODY ?? '{}');
const app = express();
app.get('/api/operators/available', (_req, res) => {
  res.json(body);
});

const server = http.createServer(app);
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port }));

const stop = (): void => {
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
