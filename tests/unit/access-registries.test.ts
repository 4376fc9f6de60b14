import { loadConfig } from '../../config';
import { buildSchemas } from '../../middleware/schemas';
import { mountGroup, type RouteSpec } from '../../routes/registry';
import type { Authenticator } from '../../services/access';
import type { CustomerClientEvents, OperatorClientEvents } from '../../services/contract';
import { customerEvents } from '../../src/realtime/customerNamespace';
import { eventTable, type EventSpec } from '../../src/realtime/handler';
import { operatorEvents } from '../../src/realtime/operatorNamespace';
import { registeredRoutes } from '../helpers/api';

/**
 * Fail-closed permissions (DESIGN.md decision 11): every REST route and every socket event declares who may
 * call it, the registries refuse one that does not, and each namespace's table holds every event the contract
 * names for it (no event reaches a handler without a rule, none the contract names goes unanswered).
 */

const config = loadConfig({ LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(48) });
const schemas = buildSchemas(config);
/** The services: never called while building the tables. */
const unused = <T>(): T =>
  new Proxy({}, {
    get: () => {
      throw new Error('a service was called while building a table');
    },
  }) as T;

const CUSTOMER_EVENTS: Record<keyof CustomerClientEvents, true> = {
  'message:send': true,
  'messages:sync': true,
  typing: true,
  'messages:read': true,
  'session:close': true,
  'session:rate': true,
  'session:transcript': true,
};
const OPERATOR_EVENTS: Record<keyof OperatorClientEvents, true> = {
  'status:set': true,
  'session:join': true,
  'message:send': true,
  'messages:sync': true,
  typing: true,
  'messages:read': true,
  'session:close': true,
  'session:transfer': true,
  'session:viewing': true,
};

describe('who may call what, declared everywhere', () => {
  it('every REST route declares an access rule', () => {
    const routes = registeredRoutes();
    expect(routes.length).toBeGreaterThan(20);
    for (const { key, spec } of routes) expect({ key, rule: spec.access?.kind }).toEqual({ key, rule: expect.stringMatching(/^(public|operator|admin|operatorOrSessionCustomer|sessionCustomer|signedLinkOrToken)$/) });
  });

  it('/customer: every contract event is in the table, each for its own session’s customer only', () => {
    const table = customerEvents({ schemas, chat: unused(), messages: unused(), transcripts: unused(), sessionBuckets: unused() });
    expect([...table.keys()].sort()).toEqual(Object.keys(CUSTOMER_EVENTS).sort());
    for (const [name, spec] of table) expect({ name, rule: spec.access }).toEqual({ name, rule: { kind: 'sessionCustomer', param: 'sessionId' } });
  });

  it('/operator: every contract event is in the table, each for operators only', () => {
    const table = operatorEvents({ schemas, chat: unused(), messages: unused(), operators: unused(), viewers: unused() });
    expect([...table.keys()].sort()).toEqual(Object.keys(OPERATOR_EVENTS).sort());
    for (const [name, spec] of table) expect({ name, rule: spec.access }).toEqual({ name, rule: { kind: 'operator' } });
  });

  it('start-up refuses a socket event without a rule', () => {
    const ruleless = { schema: {}, handle: async () => null } as unknown as EventSpec<object>;
    expect(() => eventTable('/customer', { 'message:send': ruleless })).toThrow('socket event /customer message:send has no access rule');
  });

  it('start-up refuses a route without a rule', () => {
    const ruleless = { method: 'get', path: '/open', summary: 'no rule', responds: { status: 200, data: 'x' }, handler: async () => undefined } as unknown as RouteSpec;
    expect(() => mountGroup({ prefix: '/api/test', tag: 'test', routes: [ruleless] }, unused<Authenticator>())).toThrow('route GET /api/test/open has no access rule');
  });
});
