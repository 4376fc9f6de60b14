import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';
import { bearer, createOperator, createSession, expectStatus, login } from '../helpers/api';
import { mariadbRedisBackend, type ProvisionedBackend } from '../helpers/backends';
import { REPO_ROOT, buildCompiledServer } from '../helpers/compiledServer';
import { startTestServer } from '../helpers/testServer';
import { sleep, waitFor } from '../helpers/wait';

/**
 * The deployment an ops team runs: ecosystem.config.js under pm2, two clustered processes on one MariaDB +
 * Redis. A conversation runs across them, then `pm2 reload` replaces both processes in the middle of a
 * message stream: every message must be stored once and reach the operator, with the clients doing only what
 * any Socket.IO client does (reconnect by itself, resend an unacknowledged message with the same id, sync).
 */
const real = process.env.TEST_MYSQL_AVAILABLE === '1' && process.env.TEST_REDIS_AVAILABLE === '1';
/** Messages the stream goes on sending once the reload has finished (it sends throughout the reload). */
const AFTER_RELOAD = 30;
const ADMIN = { email: 'pm2-admin@example.com', password: 'pm2-admin-password' };
const PM2 = path.join(REPO_ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

interface Message {
  id: number;
  clientMessageId: string | null;
  senderType: string;
  content: string;
}
type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The real ecosystem.config.js, read with this deployment's environment, as pm2 would read it. */
function ecosystemApp(env: Record<string, string>): Record<string, unknown> & { env: Record<string, string> } {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let config: { apps: Array<Record<string, unknown> & { env: Record<string, string> }> } | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the file pm2 loads is CommonJS, read fresh
      config = require(path.join(REPO_ROOT, 'ecosystem.config.js'));
    });
    return config!.apps[0]!;
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

(real ? describe : describe.skip)('pm2 cluster (ecosystem.config.js, 2 processes, MariaDB + Redis)', () => {
  let provisioned: ProvisionedBackend;
  let home: string;
  let url: string;
  let appName: string;

  const pm2 = (...args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, [PM2, ...args], { cwd: home, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, PM2_HOME: home }, timeout: 120_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`pm2 ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      });
    });
  const processes = async (): Promise<Array<{ pid: number; status: string }>> =>
    (JSON.parse(await pm2('jlist')) as Array<{ name: string; pid: number; pm2_env: { status: string } }>)
      .filter((p) => p.name === appName)
      .map((p) => ({ pid: p.pid, status: p.pm2_env.status }));

  beforeAll(async () => {
    const entry = await buildCompiledServer();
    provisioned = await mariadbRedisBackend.provision();
    // The schema and the first admin, made once before the cluster starts (as `npm run db:init` would).
    const setup = await startTestServer(mariadbRedisBackend, { provisioned, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    await setup.close();

    home = mkdtempSync(path.join(os.tmpdir(), 'chat-pm2-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const deployment = {
      ...provisioned.env,
      PORT: String(port),
      JWT_SECRET: 'pm2-test-secret-that-is-long-enough-for-hs256',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MESSAGES_PER_10_SECONDS: '0',
      RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
      RATE_LIMIT_LOGINS_PER_MINUTE: '0',
    };
    const app = ecosystemApp({ ...deployment, PM2_INSTANCES: '2' });
    expect(app).toMatchObject({ exec_mode: 'cluster', instances: 2, wait_ready: true });
    appName = `live-chat-test-${path.basename(home)}`;
    // The compiled server of this checkout, run from a folder with no .env in it; everything else as shipped.
    const processFile = path.join(home, 'ecosystem.json');
    writeFileSync(processFile, JSON.stringify({ apps: [{ ...app, name: appName, script: entry, cwd: home, env: { ...app.env, ...deployment } }] }));
    await pm2('start', processFile);
    await waitFor(async () => (await processes()).filter((p) => p.status === 'online').length === 2, 60_000, 'two pm2 processes online');
    await waitFor(async () => (await fetch(`${url}/ready`).catch(() => null))?.status === 200, 30_000, 'the cluster ready');
  }, 180_000);

  afterAll(async () => {
    if (home) {
      await pm2('kill').catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    }
    await provisioned?.dispose();
  }, 60_000);

  it('refuses a second instance without Redis or a shared JWT_SECRET, with one clear line', () => {
    expect(() => ecosystemApp({ PM2_INSTANCES: '2', REDIS_URL: '', REDIS_HOST: '', JWT_SECRET: 'x'.repeat(32) })).toThrow('PM2_INSTANCES=2 needs Redis (REDIS_URL or REDIS_HOST)');
    expect(() => ecosystemApp({ PM2_INSTANCES: '2', REDIS_URL: 'redis://127.0.0.1:6379', JWT_SECRET: '' })).toThrow('PM2_INSTANCES=2 needs JWT_SECRET');
    expect(ecosystemApp({ PM2_INSTANCES: '1', REDIS_URL: '', REDIS_HOST: '', JWT_SECRET: '' })).toMatchObject({ instances: 1 });
  });

  it('serves the widget and the console, refuses long-polling with an error, and reloads without losing a message', async () => {
    for (const page of ['/', '/console', '/widget.js']) {
      const res = await fetch(`${url}${page}`);
      expect(res.status).toBe(200);
    }
    // Clustered without sticky sessions: a polling handshake is refused at once, not left to fail at random.
    const polling = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
    expect(polling.status).toBe(400);
    expect(await polling.json()).toMatchObject({ message: 'Transport unknown' });

    const admin = await login(url, ADMIN.email, ADMIN.password);
    const operator = await createOperator(url, admin.token, { name: 'Pia on pm2', maxConcurrentSessions: 5 });
    const customer = await createSession(url, { customerName: 'Carl' });
    const connect = (namespace: string, token: string): Socket =>
      io(`${url}${namespace}`, { auth: { token }, transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
    const operatorSocket = connect('/operator', operator.token);
    const customerSocket = connect('/customer', customer.customerToken);
    // The operator's client as any would be written: it shows what arrives live and, on every reconnect,
    // asks for what came after the last message it saw.
    const seenByOperator = new Map<string, number>();
    let lastSeenId = 0;
    const see = (message: Message): void => {
      if (message.clientMessageId) seenByOperator.set(message.clientMessageId, message.id);
      lastSeenId = Math.max(lastSeenId, message.id);
    };
    let reconnects = 0;
    const syncs: Array<Promise<void>> = [];
    operatorSocket.on('message:new', ({ message }: { message: Message }) => see(message));
    operatorSocket.io.on('reconnect', () => {
      reconnects++;
      const sync = (async () => {
        const reply = (await operatorSocket.timeout(5_000).emitWithAck('messages:sync', { sessionId: customer.session.id, afterId: lastSeenId })) as Ack<{ messages: Message[] }>;
        if (!reply.ok) throw new Error(`messages:sync refused: ${reply.error.code}`);
        reply.data.messages.forEach(see);
      })();
      // Awaited (and its failure reported) below; marked handled now, in case the test ends before that.
      sync.catch(() => undefined);
      syncs.push(sync);
    });
    try {
      await waitFor(() => operatorSocket.connected && customerSocket.connected, 10_000, 'both sockets connected');
      const online = await operatorSocket.timeout(5_000).emitWithAck('status:set', { status: 'online' }) as Ack<unknown>;
      expect(online.ok).toBe(true);
      await waitFor(async () => {
        const res = await request(url).get(`/api/chat/sessions/${customer.session.id}`).set(bearer(admin.token));
        return res.body.data?.status === 'active' && res.body.data.operatorId === operator.id;
      }, 10_000, 'the session assigned to the operator');
      const pidsBefore = (await processes()).map((p) => p.pid).sort();
      expect(pidsBefore).toHaveLength(2);

      // The stream: one message after another, each resent under the same id until acknowledged.
      const send = async (n: number): Promise<Message> => {
        const payload = { content: `message ${n}`, clientMessageId: `pm2-${n}` };
        for (let attempt = 1; ; attempt++) {
          if (attempt > 60) throw new Error(`message ${n} was never acknowledged`);
          try {
            const reply = (await customerSocket.timeout(2_000).emitWithAck('message:send', payload)) as Ack<Message>;
            if (reply.ok) return reply.data;
            throw new Error(`message ${n} refused: ${reply.error.code}`);
          } catch (error) {
            if ((error as Error).message.startsWith(`message ${n} refused`)) throw error;
            await waitFor(() => customerSocket.connected, 20_000, 'the customer reconnected');
          }
        }
      };
      // Before, during and after the reload, however long the reload takes on a loaded machine.
      const acked: Message[] = [];
      let reloadedAt: number | null = null;
      const stream = (async () => {
        for (let n = 0; reloadedAt === null || n < reloadedAt + AFTER_RELOAD; n++) {
          acked.push(await send(n));
          await sleep(15);
        }
      })();
      await waitFor(() => acked.length >= 20, 20_000, 'the stream under way');
      await pm2('reload', appName);
      reloadedAt = acked.length;
      await stream;
      const total = acked.length;
      expect(total).toBe(reloadedAt + AFTER_RELOAD);

      // Both processes were replaced while the stream ran.
      const after = await processes();
      expect(after.filter((p) => p.status === 'online')).toHaveLength(2);
      expect(after.map((p) => p.pid).filter((pid) => pidsBefore.includes(pid))).toEqual([]);

      // Stored once each, in the order sent, and the acknowledged ids are the stored ones.
      const stored: Message[] = [];
      for (let more = true; more; ) {
        const page = await request(url).get(`/api/chat/messages/${customer.session.id}?after=${stored.at(-1)?.id ?? 0}&limit=200`).set(bearer(operator.token));
        expectStatus(page, 200);
        stored.push(...(page.body.data as Message[]));
        more = page.body.meta?.hasMore === true;
      }
      const fromCustomer = stored.filter((m) => m.senderType === 'customer');
      expect(fromCustomer.map((m) => m.clientMessageId)).toEqual(Array.from({ length: total }, (_, n) => `pm2-${n}`));
      expect(fromCustomer.map((m) => m.id)).toEqual(acked.map((m) => m.id));

      // The operator heard them live or, for those sent while it was reconnecting, through its sync.
      await waitFor(() => operatorSocket.connected, 20_000, 'the operator reconnected');
      expect(reconnects).toBeGreaterThan(0);
      await waitFor(() => seenByOperator.size >= total, 10_000, 'every message seen by the operator');
      await Promise.all(syncs);
      expect(acked.filter((m) => seenByOperator.get(m.clientMessageId as string) !== m.id)).toEqual([]);
    } finally {
      operatorSocket.disconnect();
      customerSocket.disconnect();
    }
  }, 240_000);
});
