import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A private redis-server child process, for tests and benchmarks that stop, freeze, restart or empty Redis
 * (bench:soak; the cache and transfer tests): the shared Redis on 6379 is used by other work and must never be
 * touched that way. Nothing is persisted, so a restart comes back empty, like a Redis that lost its content.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-test-redis-'));

  private constructor(readonly port: number) {}

  static async start(port?: number): Promise<PrivateRedis> {
    const redis = await PrivateRedis.reserve(port);
    await redis.start();
    return redis;
  }

  /** Picks the port but does not start the server yet (a Redis that is down when the application starts). */
  static async reserve(port?: number): Promise<PrivateRedis> {
    return new PrivateRedis(port ?? (await freePort()));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts (or restarts) redis-server on this port and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.child) return;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', this.dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const spawnError = new Promise<never>((_resolve, reject) => child.once('error', reject));
    spawnError.catch(() => undefined);
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await Promise.race([this.answers(), spawnError])) return;
      if (this.child !== child || Date.now() > deadline) {
        this.kill();
        throw new Error(`redis-server did not start on port ${this.port}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** True when the server answers PING within a second (a raw socket: no client library timers left behind). */
  answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1');
      let reply = '';
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), 1_000);
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk: string) => {
        reply += chunk;
        if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
      });
      socket.on('error', () => done(false));
      socket.on('close', () => done(reply.startsWith('+PONG')));
    });
  }

  /** Kills it the way a crash would (SIGKILL) and waits until the process is gone. */
  async crash(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await gone;
  }

  /** Stops it the way a service manager does (SIGTERM) and waits until the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await gone;
  }

  /** Stopped and started again on the same port: every connection drops, and it comes back empty. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Freezes it (SIGSTOP): connections stay open but nothing answers, like a hung server or a dead network. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** A plain client of this server, for looking at what the application wrote. */
  client(): Redis {
    const client = new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    return client;
  }

  /** For afterAll: never leaves a redis-server behind. */
  kill(): void {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }

  cleanup(): void {
    this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
