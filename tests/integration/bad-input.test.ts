import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ParamSchema } from 'express-validator';
import { validateInput } from '../../middleware/validation';
import { describeEachBackend } from '../helpers/backends';
import type { TestServer } from '../helpers/testServer';
import {
  bearer,
  call,
  createAdmin,
  createOperator,
  createSession,
  expectError,
  expectErrorEnvelope,
  fillPath,
  getSession,
  liveToken,
  pathParams,
  registeredRoutes,
  sampleBody,
  setStatus,
  type Customer,
  type RegisteredRoute,
  type SampleIds,
  type Staff,
  startApiServer,
} from '../helpers/api';

/**
 * Bad input sent to every route of the registry, by a caller who is allowed, so that validation is what
 * answers: never a 5xx, always the failure envelope, 400 VALIDATION_ERROR naming the field.
 */

const ROUTES = registeredRoutes();
const HUGE = 'x'.repeat(10_001); // longer than any string field allows, well under the body limit
const NESTED = { nested: { deeper: [1, { a: 'b' }] } };
const BODY_METHODS = new Set(['post', 'put', 'patch']);

type Location = 'body' | 'query' | 'params';
type Kind = 'string' | 'integer' | 'array' | 'object' | 'boolean' | 'enum' | 'uuid' | 'date';

interface Field {
  name: string;
  location: Location;
  kind: Kind;
  required: boolean;
  schema: ParamSchema;
}

/** What the route's express-validator schema says about each field. */
function fieldsOf(route: RegisteredRoute): Field[] {
  const schema = route.spec.schema ?? {};
  return Object.entries(schema)
    .filter(([name]) => !name.startsWith('_')) // cross-field checks, not fields a client sends
    .map(([name, field]) => {
      const location = ((field.in as Location[] | undefined) ?? ['body'])[0] as Location;
      const has = (key: string): boolean => (field as Record<string, unknown>)[key] !== undefined;
      const kind: Kind = has('isUUID')
        ? 'uuid'
        : has('isInt')
          ? 'integer'
          : has('isArray')
            ? 'array'
            : has('isObject')
              ? 'object'
              : has('isBoolean')
                ? 'boolean'
                : has('isIn')
                  ? 'enum'
                  : has('isISO8601')
                    ? 'date'
                    : 'string';
      return { name, location, kind, required: !field.optional, schema: field };
    });
}

const intBounds = (field: Field): { min?: number; max?: number } =>
  ((field.schema.isInt as { options?: { min?: number; max?: number } } | undefined)?.options ?? {});

const enumValues = (field: Field): string[] => ((field.schema.isIn as { options?: string[][] } | undefined)?.options?.[0] ?? []) as string[];

/** Values that are wrong for a field sent in a JSON body. */
function badBodyValues(route: RegisteredRoute, field: Field): unknown[] {
  const common = [null, NESTED, [], true];
  switch (field.kind) {
    case 'string':
      return [...common, 123, 0, ['a'], HUGE, 'nul\u0000byte', ...formatCases(route, field.name)];
    case 'integer': {
      const { min = 0, max = 2 ** 31 } = intBounds(field);
      return [...common, '5', 'abc', 1.5, min - 1, max + 1, [1], HUGE];
    }
    case 'array':
      return [null, NESTED, true, 'sales', 123, [123], [null], ['<bad/>'], [HUGE], new Array(51).fill('a')];
    case 'object':
      return [null, [], true, 123, '{"a":1}', [NESTED], { big: 'x'.repeat(5000) }];
    case 'boolean':
      return [null, NESTED, [], 'true', 'false', 1, 0, [true]];
    case 'enum':
      return [...common, 'bogus', 123, (enumValues(field)[0] ?? '').toUpperCase() + '!', [enumValues(field)[0]], HUGE];
    case 'uuid':
      return [...common, 'abc', '../etc', '1 OR 1=1', 123, [randomUUID()], '00000000-0000-1000-8000-000000000000', HUGE];
    case 'date':
      return [...common, 'yesterday', 123];
  }
}

/** Values that are wrong for a field sent in the query string (always strings there, or repeated). */
function badQueryValues(field: Field): Array<string | string[]> {
  switch (field.kind) {
    case 'integer': {
      const { min = 0, max } = intBounds(field);
      const outOfRange = new Set([String(min - 1), '-1', ...(max === undefined ? [] : [String(max + 1)]), ...(max !== undefined && max < 1000 ? ['1000'] : [])]);
      return ['abc', '1.5', '', '1e3', '0x10', ...outOfRange, ['1', '2']];
    }
    case 'enum':
      return ['bogus', '', (enumValues(field)[0] ?? '').toUpperCase(), ['bogus', 'other']];
    case 'boolean':
      return ['maybe', '2', '', ['true', 'false']];
    case 'date':
      return ['yesterday', '2024-13-45', 'abc', ['2024-01-01', '2024-01-02']];
    default:
      return [HUGE, ['a', 'b'], 'nul\u0000byte', ...(field.name === 'cursor' ? ['not-a-cursor', Buffer.from('{"c":"x"}').toString('base64url')] : [])];
  }
}

/** Values that are wrong for a path parameter. */
function badParamValues(field: Field): string[] {
  switch (field.kind) {
    case 'uuid':
      return ['abc', '../etc', '1 OR 1=1', "' OR '1'='1", '00000000-0000-0000-0000-000000000000', '00000000-0000-1000-8000-000000000000', `${randomUUID()}x`, HUGE];
    case 'integer':
      return ['abc', '0', '-1', '1.5', '1e3', '0x1A', '99999999999', ' 1', '1 OR 1=1'];
    default:
      return [HUGE, 'nul\u0000byte'];
  }
}

/** Strings of the right type but the wrong form, for the fields that have a form. */
const FORMAT_CASES: Record<string, unknown[]> = {
  customerEmail: ['not-an-email'],
  email: ['not-an-email', ''],
  identityHash: ['not hex'],
  department: ['<b>sales</b>', ''],
  clientMessageId: ['has space', '', 'x'.repeat(65)],
  content: ['', '   ', '\n\t'],
  message: ['', '   '],
  customerId: ['has space', ''],
  password: ['short', ''],
  name: ['', '   '],
};

/** Login only checks presence: a malformed email is answered like an unknown one (401), and no password policy applies. */
const LOGIN_FORMAT_CASES: Record<string, unknown[]> = { email: [''], password: [''] };

function formatCases(route: RegisteredRoute, field: string): unknown[] {
  return (route.key === 'POST /api/auth/login' ? LOGIN_FORMAT_CASES : FORMAT_CASES)[field] ?? [];
}

const describeValue = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

/** What a response looked like, reduced to what the assertions compare. */
interface Seen {
  input: string;
  status: number;
  code?: string;
  fields?: string[];
}

const seenOf = (input: string, res: request.Response): Seen => ({
  input,
  status: res.status,
  code: res.body?.error?.code,
  fields: (res.body?.error?.details as Array<{ field: string }> | undefined)?.map((d) => d.field).filter((f) => !f.startsWith('_')),
});

describeEachBackend('bad input on every route', (backend) => {
  let server: TestServer;
  let url: string;
  let admin: Staff;
  let operator: Staff;
  let customer: Customer;

  beforeAll(async () => {
    server = await startApiServer(backend);
    url = server.url;
    admin = await createAdmin(server);
    operator = await createOperator(url, admin.token, { maxConcurrentSessions: 10 });
    await setStatus(url, operator.token, operator.id, 'online');
    customer = await createSession(url, { customerId: 'bad-input-customer', message: 'hello' });
  });

  afterAll(async () => {
    await server?.close();
  });

  const ids = (): SampleIds => ({ sessionId: customer.session.id, assignedOperatorId: operator.id, loginEmail: operator.email });
  const validParams = (): Record<string, string> => ({ sessionId: customer.session.id, operatorId: String(operator.id), customerId: 'bad-input-customer' });

  /** The caller that passes authorization on this route: its customer where only they may call, else an admin. */
  async function authorizedToken(route: RegisteredRoute): Promise<string | undefined> {
    switch (route.spec.access.kind) {
      case 'public':
        return undefined;
      case 'sessionCustomer':
        return customer.customerToken;
      default:
        return liveToken(url, admin);
    }
  }

  /** Every 4xx is the envelope; nothing is ever a 5xx. */
  function expectClientError(res: request.Response, input: string): void {
    expect({ input, status: res.status < 500 ? 'not 5xx' : res.status }).toEqual({ input, status: 'not 5xx' });
    if (res.status >= 400) expectErrorEnvelope(res);
  }

  describe.each(ROUTES.map((route) => [route.key, route] as const))('%s', (_key, route) => {
    const fields = fieldsOf(route);
    const bodyFields = fields.filter((f) => f.location === 'body');
    const queryFields = fields.filter((f) => f.location === 'query');
    const paramFields = fields.filter((f) => f.location === 'params');
    const takesBody = BODY_METHODS.has(route.method);

    it('every path parameter is validated by the schema', () => {
      expect(pathParams(route.template).sort()).toEqual(paramFields.map((f) => f.name).sort());
    });

    if (takesBody && route.spec.schema) {
      it('the sample body used below passes validation (so each case below fails for one field only)', async () => {
        await expect(validateInput(route.spec.schema!, { body: sampleBody(route, ids()) ?? {}, params: validParams(), query: {} })).resolves.toBeDefined();
      });
    }

    if (takesBody) {
      it('malformed JSON, and a JSON body that is not an object', async () => {
        const path = fillPath(route.template, validParams());
        const token = await authorizedToken(route);
        for (const raw of ['{"content": ', "{'single': 'quotes'}", '"just a string"', 'null', '42', 'true', '{"a":1}}']) {
          const res = await call(url, route.method, path, { token, rawBody: raw });
          expect(seenOf(raw, res)).toEqual({ input: raw, status: 400, code: 'VALIDATION_ERROR', fields: ['body'] });
          expectErrorEnvelope(res);
        }
        for (const raw of ['[]', '[{"content":"x","status":"online"}]']) {
          const res = await call(url, route.method, path, { token: await authorizedToken(route), rawBody: raw });
          if (route.spec.schema) {
            expect(seenOf(raw, res)).toEqual({ input: raw, status: 400, code: 'VALIDATION_ERROR', fields: ['body'] });
            expectErrorEnvelope(res);
          } else {
            // A route that takes no input ignores the body; it must still never fail.
            expectClientError(res, raw);
          }
        }
      });

      it('a body over the size limit is 413 PAYLOAD_TOO_LARGE', async () => {
        const res = await call(url, route.method, fillPath(route.template, validParams()), {
          token: await authorizedToken(route),
          body: { content: 'x'.repeat(server.config.bodyLimitBytes + 1), name: 'y' },
        });
        expectError(res, 413, 'PAYLOAD_TOO_LARGE');
      });
    }

    if (bodyFields.length > 0) {
      it.each(bodyFields.map((f) => [f.name, f] as const))('body field %s: wrong types, forms and sizes are 400 naming it', async (name, field) => {
        const base = sampleBody(route, ids()) ?? {};
        const path = fillPath(route.template, validParams());
        const seen: Seen[] = [];
        const expected: Seen[] = [];
        for (const value of badBodyValues(route, field)) {
          const input = `${name}=${describeValue(value)}`;
          const res = await call(url, route.method, path, { token: await authorizedToken(route), body: { ...base, [name]: value } });
          seen.push(seenOf(input, res));
          expected.push({ input, status: 400, code: 'VALIDATION_ERROR', fields: [name] });
          if (res.status >= 400) expectErrorEnvelope(res);
        }
        expect(seen).toEqual(expected);
      });
    }

    const required = bodyFields.filter((f) => f.required);
    if (required.length > 0) {
      it.each(required.map((f) => [f.name] as const))('a missing %s is 400 naming it', async (name) => {
        const rest = { ...sampleBody(route, ids()) };
        delete rest[name];
        const res = await call(url, route.method, fillPath(route.template, validParams()), { token: await authorizedToken(route), body: rest });
        expect(seenOf(`without ${name}`, res)).toEqual({ input: `without ${name}`, status: 400, code: 'VALIDATION_ERROR', fields: [name] });
        expectErrorEnvelope(res);
      });
    }

    if (queryFields.length > 0) {
      it.each(queryFields.map((f) => [f.name, f] as const))('query %s: out of range, wrong form or repeated is 400 naming it', async (name, field) => {
        const path = fillPath(route.template, validParams());
        const seen: Seen[] = [];
        const expected: Seen[] = [];
        for (const value of badQueryValues(field)) {
          const input = `${name}=${describeValue(value)}`;
          const res = await call(url, route.method, path, { token: await authorizedToken(route) }).query({ [name]: value });
          seen.push(seenOf(input, res));
          expected.push({ input, status: 400, code: 'VALIDATION_ERROR', fields: [name] });
          if (res.status >= 400) expectErrorEnvelope(res);
        }
        expect(seen).toEqual(expected);
      });
    }

    if (paramFields.length > 0) {
      // Where only the session's customer may call, any other id is simply not theirs: 404, whatever its form.
      const refusal: Omit<Seen, 'input'> =
        route.spec.access.kind === 'sessionCustomer' ? { status: 404, code: 'NOT_FOUND', fields: undefined } : { status: 400, code: 'VALIDATION_ERROR' };
      it.each(paramFields.map((f) => [f.name, f] as const))(`path :%s that is not an id is ${refusal.status} ${refusal.code}`, async (name, field) => {
        const seen: Seen[] = [];
        const expected: Seen[] = [];
        for (const value of badParamValues(field)) {
          const input = `:${name}=${describeValue(value)}`;
          const path = fillPath(route.template, { ...validParams(), [name]: value });
          const res = await call(url, route.method, path, { token: await authorizedToken(route), body: sampleBody(route, ids()) });
          seen.push(seenOf(input, res));
          expected.push({ input, fields: [name], ...refusal });
          if (res.status >= 400) expectErrorEnvelope(res);
        }
        expect(seen).toEqual(expected);
      });
    }

    if (route.spec.access.kind === 'operatorOrSessionCustomer') {
      it('the same bad bodies and queries from the session’s own customer are refused the same way', async () => {
        const path = fillPath(route.template, validParams());
        const base = sampleBody(route, ids()) ?? {};
        for (const field of bodyFields) {
          for (const value of badBodyValues(route, field)) {
            const res = await call(url, route.method, path, { token: customer.customerToken, body: { ...base, [field.name]: value } });
            const input = `${field.name}=${describeValue(value)}`;
            expect(seenOf(input, res)).toEqual({ input, status: 400, code: 'VALIDATION_ERROR', fields: [field.name] });
          }
        }
        for (const field of queryFields) {
          for (const value of badQueryValues(field)) {
            const res = await call(url, route.method, path, { token: customer.customerToken }).query({ [field.name]: value });
            const input = `${field.name}=${describeValue(value)}`;
            expect(seenOf(input, res)).toEqual({ input, status: 400, code: 'VALIDATION_ERROR', fields: [field.name] });
          }
        }
        // A malformed session id is not theirs either: the customer learns nothing, and nothing fails.
        for (const value of ['abc', '../etc', '1 OR 1=1']) {
          const res = await call(url, route.method, fillPath(route.template, { ...validParams(), sessionId: value }), { token: customer.customerToken, body: base });
          expect(res.status).toBeGreaterThanOrEqual(400);
          expectClientError(res, value);
        }
      });
    }

    it('a well-formed id that does not exist is 404 NOT_FOUND, and odd but valid strings never fail', async () => {
      if (paramFields.length === 0) return;
      const token = await authorizedToken(route);
      if (route.spec.access.kind !== 'sessionCustomer') {
        const missing = fillPath(route.template, { ...validParams(), sessionId: randomUUID(), operatorId: '2147483647', customerId: 'nobody-has-this-id' });
        const res = await call(url, route.method, missing, { token, body: sampleBody(route, ids()) });
        if (route.template.includes(':customerId')) {
          // A customer without sessions is an empty list, not an error.
          expect(res.status).toBe(200);
          expect(res.body.data).toEqual([]);
        } else {
          expectError(res, 404, 'NOT_FOUND');
        }
      }
      for (const odd of ["'; DROP TABLE chat_sessions; --", 'ü🙂', '%', '..', 'a/b', '"quoted"', '\\']) {
        if (!route.template.includes(':customerId')) break;
        const res = await call(url, route.method, fillPath(route.template, { ...validParams(), customerId: odd }), { token });
        expectClientError(res, odd);
      }
    });
  });

  describe('unknown fields are ignored, never stored', () => {
    it('a new session cannot choose its id, status, operator, rating or token', async () => {
      const chosenId = randomUUID();
      const res = await request(url)
        .post('/api/chat/sessions')
        .send({ id: chosenId, status: 'closed', operatorId: 999, rating: 5, customerTokenHash: 'f'.repeat(64), customerName: 'Mallory' });
      expect(res.status).toBe(201);
      const session = res.body.data.session;
      expect(session.id).not.toBe(chosenId);
      expect(session).toMatchObject({ customerName: 'Mallory', rating: null });
      expect(['waiting', 'active']).toContain(session.status);
      expect(session.operatorId === null || session.operatorId === operator.id).toBe(true);
      expect(await getSession(url, res.body.data.customerToken, session.id)).toMatchObject({ id: session.id });
    });

    it('a new operator cannot choose their load, token version or disabled flag', async () => {
      const res = await request(url)
        .post('/api/operators')
        .set(bearer(await liveToken(url, admin)))
        .send({ name: 'Fresh', email: `fresh.${randomUUID().slice(0, 8)}@example.com`, password: 'long-enough-pass', activeSessions: 99, status: 'online', passwordHash: 'x', tokenVersion: 7, id: 1 });
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({ activeSessions: 0, status: 'offline', role: 'operator' });
      expect(res.body.data.id).not.toBe(1);
    });
  });

  it('after all of the above the server still answers normally', async () => {
    const res = await request(url).get('/api/chat/sessions/history').set(bearer(await liveToken(url, admin)));
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThanOrEqual(1);
    expect(await getSession(url, customer.customerToken, customer.session.id)).toMatchObject({ id: customer.session.id });
  });
});
