import request from 'supertest';
import { availableBackends, type Backend, type ProvisionedBackend } from '../helpers/backends';
import { bearer, createAdmin, createOperator, createSession, setStatus, type Customer, type Staff } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/testServer';

/**
 * PROTOCOL.md invariant 5: two changes to one session at once end as if they had run one after the other, on
 * any process. For each pair among {close, transfer, claim, routing pass, requeue, rate}, the two are fired at
 * the same session at once, one on each process of a deployment (two on MariaDB + Redis, one on SQLite), many
 * times. Each outcome (both answers and the session afterwards) must be one of those the two give when run one
 * after the other, in either order, measured on the same deployment; the operators' load counters and open
 * assignments must equal the sessions they really hold; and no answer lies (defect: a close racing an
 * assignment was refused as SESSION_CLOSED while the session stayed open).
 *
 * Routing is made deterministic: manual by default (sessions stay waiting until something routes them), one
 * operator online (X, the only one a routing pass can choose), one busy (Y, who can still be given sessions).
 */

type Action = 'close' | 'transfer' | 'claim' | 'route' | 'requeue' | 'rate';
const ACTIONS: Action[] = ['close', 'transfer', 'claim', 'route', 'requeue', 'rate'];
const RUNS = Number(process.env.RACE_RUNS ?? 8);

interface Deployment {
  provisioned: ProvisionedBackend;
  servers: TestServer[];
  admin: Staff;
  x: Staff;
  y: Staff;
}

/** What one action answered, as a user would tell it apart: the HTTP status and error code. */
type Answer = string;

interface Outcome {
  answers: [Answer, Answer];
  /** The session afterwards: status, holder (X, Y or nobody), rated or not. */
  after: string;
}

async function deploy(backend: Backend): Promise<Deployment> {
  const provisioned = await backend.provision();
  const env = { ASSIGNMENT_STRATEGY: 'manual', OPERATOR_PRESENCE_GRACE_SECONDS: '3600', SESSION_IDLE_TIMEOUT_MINUTES: '0' };
  const first = await startTestServer(backend, { provisioned, env });
  const servers = [first];
  // SQLite in memory belongs to one process; MariaDB + Redis is shared by two, as under pm2.
  if (backend.name !== 'sqlite') servers.push(await startTestServer(backend, { provisioned, env }));
  const admin = await createAdmin(first);
  const x = await createOperator(first.url, admin.token, { name: 'Xena', maxConcurrentSessions: 100 });
  const y = await createOperator(first.url, admin.token, { name: 'Yuri', maxConcurrentSessions: 100 });
  await setStatus(first.url, x.token, x.id, 'online');
  await setStatus(first.url, y.token, y.id, 'busy');
  return { provisioned, servers, admin, x, y };
}

const answerOf = (res: request.Response): Answer => (res.status < 300 ? String(res.status) : `${res.status} ${String(res.body?.error?.code)}`);

/** Runs one action on one process. */
async function act(d: Deployment, server: TestServer, action: Action, customer: Customer): Promise<Answer> {
  const id = customer.session.id;
  const http = request(server.url);
  switch (action) {
    case 'close':
      return answerOf(await http.put(`/api/chat/sessions/${id}/close`).set(bearer(customer.customerToken)).send({}));
    case 'transfer':
      return answerOf(await http.put(`/api/chat/sessions/${id}/transfer`).set(bearer(d.admin.token)).send({ operatorId: d.y.id }));
    case 'claim':
      return answerOf(await http.post('/api/operators/assign').set(bearer(d.x.token)).send({ sessionId: id, operatorId: d.x.id }));
    case 'route':
      return answerOf(await http.post('/api/operators/assign').set(bearer(d.admin.token)).send({ sessionId: id, strategy: 'least-busy' }));
    case 'requeue':
      return (await server.server.assigner.requeue(id, d.x.id, 'no reply in time', { keepAway: true })) ? 'requeued' : 'unchanged';
    case 'rate':
      return answerOf(await http.post(`/api/chat/sessions/${id}/rating`).set(bearer(customer.customerToken)).send({ rating: 4 }));
  }
}

/** A session in the state the pair starts from: waiting when either takes a waiting session, closed for two ratings, else with X. */
async function prepare(d: Deployment, pair: [Action, Action]): Promise<Customer> {
  const [first] = d.servers;
  const customer = await createSession(first!.url, { customerName: 'Racing Rita' });
  const start = pair.includes('claim') || pair.includes('route') ? 'waiting' : pair[0] === 'rate' && pair[1] === 'rate' ? 'closed' : 'active';
  if (start !== 'waiting') expect(await act(d, first!, 'claim', customer)).toBe('200');
  if (start === 'closed') expect(await act(d, first!, 'close', customer)).toBe('200');
  return customer;
}

/** The session afterwards, as compared; then closed, so that the operators' seats never run out over the runs. */
async function settle(d: Deployment, customer: Customer): Promise<string> {
  const row = await d.servers[0]!.server.db.models.ChatSession.findByPk(customer.session.id);
  const holder = row?.operatorId === d.x.id ? 'X' : row?.operatorId === d.y.id ? 'Y' : row?.operatorId == null ? '-' : 'other';
  const state = `${row?.status} ${holder}${row?.rating ? ' rated' : ''}`;
  if (row?.status !== 'closed') expect(await act(d, d.servers[0]!, 'close', customer)).toBe('200');
  return state;
}

/** Each operator's counter equals the sessions they hold, and each held session has exactly one open assignment, theirs. */
async function expectCountersTrue(d: Deployment): Promise<void> {
  const { Operator, ChatSession, SessionAssignment } = d.servers[0]!.server.db.models;
  for (const staff of [d.x, d.y]) {
    const operator = await Operator.findByPk(staff.id);
    const held = await ChatSession.count({ where: { status: 'active', operatorId: staff.id } });
    const open = await SessionAssignment.count({ where: { operatorId: staff.id, endedAt: null } });
    expect({ operator: staff.id, activeSessions: operator?.activeSessions, open }).toEqual({ operator: staff.id, activeSessions: held, open: held });
  }
  expect(await SessionAssignment.count({ where: { endedAt: null } })).toBe(await ChatSession.count({ where: { status: 'active' } }));
}

function pairs(): Array<[Action, Action]> {
  const all: Array<[Action, Action]> = [];
  ACTIONS.forEach((a, i) => ACTIONS.slice(i).forEach((b) => all.push([a, b])));
  return all;
}

for (const backend of availableBackends()) {
  describe(`concurrent changes to one session end as if one after the other [${backend.name}]`, () => {
    let d: Deployment;
    beforeAll(async () => {
      d = await deploy(backend);
    }, 120_000);
    afterAll(async () => {
      for (const server of d?.servers ?? []) await server.close();
      await d?.provisioned.dispose();
    });

    it.each(pairs())('%s and %s at once', async (a, b) => {
      const [first, second] = [d.servers[0]!, d.servers[d.servers.length - 1]!];
      // What the two give one after the other, in each order.
      const sequential: Outcome[] = [];
      for (const [p, q] of [
        [a, b],
        [b, a],
      ] as Array<[Action, Action]>) {
        const customer = await prepare(d, [a, b]);
        const answers = [await act(d, first, p, customer), await act(d, second, q, customer)];
        // Answers listed as (a, b) whatever ran first, so both orders compare alike.
        const after = await settle(d, customer);
        sequential.push({ answers: (p === a && (a !== b || sequential.length === 0) ? answers : answers.reverse()) as [Answer, Answer], after });
      }
      for (let run = 0; run < RUNS; run++) {
        const customer = await prepare(d, [a, b]);
        const answers = await Promise.all([act(d, first, a, customer), act(d, second, b, customer)]);
        const outcome: Outcome = { answers, after: await settle(d, customer) };
        expect(sequential).toContainEqual(outcome);
      }
      await expectCountersTrue(d);
    });
  });
}
