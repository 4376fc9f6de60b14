import { assignSession, createAdmin, createOperator, createSession, getOperator, getSession, listMessages, setStatus, startApiServer, type Customer, type NewOperator, type NewSession, type OperatorBody, type Staff } from './api';
import type { Backend } from './backends';
import { clearEvents, closeAllSockets, connectCustomer, connectedOperator, nextEvent, realtimeServerPerTest, type ConnectedCustomer, type ConnectedOperator, type FullMessage, type FullSession, type MessageMsg, type RealtimeServer, type SessionMsg } from './sockets';
import { sleep } from './wait';

/**
 * Scenario builders: each arranges fresh data through the real server's REST and socket API (new operators with
 * unique emails, new sessions), so that a test built from them depends on no other test and runs alone with
 * `-t`. A server too: one per test where a test reads what is global (the queue, availability, every operator),
 * one per file where each test's data is its own.
 */

/** What a test works against: a server over its own database, and an admin logged in on it (set by the hooks). */
export type Stage = RealtimeServer;

/**
 * A fresh server and admin for each test of the describe this is called in; sockets closed and server stopped
 * after each. `use` is handed each new stage too (for suites that keep plain `url` and `admin` variables).
 */
export function serverPerTest(backend: Backend, env: Record<string, string> = {}, use: (stage: Stage) => void = () => undefined): Stage {
  const stage = {} as Stage;
  const boot = realtimeServerPerTest(backend, (booted) => use(Object.assign(stage, booted)));
  beforeEach(() => boot(env));
  return stage;
}

/** One server and admin for the whole describe this is called in, for tests that each arrange their own data on it. */
export function sharedServer(backend: Backend, env: Record<string, string> = {}): Stage {
  const stage = {} as Stage;
  beforeAll(async () => {
    const server = await startApiServer(backend, env);
    Object.assign(stage, { server, url: server.url, admin: await createAdmin(server) });
  });
  afterAll(async () => {
    closeAllSockets();
    await stage.server?.close();
  });
  return stage;
}

/** What the admin of a stage reads: every message of a session, the session, an operator (at call time). */
export function adminView(stage: Stage): {
  messagesOf(sessionId: string): Promise<FullMessage[]>;
  sessionOf(sessionId: string): Promise<FullSession>;
  operatorOf(operatorId: number): Promise<OperatorBody>;
} {
  return {
    messagesOf: async (sessionId) => (await listMessages(stage.url, stage.admin.token, sessionId, '?limit=200')) as FullMessage[],
    sessionOf: async (sessionId) => (await getSession(stage.url, stage.admin.token, sessionId)) as FullSession,
    operatorOf: (operatorId) => getOperator(stage.url, stage.admin.token, operatorId),
  };
}

export interface OperatorScenario extends NewOperator {
  /** The status to set once logged in: online unless told otherwise ('offline' leaves the new operator as created). */
  status?: OperatorBody['status'];
  /** Connect an /operator socket (the status is then set over it, as the console does). */
  socket?: boolean;
  /** With `socket`: the process of the deployment the socket connects to (the one at `url` otherwise). */
  on?: string;
}

/** An operator created by the admin over REST, logged in, with their status set (online by default), optionally with a socket. */
export function onlineOperator(url: string, adminToken: string, options: OperatorScenario & { socket: true }): Promise<ConnectedOperator>;
export function onlineOperator(url: string, adminToken: string, options?: OperatorScenario & { socket?: false }): Promise<Staff>;
export async function onlineOperator(url: string, adminToken: string, options: OperatorScenario = {}): Promise<Staff | ConnectedOperator> {
  const { status = 'online', socket = false, on, ...fields } = options;
  if (socket) return connectedOperator(url, adminToken, { ...fields, on, ...(status === 'offline' ? {} : { status }) });
  const staff = await createOperator(url, adminToken, fields);
  if (status !== 'offline') staff.operator = await setStatus(url, staff.token, staff.id, status);
  return staff;
}

/** Several operators, created in this order (so their ids ascend), each made as onlineOperator makes them. */
export async function operatorsOf(url: string, adminToken: string, specs: Array<OperatorScenario & { socket?: false }>): Promise<Staff[]> {
  const staff: Staff[] = [];
  for (const spec of specs) staff.push(await onlineOperator(url, adminToken, spec));
  return staff;
}

/**
 * Once a chat is `operator`'s: with a socket, they have heard the assignment and the "joined" line, and the
 * events both sides received so far are cleared (the test starts from quiet sockets).
 */
async function settle(operator: Staff | ConnectedOperator, sessionId: string, customerSocket?: ConnectedCustomer['socket']): Promise<void> {
  if (!('socket' in operator)) return;
  await nextEvent<SessionMsg>(operator.socket, 'session:assigned', undefined, (p) => p.session.id === sessionId);
  await nextEvent<MessageMsg>(operator.socket, 'message:new', undefined, (p) => p.message.sessionId === sessionId && p.message.senderType === 'system');
  await sleep(150); // the folded queue push after the assignment
  clearEvents(operator.socket, ...(customerSocket ? [customerSocket] : []));
}

async function withSocket(url: string, customer: Customer, socket: boolean): Promise<Customer | ConnectedCustomer> {
  return socket ? { ...customer, socket: await connectCustomer(url, customer.customerToken) } : customer;
}

export interface ChatScenario extends NewSession {
  /** Connect the customer's /customer socket. */
  socket?: boolean;
}

/**
 * A new chat that routing hands straight to `operator` (arrange for them to be the one available: online, with a
 * free seat, and of the session's department); fails if it waits or goes to someone else. With `socket`, the
 * customer is connected; when the operator has a socket, both sides are settled and quiet.
 */
export function assignedChat(url: string, operator: Staff, options: ChatScenario & { socket: true }): Promise<ConnectedCustomer>;
export function assignedChat(url: string, operator: Staff, options?: ChatScenario & { socket?: false }): Promise<Customer>;
export async function assignedChat(url: string, operator: Staff, options: ChatScenario = {}): Promise<Customer | ConnectedCustomer> {
  const { socket = false, ...body } = options;
  const created = await createSession(url, body);
  expect(created.session).toMatchObject({ status: 'active', operatorId: operator.id });
  const customer = await withSocket(url, created, socket);
  await settle(operator, customer.session.id, 'socket' in customer ? customer.socket : undefined);
  return customer;
}

/**
 * A new chat that waits (nobody available for it), then is taken by `operator` for themselves through POST
 * /api/operators/assign, which a busy operator may do too. `customer.session` is the session as assigned.
 */
export function claimedChat(url: string, operator: Staff, options: ChatScenario & { socket: true }): Promise<ConnectedCustomer>;
export function claimedChat(url: string, operator: Staff, options?: ChatScenario & { socket?: false }): Promise<Customer>;
export async function claimedChat(url: string, operator: Staff, options: ChatScenario = {}): Promise<Customer | ConnectedCustomer> {
  const { socket = false, ...body } = options;
  const created = await createSession(url, body);
  expect(created.session.status).toBe('waiting');
  const claimed = await assignSession(url, operator.token, created.session.id, operator.id);
  expect(claimed.session).toMatchObject({ status: 'active', operatorId: operator.id });
  const customer = await withSocket(url, { ...created, session: claimed.session }, socket);
  await settle(operator, customer.session.id, 'socket' in customer ? customer.socket : undefined);
  return customer;
}

/**
 * An online operator with a socket, and a customer with a socket whose new chat went straight to them: both
 * settled and quiet. Arrange for nobody else to be available.
 */
export async function liveChat(
  url: string,
  adminToken: string,
  options: { operator?: Omit<OperatorScenario, 'socket'>; customer?: NewSession } = {},
): Promise<{ op: ConnectedOperator; customer: ConnectedCustomer }> {
  const op = await onlineOperator(url, adminToken, { ...options.operator, socket: true });
  const customer = await assignedChat(url, op, { ...options.customer, socket: true });
  return { op, customer };
}

/**
 * `n` new sessions waiting in line, in order (arrange for nobody to be available for them); `names` are their
 * customers' names. Fails unless each waits, one place behind the one before.
 */
export async function queueOf(url: string, n: number, options: { names?: string[]; session?: NewSession } = {}): Promise<Customer[]> {
  const queue: Customer[] = [];
  for (let i = 0; i < n; i++) {
    const customer = await createSession(url, { ...options.session, ...(options.names?.[i] === undefined ? {} : { customerName: options.names[i] }) });
    expect(customer.session.status).toBe('waiting');
    if (i > 0) expect(customer.session.queuePosition).toBe((queue[i - 1]!.session.queuePosition ?? 0) + 1);
    queue.push(customer);
  }
  return queue;
}

/** The callers of the authorization suites, on one server. */
export interface Cast {
  admin: Staff;
  /** Online, with room for many chats: every session below is theirs. */
  operator: Staff;
  unassigned: Staff;
  /** The operator whose id the `:operatorId` paths name. */
  third: Staff;
  /** The customer (`customerId`), with a chat held by `operator`. */
  mine: Customer;
  /** Another customer, with a session of their own. */
  stranger: Customer;
  customerId: string;
}

export async function castOf(stage: Stage, customerId = 'authz-customer-1'): Promise<Cast> {
  const { url, admin } = stage;
  const operator = await onlineOperator(url, admin.token, { name: 'Assigned Operator', maxConcurrentSessions: 100 });
  const unassigned = await createOperator(url, admin.token, { name: 'Unassigned Operator' });
  const third = await createOperator(url, admin.token, { name: 'Third Operator' });
  const mine = await assignedChat(url, operator, { customerId, message: 'hello' });
  const stranger = await createSession(url, { customerId: 'someone-else' });
  return { admin, operator, unassigned, third, mine, stranger, customerId };
}
