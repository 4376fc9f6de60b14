import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { validateInput } from '../../middleware/validation';
import { describeEachBackend } from '../helpers/backends';
import type { TestServer } from '../helpers/testServer';
import { bearer, call, createAdmin, expectError, expectErrorEnvelope, fillPath, getSession, liveToken, pathParams, registeredRoutes, sampleBody, sampleQuery, type Customer, type RegisteredRoute, type SampleIds, type Staff, startApiServer } from '../helpers/api';
import { BODY_METHODS, badBodyValues, badParamValues, badQueryValues, describeValue, fieldsOf, seenOf, type Seen } from '../helpers/badInput';
import { smallPng, upload } from '../helpers/files';
import { assignedChat, onlineOperator } from '../helpers/scenarios';

/**
 * Bad input sent to every route of the registry, by a caller who is allowed, so that validation is what
 * answers: never a 5xx, always the failure envelope, 400 VALIDATION_ERROR naming the field. Nothing here is
 * accepted, so one server and one customer's session serve every route.
 */

const ROUTES = registeredRoutes();

describeEachBackend('bad input on every route', (backend) => {
  let server: TestServer;
  let url: string;
  let admin: Staff;
  let operator: Staff;
  let customer: Customer;
  /** An image in the customer's session, for the file routes. */
  let attachmentId: string;

  beforeAll(async () => {
    server = await startApiServer(backend);
    url = server.url;
    admin = await createAdmin(server);
    operator = await onlineOperator(url, admin.token, { maxConcurrentSessions: 10 });
    customer = await assignedChat(url, operator, { customerId: 'bad-input-customer', message: 'hello' });
    attachmentId = (await upload(url, customer.customerToken, customer.session.id, { bytes: await smallPng(), name: 'photo.png' })).body.data.attachment.id;
  });

  afterAll(async () => {
    await server?.close();
  });

  const ids = (): SampleIds => ({ sessionId: customer.session.id, assignedOperatorId: operator.id, loginEmail: operator.email });
  const validParams = (): Record<string, string> => ({ sessionId: customer.session.id, operatorId: String(operator.id), customerId: 'bad-input-customer', attachmentId, name: 'no-such-label', id: '1' });

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
          const res = await call(url, route.method, path, { token: await authorizedToken(route) }).query({ ...sampleQuery(route), [name]: value });
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
        const missing = fillPath(route.template, { ...validParams(), sessionId: randomUUID(), operatorId: '2147483647', customerId: 'nobody-has-this-id', attachmentId: randomUUID() });
        const res = await call(url, route.method, missing, { token, body: sampleBody(route, ids()) });
        if (route.template.includes(':customerId')) {
          // A customer without sessions is an empty list, an empty export or an erasure of nothing, not an error.
          expect(res.status).toBe(200);
          if (Array.isArray(res.body.data)) expect(res.body.data).toEqual([]);
          else expect(res.body.data).toMatchObject({ customerId: 'nobody-has-this-id', sessions: route.method === 'delete' ? 0 : [] });
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

  it('after all of the above the server still answers normally', async () => {
    const res = await request(url).get('/api/chat/sessions/history').set(bearer(await liveToken(url, admin)));
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThanOrEqual(1);
    expect(await getSession(url, customer.customerToken, customer.session.id)).toMatchObject({ id: customer.session.id });
  });
});
