import request from 'supertest';
import { loadConfig } from '../../config';
import { createServer, type ChatServer } from '../../src/server';
import { createLogger } from '../../src/observability/logger';
import { PASSWORD, bearer, createAdmin, createOperator, createSession, expectStatus, sendMessage, setStatus } from '../helpers/api';
import { call, closeAllSockets, cmid, connectCustomer } from '../helpers/sockets';
import type { TestServer } from '../helpers/testServer';
import { waitFor } from '../helpers/wait';

/**
 * The log as the person running the server reads it: JSON lines, every line written while serving a request
 * or a socket event carrying that request's id, and never a password, a token or what a customer wrote.
 */

type LogLine = Record<string, unknown> & { msg?: string; reqId?: string };

describe('logs', () => {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  let server: TestServer;
  let chat: ChatServer;

  beforeAll(async () => {
    const config = loadConfig({
      PORT: '0',
      DB_DIALECT: 'sqlite',
      DB_STORAGE: ':memory:',
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-signing',
      LOG_LEVEL: 'trace',
      RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
      RATE_LIMIT_LOGINS_PER_MINUTE: '0',
    });
    const destination = {
      write(line: string): void {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    };
    chat = createServer(config, { logger: createLogger(config.logLevel, { destination }), drainTimeoutMs: 2_000 });
    const port = await chat.start();
    server = { server: chat, config, port, url: `http://127.0.0.1:${port}`, close: () => chat.stop() };
  });

  afterAll(async () => {
    closeAllSockets();
    await server?.close();
  });

  it('writes JSON lines', () => {
    expect(raw.length).toBeGreaterThan(0);
    expect(lines.some((line) => line.msg === 'chat server listening')).toBe(true);
  });

  it('carries the X-Request-Id given (or one made up) into the lines the services write for that request', async () => {
    // A listener that fails: DomainEvents (a service) logs the failure, on behalf of the request that emitted.
    const off = chat.events.on('session.created', () => {
      throw new Error('a listener broke');
    });
    try {
      const given = await request(server.url).post('/api/chat/sessions').set('X-Request-Id', 'trace-4711').send({});
      expectStatus(given, 201);
      expect(given.headers['x-request-id']).toBe('trace-4711');
      const made = await request(server.url).post('/api/chat/sessions').send({});
      expectStatus(made, 201);
      const madeId = made.headers['x-request-id'] as string;
      expect(madeId).toMatch(/^[0-9a-f-]{36}$/);

      const failures = lines.filter((line) => line.msg === 'event listener failed');
      expect(failures.map((line) => line.reqId)).toEqual(['trace-4711', madeId]);
      // The request's own line too.
      expect(lines.some((line) => line.reqId === 'trace-4711' && line.msg === 'request completed')).toBe(true);
    } finally {
      off();
    }
  });

  it('gives every socket event an id of its own, on the lines written while serving it', async () => {
    const customer = await createSession(server.url);
    const socket = await connectCustomer(server.url, customer.customerToken);
    const off = chat.events.on('message.created', () => {
      throw new Error('a listener broke');
    });
    try {
      await call(socket, 'message:send', { content: 'one', clientMessageId: cmid() });
      await call(socket, 'message:send', { content: 'two', clientMessageId: cmid() });
      const ids = await waitFor(() => {
        const found = lines.filter((line) => line.msg === 'event listener failed' && line.event === 'message.created').map((line) => line.reqId);
        return found.length === 2 ? found : undefined;
      }, 3_000, 'two listener failures logged');
      expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
      expect(new Set(ids).size).toBe(2);
    } finally {
      off();
    }
  });

  it('never logs a password, a token or message content, even where a log call is handed them', async () => {
    const admin = await createAdmin(server);
    const secretPassword = 'a-very-secret-password-1234';
    const operator = await createOperator(server.url, admin.token, { password: secretPassword });
    const wrong = await request(server.url).post('/api/auth/login').send({ email: operator.email, password: 'wrong-password-5678' });
    expect(wrong.status).toBe(401);
    await setStatus(server.url, operator.token, operator.id, 'online');
    const customer = await createSession(server.url, { message: 'my card number is 4111-1111' });
    await sendMessage(server.url, customer.customerToken, customer.session.id, { content: 'private words from the customer' });
    await request(server.url).get('/api/auth/me').set(bearer(operator.token));

    // Code that logs a whole payload (a debugging line, a failure with its input) still leaks nothing.
    const logger = chat.logger;
    logger.info({ message: { id: 1, content: 'private words from the customer' }, password: PASSWORD, token: operator.token }, 'probe');
    logger.info({ payload: { message: { content: 'nested private words' } }, auth: { token: customer.customerToken } }, 'probe');
    logger.info({ req: { headers: { authorization: `Bearer ${operator.token}` } } }, 'probe');
    // A failed statement: Sequelize's error carries the SQL with its values, here and in the driver's error.
    const failed = await chat.db.sequelize.query('INSERT INTO chat_messages (no_such_column, content) VALUES (1, ?)', { replacements: ['words in a failed insert'] }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    logger.error({ err: failed }, 'probe');

    const all = raw.join('');
    for (const secret of [secretPassword, 'wrong-password-5678', PASSWORD, operator.token, admin.token, customer.customerToken, 'my card number', 'private words', 'nested private words', 'words in a failed insert']) {
      expect({ secret, logged: all.includes(secret) }).toEqual({ secret, logged: false });
    }
    expect(lines.filter((line) => line.msg === 'probe')).toHaveLength(4);
    // What is worth knowing about the failure is still there.
    expect(lines.find((line) => line.msg === 'probe' && line.err)?.err).toMatchObject({ type: 'DatabaseError', message: expect.stringContaining('no_such_column') });
    expect(all).toContain('[redacted]');
  });
});
