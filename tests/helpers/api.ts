import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { loadConfig } from '../../config';
import { buildSchemas } from '../../middleware/schemas';
import { createRateLimiters } from '../../middleware/rateLimits';
import { apiGroups } from '../../routes';
import type { HttpMethod, RouteGroup, RouteSpec } from '../../routes/registry';
import type { AuthService } from '../../services/operators/AuthService';
import type { ChatService } from '../../services/sessions/ChatService';
import type { SessionDirectory } from '../../services/sessions/SessionDirectory';
import type { MessageService } from '../../services/messages/MessageService';
import type { OperatorService } from '../../services/operators/OperatorService';
import { SYSTEM } from '../../services/access';
import type { MessageDTO, OperatorDTO, SessionDTO } from '../../services/contract';
import type { Backend } from './backends';
import { startTestServer, type TestServer } from './testServer';

/**
 * Small REST helpers for the integration tests: who is calling (admin, operator, customer), and what the
 * registry says exists. Everything goes through the listening server, the way a client would.
 */

export const PASSWORD = 'correct-horse-battery-staple';

/** PROTOCOL.md's shapes: the contract module the server and the pages use. */
export type OperatorBody = OperatorDTO;
export type SessionBody = SessionDTO;
export type MessageBody = MessageDTO;

/** An operator or admin with a live token. */
export interface Staff {
  id: number;
  email: string;
  password: string;
  token: string;
  operator: OperatorBody;
}

/** A customer: their session as created, and the token bound to it. */
export interface Customer {
  session: SessionBody;
  customerToken: string;
}

export const bearer = (token: string): { Authorization: string } => ({ Authorization: `Bearer ${token}` });

export function uniqueEmail(prefix = 'operator'): string {
  return `${prefix}.${randomUUID().slice(0, 12)}@example.com`;
}

/** Fails with the response body in the message, so a failing setup step says what the server answered. */
export function expectStatus(res: request.Response, status: number): void {
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  }
}

/** The failure envelope of PROTOCOL.md with that status and code. */
export function expectError(res: request.Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expectErrorEnvelope(res);
}

/** `{ success: false, error: { code, message, details? } }` and nothing else. */
export function expectErrorEnvelope(res: request.Response): void {
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(res.body).toEqual({
    success: false,
    error: expect.objectContaining({ code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) }),
  });
  expect(Object.keys(res.body.error).every((key) => ['code', 'message', 'details'].includes(key))).toBe(true);
  expect(res.body.error.message.length).toBeGreaterThan(0);
}

export async function login(url: string, email: string, password = PASSWORD): Promise<{ token: string; operator: OperatorBody }> {
  const res = await request(url).post('/api/auth/login').send({ email, password });
  expectStatus(res, 200);
  return res.body.data;
}

/** An admin made directly through the service (the way bootstrap or an existing admin would), logged in over REST. */
export async function createAdmin(server: TestServer, overrides: { name?: string; email?: string } = {}): Promise<Staff> {
  const email = overrides.email ?? uniqueEmail('admin');
  const created = await server.server.operators.create(SYSTEM, { name: overrides.name ?? 'Ada Admin', email, password: PASSWORD, role: 'admin' });
  const { token, operator } = await login(server.url, email);
  return { id: created.id, email, password: PASSWORD, token, operator };
}

export interface NewOperator {
  name?: string;
  email?: string;
  password?: string;
  role?: 'operator' | 'admin';
  maxConcurrentSessions?: number;
  departments?: string[];
}

/** An operator created by an admin over REST (POST /api/operators), then logged in. */
export async function createOperator(url: string, adminToken: string, input: NewOperator = {}): Promise<Staff> {
  const email = input.email ?? uniqueEmail();
  const password = input.password ?? PASSWORD;
  const res = await request(url)
    .post('/api/operators')
    .set(bearer(adminToken))
    .send({ name: input.name ?? 'Olga Operator', ...input, email, password });
  expectStatus(res, 201);
  const { token, operator } = await login(url, email, password);
  return { id: res.body.data.id, email, password, token, operator };
}

export async function setStatus(url: string, token: string, operatorId: number, status: OperatorBody['status']): Promise<OperatorBody> {
  const res = await request(url).put(`/api/operators/${operatorId}/status`).set(bearer(token)).send({ status });
  expectStatus(res, 200);
  return res.body.data;
}

export async function getOperator(url: string, token: string, operatorId: number): Promise<OperatorBody> {
  const res = await request(url).get(`/api/operators/${operatorId}`).set(bearer(token));
  expectStatus(res, 200);
  return res.body.data;
}

export interface NewSession {
  customerName?: string;
  customerEmail?: string;
  customerId?: string;
  identityHash?: string;
  department?: string;
  metadata?: Record<string, unknown>;
  message?: string;
}

/** POST /api/chat/sessions as a customer would; expects 201. */
export async function createSession(url: string, body: NewSession = {}): Promise<Customer> {
  const res = await request(url).post('/api/chat/sessions').send({ customerName: 'Carla Customer', ...body });
  expectStatus(res, 201);
  return res.body.data;
}

export async function getSession(url: string, token: string, sessionId: string): Promise<SessionBody> {
  const res = await request(url).get(`/api/chat/sessions/${sessionId}`).set(bearer(token));
  expectStatus(res, 200);
  return res.body.data;
}

export async function listMessages(url: string, token: string, sessionId: string, query = ''): Promise<MessageBody[]> {
  const res = await request(url).get(`/api/chat/messages/${sessionId}${query}`).set(bearer(token));
  expectStatus(res, 200);
  return res.body.data;
}

export async function sendMessage(url: string, token: string, sessionId: string, body: { content: string; clientMessageId?: string; type?: string }): Promise<MessageBody> {
  const res = await request(url).post(`/api/chat/sessions/${sessionId}/messages`).set(bearer(token)).send(body);
  expectStatus(res, 201);
  return res.body.data;
}

export async function closeSession(url: string, token: string, sessionId: string, reason?: string): Promise<SessionBody> {
  const res = await request(url).put(`/api/chat/sessions/${sessionId}/close`).set(bearer(token)).send(reason === undefined ? {} : { reason });
  expectStatus(res, 200);
  return res.body.data;
}

/** One registered endpoint, as the registry (routes/index.ts) declares it. */
export interface RegisteredRoute {
  method: HttpMethod;
  /** Full path template, e.g. `/api/chat/sessions/:sessionId`. */
  template: string;
  /** `METHOD template`, for test names and lookup tables. */
  key: string;
  group: RouteGroup;
  spec: RouteSpec;
}

/**
 * Every route of apiGroups, exactly as the app mounts them: a route added to the registry shows up here, and so
 * in every test that walks it. Only the declarations are read (method, path, access, schema), so the services
 * may be left out when the list is needed before a server runs (to name the tests).
 */
export function registeredRoutes(server?: TestServer): RegisteredRoute[] {
  const config = server?.config ?? loadConfig({ LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(48) });
  const unused = <T>(name: string): T =>
    new Proxy(
      {},
      {
        get: () => {
          throw new Error(`registeredRoutes() was built without a server: ${name} is not available`);
        },
      },
    ) as T;
  const groups = apiGroups({
    schemas: buildSchemas(config),
    limiters: createRateLimiters(config, null),
    auth: server?.server.auth ?? unused<AuthService>('auth'),
    chat: server?.server.chat ?? unused<ChatService>('chat'),
    sessions: server?.server.sessions ?? unused<SessionDirectory>('sessions'),
    messages: server?.server.messages ?? unused<MessageService>('messages'),
    operators: server?.server.operators ?? unused<OperatorService>('operators'),
  });
  return groups.flatMap((group) =>
    group.routes.map((spec) => {
      const template = `${group.prefix}${spec.path === '/' ? '' : spec.path}`;
      return { method: spec.method, template, key: `${spec.method.toUpperCase()} ${template}`, group, spec };
    }),
  );
}

/** Fills `:name` parameters; an unknown parameter fails the test, so a new kind of route cannot slip through unfilled. */
export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/:(\w+)/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for path parameter :${name} in ${template}; add one to the test`);
    return encodeURIComponent(value);
  });
}

/** The parameter names of a path template. */
export function pathParams(template: string): string[] {
  return [...template.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
}

/** A request of any method, with an optional token (or a raw Authorization header) and a body (or raw JSON text). */
export function call(
  url: string,
  method: HttpMethod,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; authorization?: string } = {},
): request.Test {
  const req = request(url)[method](path);
  if (options.authorization !== undefined) req.set('Authorization', options.authorization);
  else if (options.token !== undefined) req.set(bearer(options.token));
  if (options.rawBody !== undefined) return req.set('Content-Type', 'application/json').send(options.rawBody);
  if (options.body !== undefined) return req.send(options.body as object);
  return req;
}

/** Strings that would betray a secret in a response: password or token hashes, or the password itself. */
export function expectNoSecrets(text: string, password = PASSWORD): void {
  expect(text).not.toMatch(/passwordHash|password_hash|tokenHash|token_hash|tokenVersion|token_version|scrypt\$/i);
  expect(text).not.toContain(password);
}

/** Ids a sample request may refer to. */
export interface SampleIds {
  sessionId: string;
  /** An operator who holds the session (a transfer to them is refused without side effects). */
  assignedOperatorId: number;
  loginEmail: string;
}

/**
 * A valid body for each route that takes one: it passes validation, so whatever refuses it is authorization
 * or state, never input. Chosen to change little (transfer to the operator who already holds the session,
 * rating an open session).
 */
export const SAMPLE_BODIES: Record<string, (ids: SampleIds) => Record<string, unknown>> = {
  'POST /api/auth/login': (ids) => ({ email: ids.loginEmail, password: PASSWORD }),
  'POST /api/chat/sessions': () => ({ customerName: 'Sample Customer', message: 'hello' }),
  'PUT /api/chat/sessions/:sessionId/close': () => ({ reason: 'sample' }),
  'PUT /api/chat/sessions/:sessionId/transfer': (ids) => ({ operatorId: ids.assignedOperatorId }),
  'POST /api/chat/sessions/:sessionId/messages': () => ({ content: 'sample message', type: 'text' }),
  'POST /api/chat/sessions/:sessionId/rating': () => ({ rating: 5, comment: 'thanks' }),
  'POST /api/operators': () => ({ name: 'Sample Operator', email: uniqueEmail('sample'), password: PASSWORD, role: 'operator', maxConcurrentSessions: 3, departments: ['sales'] }),
  'PATCH /api/operators/:operatorId': () => ({ name: 'Renamed Operator' }),
  'PUT /api/operators/:operatorId/status': () => ({ status: 'offline' }),
  'POST /api/operators/assign': (ids) => ({ sessionId: ids.sessionId }),
};

export function sampleBody(route: RegisteredRoute, ids: SampleIds): Record<string, unknown> | undefined {
  return SAMPLE_BODIES[route.key]?.(ids);
}

/** The staff member's token, logging in again if it was ended (a test may call POST /api/auth/logout). */
export async function liveToken(url: string, staff: Staff): Promise<string> {
  const me = await request(url).get('/api/auth/me').set(bearer(staff.token));
  if (me.status === 401) staff.token = (await login(url, staff.email, staff.password)).token;
  return staff.token;
}

/**
 * A server for the REST and realtime suites. REST operators never hold a socket, so only their REST calls keep
 * their presence alive, and a realtime operator's socket may be briefly gone between steps; a long grace keeps
 * either from being set offline halfway through a slow run.
 */
export function startApiServer(backend: Backend, env: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer(backend, { env: { OPERATOR_PRESENCE_GRACE_SECONDS: '3600', ...env } });
}
