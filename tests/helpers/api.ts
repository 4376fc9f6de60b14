import request from 'supertest';
import { SYSTEM } from '../../services/access';
import type { MessageDTO, OperatorDTO, SessionDTO } from '../../services/contract';
import type { Backend } from './backends';
import { PASSWORD, bearer, expectStatus, sendChecked, uniqueEmail } from './http';
import { startTestServer, type TestServer } from './testServer';

/**
 * Small REST helpers for the integration tests: who is calling (admin, operator, customer), and what the
 * registry says exists. Everything goes through the listening server, the way a client would. The basics
 * (./http) and the registry walk (./routes) are re-exported, so a suite imports its REST helpers from here.
 */

export * from './http';
export * from './routes';

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

/** GET `path` as the holder of `token`: expects 200 and returns `data` (the response checked for secrets, as sendChecked does). */
export async function getData<T = unknown>(url: string, token: string, path: string): Promise<T> {
  const res = await sendChecked(request(url).get(path).set(bearer(token)));
  expectStatus(res, 200);
  return res.body.data;
}

/** POST /api/operators/assign: `token`'s holder gives the session to `operatorId` (themselves, or anyone as an admin). */
export async function assignSession(url: string, token: string, sessionId: string, operatorId: number): Promise<{ session: SessionBody; operator: OperatorBody }> {
  const res = await request(url).post('/api/operators/assign').set(bearer(token)).send({ sessionId, operatorId });
  expectStatus(res, 200);
  return res.body.data;
}

/** What the widget asks before it opens: GET /api/chat/availability. */
export interface Availability {
  online: boolean;
  availableOperators: number;
  waiting: number;
  estimatedWaitSeconds: number;
}

export async function availability(url: string): Promise<Availability> {
  const res = await request(url).get('/api/chat/availability');
  expectStatus(res, 200);
  return res.body.data;
}

/** A session's audit trail (GET /api/chat/sessions/:id/events), oldest first. */
export interface SessionEventBody {
  type: string;
  operatorId: number | null;
  detail: Record<string, unknown> | null;
  createdAt: string;
}

export async function sessionEvents(url: string, token: string, sessionId: string): Promise<SessionEventBody[]> {
  const res = await request(url).get(`/api/chat/sessions/${sessionId}/events`).set(bearer(token));
  expectStatus(res, 200);
  return res.body.data;
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
