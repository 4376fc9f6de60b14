import { createAdmin, createSession, type Customer, type OperatorBody, type Staff } from './api';
import { availableBackends, type ProvisionedBackend } from './backends';
import { clearEvents, closeAllSockets, connectCustomer, connectedOperator, nextEvent, type ConnectedCustomer, type ConnectedOperator, type MessageMsg, type SessionMsg } from './sockets';
import { startTestServer, type TestServer } from './testServer';
import { sleep } from './wait';

/**
 * Two server processes of one deployment (one MariaDB, one Redis, the Socket.IO Redis adapter), for the suites
 * that check a customer on process A and an operator on process B do not notice they are on different processes.
 */

export const clusterBackend = availableBackends().find((b) => b.name === 'mariadb+redis');
export const describeCluster = clusterBackend ? describe : describe.skip;

/** Cross-process events go through Redis pub/sub: a loaded machine gets some slack. */
export const CROSS_MS = 4_000;

/** The deployment of one test: its database and Redis, processes A and B once started, and an admin (made on A). */
export interface Deployment {
  provisioned?: ProvisionedBackend;
  a?: TestServer;
  b?: TestServer;
  admin: Staff;
  env: Record<string, string>;
}

/**
 * A deployment for each test of the describe this is called in: `start` in a beforeEach (or in the test) boots
 * it; after each test every socket is closed and whatever runs is stopped and dropped.
 */
export function deploymentPerTest(): Deployment {
  const deployment = { env: {} } as Deployment;
  afterEach(async () => {
    closeAllSockets();
    await deployment.a?.close();
    await deployment.b?.close();
    await deployment.provisioned?.dispose();
    deployment.a = deployment.b = deployment.provisioned = undefined;
  });
  return deployment;
}

/** Provisions the deployment and starts process A, and B too unless `processes` is 1; the admin is made on A. */
export async function startDeployment(deployment: Deployment, env: Record<string, string> = {}, processes: 1 | 2 = 2): Promise<void> {
  deployment.provisioned = await clusterBackend!.provision();
  deployment.env = { OPERATOR_PRESENCE_GRACE_SECONDS: '3600', ...env };
  deployment.a = await startProcess(deployment);
  if (processes === 2) deployment.b = await startProcess(deployment);
  deployment.admin = await createAdmin(deployment.a);
}

/** One more process of the deployment (a process that joins later). */
export function startProcess(deployment: Deployment): Promise<TestServer> {
  return startTestServer(clusterBackend!, { provisioned: deployment.provisioned, env: deployment.env });
}

/** An operator (created on A) with a socket on `server`, with the status given, if any. */
export function operatorOn(
  deployment: Deployment,
  server: TestServer,
  name: string,
  extra: { status?: OperatorBody['status']; maxConcurrentSessions?: number } = {},
): Promise<ConnectedOperator> {
  return connectedOperator(deployment.a!.url, deployment.admin.token, { name, maxConcurrentSessions: extra.maxConcurrentSessions ?? 5, status: extra.status, on: server.url });
}

/** Customer on A, operator on B, chatting (assigned, both sides settled). */
export async function chatAcross(deployment: Deployment): Promise<{ op: ConnectedOperator; customer: ConnectedCustomer }> {
  const { a, b } = deployment;
  const op = await operatorOn(deployment, b!, 'Bea on B', { status: 'online' });
  const customer: Customer = await createSession(a!.url, { customerName: 'Carl on A' });
  expect(customer.session).toMatchObject({ status: 'active', operatorId: op.id });
  const socket = await connectCustomer(a!.url, customer.customerToken);
  await nextEvent<SessionMsg>(op.socket, 'session:assigned', CROSS_MS, (p) => p.session.id === customer.session.id);
  await nextEvent<MessageMsg>(op.socket, 'message:new', CROSS_MS, (p) => p.message.sessionId === customer.session.id);
  await sleep(200);
  clearEvents(op.socket, socket);
  return { op, customer: { ...customer, socket } };
}
