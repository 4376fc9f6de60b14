import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { buildCompiledServer, spawnServer, type ServerProcess } from '../helpers/compiledServer';
import { io } from 'socket.io-client';
import { createAdmin, createSession } from '../helpers/api';
import { within } from '../helpers/wait';
import { sqliteBackend } from '../helpers/backends';
import { startTestServer, type TestServer } from '../helpers/testServer';

/** Lines a stack trace is made of ("    at Foo (file.js:1:2)"). */
const STACK_LINE = /^\s*at\s/;

const lines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

describe('the compiled server (node dist/bin/www.js)', () => {
  let entry: string;
  let workDir: string;
  const started: ServerProcess[] = [];

  beforeAll(async () => {
    entry = await buildCompiledServer();
    // Run where no .env lies around, as a fresh checkout would.
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-startup-'));
  }, 180_000);

  afterAll(() => {
    for (const server of started) server.kill();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  function run(env: Record<string, string>): ServerProcess {
    const server = spawnServer(entry, { LOG_LEVEL: 'info', ...env }, workDir);
    started.push(server);
    return server;
  }

  /** Starts with a configuration it must refuse; returns its exit and the lines it printed. */
  async function refused(env: Record<string, string>) {
    const server = run(env);
    const exit = await within(server.exited, 10_000, 'exit on a bad configuration');
    return { exit, stderr: lines(server.stderr()), stdout: server.stdout() };
  }

  it('PORT=abc: exits 1 with one line naming PORT, no stack trace, never listens', async () => {
    const { exit, stderr, stdout } = await refused({ PORT: 'abc' });
    expect(exit.code).toBe(1);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/PORT/);
    expect(stderr[0]).toContain('abc');
    expect(stderr.filter((line) => STACK_LINE.test(line))).toEqual([]);
    expect(stdout).not.toContain('chat server listening');
  });

  it('DB_DIALECT=oracle: exits 1 with one line naming DB_DIALECT, no stack trace', async () => {
    const { exit, stderr } = await refused({ DB_DIALECT: 'oracle', PORT: '0' });
    expect(exit.code).toBe(1);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/DB_DIALECT/);
    expect(stderr[0]).toContain('oracle');
    expect(stderr.filter((line) => STACK_LINE.test(line))).toEqual([]);
  });

  it('several bad values: exactly one line for each, every one naming its variable', async () => {
    const { exit, stderr } = await refused({ PORT: '70000', DB_DIALECT: 'mysql', DB_HOST: '127.0.0.1', JWT_SECRET: 'short', ASSIGNMENT_STRATEGY: 'random' });
    expect(exit.code).toBe(1);
    // PORT, DB_NAME and DB_USER (half a MySQL config), JWT_SECRET, ASSIGNMENT_STRATEGY.
    expect(stderr).toHaveLength(5);
    for (const name of ['PORT', 'DB_NAME', 'DB_USER', 'JWT_SECRET', 'ASSIGNMENT_STRATEGY']) {
      expect(stderr.filter((line) => line.includes(name))).toHaveLength(1);
    }
    expect(stderr.filter((line) => STACK_LINE.test(line))).toEqual([]);
  });

  it('a SQLite file that cannot be opened, or whose folder cannot be made: exits 1 with one line naming it, no stack trace', async () => {
    for (const [storage, named] of [
      ['/proc/chat-startup.sqlite', '/proc/chat-startup.sqlite'],
      ['/sys/chat-startup/chat.sqlite', '/sys/chat-startup'],
    ]) {
      const { exit, stderr } = await refused({ PORT: '0', DB_STORAGE: storage as string });
      expect({ storage, code: exit.code, lines: stderr.length }).toEqual({ storage, code: 1, lines: 1 });
      expect(stderr[0]).toMatch(/could not start/);
      expect(stderr[0]).toContain(named);
      expect(stderr.filter((line) => STACK_LINE.test(line))).toEqual([]);
    }
  });

  it('an unreachable database: exits 1 with one line saying why, no stack trace', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const { exit, stderr } = await refused({ PORT: '0', DB_HOST: '127.0.0.1', DB_PORT: String(closedPort), DB_NAME: 'chat', DB_USER: 'chat' });
    expect(exit.code).toBe(1);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/could not start/);
    expect(stderr[0]).toMatch(/ECONNREFUSED/);
    expect(stderr.filter((line) => STACK_LINE.test(line))).toEqual([]);
  });

  it('stops cleanly on SIGTERM: exit 0 within 10 s, "chat server stopped" logged once, even on a second signal', async () => {
    const storage = path.join(workDir, 'graceful.sqlite');
    const server = run({ PORT: '0', DB_STORAGE: storage });
    const listening = await server.waitForLog((line) => line.msg === 'chat server listening');
    const port = Number(listening.port);
    expect(port).toBeGreaterThan(0);

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ success: true, data: { status: 'ok' } });

    const signalled = Date.now();
    server.child.kill('SIGTERM');
    server.child.kill('SIGTERM');
    const exit = await within(server.exited, 10_000, 'exit after SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(server.logs().filter((line) => line.msg === 'chat server stopped')).toHaveLength(1);
    expect(server.stderr()).toBe('');
    // The port is free again: nothing kept listening.
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('starts again on the same SQLite file without re-migrating, and stops on SIGINT too', async () => {
    const storage = path.join(workDir, 'restart.sqlite');
    const first = run({ PORT: '0', DB_STORAGE: storage });
    await first.waitForLog((line) => line.msg === 'chat server listening');
    expect(first.logs().find((line) => line.msg === 'migrations applied')).toBeDefined();
    first.child.kill('SIGTERM');
    expect((await within(first.exited, 10_000, 'first exit')).code).toBe(0);

    const second = run({ PORT: '0', DB_STORAGE: storage });
    const listening = await second.waitForLog((line) => line.msg === 'chat server listening');
    expect(second.logs().find((line) => line.msg === 'migrations applied')).toBeUndefined();
    const ready = await fetch(`http://127.0.0.1:${Number(listening.port)}/ready`);
    expect(ready.status).toBe(200);
    second.child.kill('SIGINT');
    expect(await within(second.exited, 10_000, 'exit after SIGINT')).toEqual({ code: 0, signal: null });
    expect(second.logs().filter((line) => line.msg === 'chat server stopped')).toHaveLength(1);
  });

  it('a first start on an empty database leaves a console password beside it, never in the log; production never does', async () => {
    const dir = fs.mkdtempSync(path.join(workDir, 'first-run-'));
    const storage = path.join(dir, 'chat.sqlite');
    const passwordFile = path.join(dir, 'first-run-admin.txt');
    const firstRun = (msg: unknown): boolean => typeof msg === 'string' && msg.startsWith('first run:');
    const first = run({ PORT: '0', DB_STORAGE: storage });
    const listening = await first.waitForLog((line) => line.msg === 'chat server listening');
    expect(first.logs().filter((line) => firstRun(line.msg))).toHaveLength(1);
    const [email, password] = fs.readFileSync(passwordFile, 'utf8').trim().split('\n');
    expect(email).toBe('owner@example.com');
    expect(fs.statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(first.stdout()).not.toContain(password);
    const login = await fetch(`http://127.0.0.1:${Number(listening.port)}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(login.status).toBe(200);
    first.child.kill('SIGTERM');
    await within(first.exited, 10_000, 'first exit');

    const again = run({ PORT: '0', DB_STORAGE: storage });
    await again.waitForLog((line) => line.msg === 'chat server listening');
    expect(again.logs().filter((line) => firstRun(line.msg))).toEqual([]);
    again.child.kill('SIGTERM');
    await within(again.exited, 10_000, 'second exit');

    const productionDir = fs.mkdtempSync(path.join(workDir, 'production-'));
    const production = run({ PORT: '0', DB_STORAGE: path.join(productionDir, 'chat.sqlite'), NODE_ENV: 'production' });
    await production.waitForLog((line) => line.msg === 'chat server listening');
    expect(production.logs().filter((line) => firstRun(line.msg))).toEqual([]);
    expect(fs.existsSync(path.join(productionDir, 'first-run-admin.txt'))).toBe(false);
    production.child.kill('SIGTERM');
    await within(production.exited, 10_000, 'production exit');
  });
});

/** One raw HTTP/1.1 exchange on a socket we control, so a request can be held half-sent. */
function readResponse(socket: net.Socket): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      const headerEnd = data.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const headers = data.slice(0, headerEnd);
      const length = Number(/content-length:\s*(\d+)/i.exec(headers)?.[1] ?? NaN);
      const body = data.slice(headerEnd + 4);
      if (Buffer.byteLength(body) >= length) resolve({ status: Number(headers.split(' ')[1]), headers, body });
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed before a full response:\n${data}`)));
  });
}

describe('graceful stop of a running server (in process)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('ends every socket by closing its transport (clients reconnect elsewhere by themselves), any namespace, without waiting for the drain deadline', async () => {
    server = await startTestServer(sqliteBackend, { env: {} });
    const customer = await createSession(server.url);
    const admin = await createAdmin(server);
    const sockets = [
      io(`${server.url}/customer`, { auth: { token: customer.customerToken }, transports: ['websocket'], reconnection: false }),
      io(`${server.url}/operator`, { auth: { token: admin.token }, transports: ['websocket'], reconnection: false }),
    ];
    await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('connect', () => resolve(undefined)))));
    const reasons = sockets.map((socket) => new Promise<string>((resolve) => socket.once('disconnect', resolve)));
    const started = Date.now();
    await within(server.server.stop(), 10_000, 'stop');
    // The test server drains for 2 s at most; nothing here was in flight.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await Promise.all(reasons)).toEqual(['transport close', 'transport close']);
  });

  it('lets an in-flight request finish (answered 503 "shutting down" by /ready), refuses new connections meanwhile', async () => {
    server = await startTestServer(sqliteBackend);
    const { httpServer } = server.server;

    // A request whose headers have arrived but whose body has not: it is in flight until we send the rest.
    const socket = net.connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    const response = readResponse(socket);
    const received = once(httpServer, 'request');
    socket.write('GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{');
    await received;

    let stopped = false;
    const stopping = server.server.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stopped).toBe(false);

    // No new connection is accepted once stopping has begun.
    await expect(
      new Promise((resolve, reject) => http.get(`${server!.url}/health`, resolve).on('error', reject)),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    socket.write('}');
    const res = await within(response, 2_000, 'the in-flight request');
    expect(res.status).toBe(503);
    const body = JSON.parse(res.body) as { error: { code: string; details: Array<{ field: string; message: string }> } };
    expect(body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(body.error.details).toContainEqual({ field: 'server', message: 'shutting down' });

    // Once that request is answered nothing holds the stop: it does not wait for the drain deadline (2 s here).
    const answeredAt = Date.now();
    await within(stopping, 1_500, 'stop after the last request was answered');
    expect(Date.now() - answeredAt).toBeLessThan(1_000);
    socket.destroy();
  });

  it('does not wait for idle keep-alive connections', async () => {
    server = await startTestServer(sqliteBackend);
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(`${server!.url}/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
    const idle = await new Promise<number>((resolve) => server!.server.httpServer.getConnections((_e, n) => resolve(n)));
    expect(idle).toBe(1);

    const started = Date.now();
    await within(server.server.stop(), 1_500, 'stop with an idle keep-alive connection');
    expect(Date.now() - started).toBeLessThan(1_000);
    agent.destroy();
  });

  it('a request that never finishes is cut at the drain deadline, and stop still completes', async () => {
    server = await startTestServer(sqliteBackend);
    const socket = net.connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    const closed = once(socket, 'close');
    const received = once(server.server.httpServer, 'request');
    socket.write('GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    await received;

    const started = Date.now();
    await within(server.server.stop(), 5_000, 'stop with a stuck request');
    // The test server's drain deadline is 2 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    await within(closed, 1_000, 'the stuck connection being closed');
  });
});
