import request from 'supertest';
import type { Express } from 'express';
import { describeEachBackend } from '../helpers/backends';
import { startTestServer, type TestServer } from '../helpers/testServer';

/** The parts of Express 5's router layers the walk needs (router 2.x keeps a mounted router's path in rawPath). */
interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean | undefined> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

interface Operation {
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required: boolean; schema: Record<string, unknown> }>;
  requestBody?: { content: { 'application/json': { schema: { required?: string[]; properties: Record<string, Record<string, unknown>> } } } };
  responses: Record<string, Record<string, unknown>>;
}

interface Document {
  openapi: string;
  info: { title: string; version: string };
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const join = (...parts: string[]): string => parts.join('/').replace(/\/+/g, '/').replace(/(.)\/$/, '$1') || '/';

/** Every METHOD + path the app mounts, found by walking the router stack and the routers mounted in it. */
function mountedEndpoints(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods).filter((m) => layer.route?.methods[m])) {
          for (const path of paths) found.push(`${method.toUpperCase()} ${join(prefix, path)}`);
        }
      } else if (Array.isArray(layer.handle?.stack)) {
        if (typeof layer.rawPath !== 'string') throw new Error('a router is mounted without a string path: cannot tell its prefix');
        walk(layer.handle.stack, join(prefix, layer.rawPath));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '/');
  return found.sort();
}

/** Express `:param` → OpenAPI `{param}`. */
const asOpenApi = (endpoint: string): string => endpoint.replace(/:(\w+)/g, '{$1}');

function documentedEndpoints(doc: Document): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

function operations(doc: Document): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path, op })));
}

/** Every `$ref` anywhere in the value. */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => (key === '$ref' && typeof v === 'string' ? [v] : refs(v)));
}

const SAMPLE_PARAMS: Record<string, string> = { sessionId: '3f1c2a6e-6a0c-4c3e-9a57-3d7e0f6b9c11', operatorId: '1', customerId: 'someone', attachmentId: '9b2e4c1a-2f3d-4e5a-8b6c-7d8e9f0a1b2c' };

interface ObjectSchema {
  required?: string[];
  properties: Record<string, Record<string, unknown>>;
}

/** The name a `{ $ref }` points at (`Session`), `Session[]` for an array of one, else undefined. */
function refName(schema: unknown): string | undefined {
  const s = (schema ?? {}) as { $ref?: string; type?: string; items?: unknown };
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop();
  if (s.type === 'array' && refName(s.items)) return `${refName(s.items)}[]`;
  return undefined;
}

/** The `data` schema of a JSON success envelope. */
const dataOf = (response: unknown): unknown =>
  (response as { content?: { 'application/json'?: { schema?: ObjectSchema } } }).content?.['application/json']?.schema?.properties.data;

describeEachBackend('OpenAPI document at /api/docs', (backend) => {
  let server: TestServer;
  let doc: Document;

  beforeAll(async () => {
    server = await startTestServer(backend);
    const res = await request(server.url).get('/api/docs').set('Accept', 'application/json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.body as Document;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('describes exactly what the app mounts: every route is documented and every documented route exists', () => {
    const mounted = mountedEndpoints(server.server.app).map(asOpenApi);
    const documented = documentedEndpoints(doc);
    expect(mounted.length).toBeGreaterThan(20);
    expect({ undocumented: mounted.filter((e) => !documented.includes(e)), notMounted: documented.filter((e) => !mounted.includes(e)) }).toEqual({
      undocumented: [],
      notMounted: [],
    });
    // The service endpoints and the docs themselves are in it too.
    expect(documented).toEqual(expect.arrayContaining(['GET /health', 'GET /ready', 'GET /api/docs', 'GET /api/docs.json']));
  });

  it('is a well-formed OpenAPI 3.0 document', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.stringMatching(/^\d+\.\d+\.\d+/) }));
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Session', 'Message', 'Operator', 'SessionEvent', 'Error']));
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });

    const tags = new Set(doc.tags.map((t) => t.name));
    for (const { method, path, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect({ where, summary: typeof op.summary === 'string' && op.summary.length > 0 }).toEqual({ where, summary: true });
      expect({ where, tagged: op.tags?.length === 1 && tags.has(op.tags[0] as string) }).toEqual({ where, tagged: true });
      expect({ where, success: Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)) }).toEqual({ where, success: true });
      // Every {param} of the path is declared as a required path parameter, and nothing else is.
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => (expect(p.required).toBe(true), p.name)).sort();
      expect({ where, declared }).toEqual({ where, declared: templated });
    }
    // Every reference points at something that exists.
    for (const target of new Set(refs(doc))) {
      const [, section, name] = /^#\/components\/(schemas|responses)\/(\w+)$/.exec(target) ?? [];
      expect({ target, resolves: Boolean(section && name && (doc.components[section as 'schemas' | 'responses'] as Record<string, unknown>)[name]) }).toEqual({
        target,
        resolves: true,
      });
    }
  });

  /** A component schema, or the one a `{ $ref }` points at. */
  const schema = (nameOrRef: string | unknown): Required<ObjectSchema> => {
    const name = typeof nameOrRef === 'string' ? nameOrRef : refName(nameOrRef);
    return doc.components.schemas[name as string] as Required<ObjectSchema>;
  };
  /** A response of an operation, or the shared one it refers to. */
  const response = (value: unknown): Record<string, unknown> => {
    const target = (value as { $ref?: string }).$ref;
    return (target ? doc.components.responses[target.split('/').pop() as string] : value) as Record<string, unknown>;
  };

  it('shapes and the error envelope follow PROTOCOL.md', () => {
    expect(schema('Session').required).toEqual(
      expect.arrayContaining(['id', 'status', 'customerId', 'operatorId', 'operator', 'createdAt', 'assignedAt', 'closedAt', 'lastMessageAt', 'rating']),
    );
    expect(schema('Session').required).not.toContain('queuePosition');
    expect(schema('Session').properties.status?.enum).toEqual(['waiting', 'active', 'closed']);
    expect(schema('Message').properties.senderType?.enum).toEqual(['customer', 'operator', 'system']);
    expect(schema('Operator').properties.status?.enum).toEqual(['online', 'busy', 'offline']);
    expect(Object.keys(schema('Operator').properties)).not.toEqual(expect.arrayContaining(['passwordHash']));
    expect(schema('Error').properties.success).toEqual({ type: 'boolean', enum: [false] });
    const error = schema(schema('Error').properties.error) as unknown as { properties: { code: { enum: string[] } } };
    expect(error.properties.code.enum).toEqual(expect.arrayContaining(['VALIDATION_ERROR', 'UNAUTHENTICATED', 'SESSION_CLOSED', 'RATE_LIMITED', 'INTERNAL']));
  });

  it('derives parameters and bodies from the validation schemas', () => {
    const post = doc.paths['/api/chat/sessions/{sessionId}/messages']?.post;
    const body = post?.requestBody?.content['application/json'].schema;
    expect(body?.required).toEqual(['content']);
    expect(body?.properties.type).toMatchObject({ type: 'string', enum: ['text'] });
    expect(post?.parameters).toEqual([expect.objectContaining({ name: 'sessionId', in: 'path', schema: { type: 'string', format: 'uuid' } })]);
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '401', '404', '409']));

    const list = doc.paths['/api/chat/messages/{sessionId}']?.get;
    expect(list?.parameters?.filter((p) => p.in === 'query').map((p) => [p.name, p.schema.type, p.required])).toEqual([
      ['after', 'integer', false],
      ['before', 'integer', false],
      ['limit', 'integer', false],
    ]);
    const history = doc.paths['/api/chat/sessions/history']?.get?.parameters ?? [];
    expect(history.find((p) => p.name === 'from')?.schema).toMatchObject({ type: 'string', format: 'date-time' });
    expect(history.find((p) => p.name === 'status')?.schema).toMatchObject({ enum: ['waiting', 'active', 'closed'] });
    // A cross-field rule (`_target`) is not a field.
    const transfer = doc.paths['/api/chat/sessions/{sessionId}/transfer']?.put?.requestBody?.content['application/json'].schema;
    expect(Object.keys(transfer?.properties ?? {}).sort()).toEqual(['department', 'operatorId']);
    // Rate-limited routes say so.
    expect(Object.keys(doc.paths['/api/chat/sessions']?.post?.responses ?? {})).toContain('429');
  });

  it('security matches the server: documented-public routes answer without a token, the others refuse with 401', async () => {
    for (const { method, path, op } of operations(doc)) {
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => SAMPLE_PARAMS[name] ?? 'x');
      const secured = (op.security ?? []).some((s) => 'bearerAuth' in s);
      const orSignedLink = (op.security ?? []).some((s) => 'signedLink' in s);
      const res = await request(server.url)[method as 'get' | 'post' | 'put' | 'patch'](url).send({});
      const where = `${method.toUpperCase()} ${path}`;
      if (orSignedLink) {
        // A file without its link or a token: nothing to learn, not even that it exists.
        expect({ where, status: res.status, documented: '404' in op.responses }).toEqual({ where, status: 404, documented: true });
      } else if (secured) {
        expect({ where, status: res.status, documented: '401' in op.responses }).toEqual({ where, status: 401, documented: true });
      } else {
        expect({ where, refused: res.status === 401 || res.status === 403, documented: op.security?.length === 0 }).toEqual({ where, refused: false, documented: true });
      }
    }
  });

  it('success answers name their contract shapes; no API route describes its data in free text', () => {
    const shapes: Record<string, string> = {
      'POST /api/auth/login': 'LoginResult',
      'GET /api/auth/me': 'Operator',
      'POST /api/chat/sessions': 'SessionTicket',
      'GET /api/chat/availability': 'Availability',
      'GET /api/chat/sessions/active': 'Session[]',
      'GET /api/chat/sessions/{sessionId}': 'Session',
      'POST /api/chat/sessions/{sessionId}/messages': 'Message',
      'GET /api/chat/sessions/{sessionId}/events': 'SessionEvent[]',
      'GET /api/chat/messages/{sessionId}': 'Message[]',
      'GET /api/operators': 'Operator[]',
      'GET /api/operators/stats': 'OperatorStats',
      'POST /api/operators/assign': 'Assignment',
      'GET /api/users/{customerId}/sessions': 'Session[]',
    };
    for (const path of ['/api/chat/attachments/{attachmentId}', '/api/chat/attachments/{attachmentId}/thumbnail']) {
      expect(doc.paths[path]?.get?.responses['200']).toMatchObject({ content: { '*/*': { schema: { type: 'string', format: 'binary' } } } });
    }
    for (const [key, shape] of Object.entries(shapes)) {
      const [method, path] = key.split(' ') as [string, string];
      const responses = doc.paths[path]?.[method.toLowerCase()]?.responses ?? {};
      const success = Object.keys(responses).find((s) => /^2\d\d$/.test(s)) as string;
      expect({ key, shape: refName(dataOf(responses[success])) }).toEqual({ key, shape });
    }
    for (const { method, path, op } of operations(doc).filter((o) => o.path.startsWith('/api/') && !o.path.startsWith('/api/docs'))) {
      for (const [status, answer] of Object.entries(op.responses).filter(([s]) => /^2\d\d$/.test(s))) {
        // A file is its bytes, not a shape in the envelope.
        if ((answer as { content?: Record<string, unknown> }).content?.['*/*']) continue;
        const data = dataOf(answer) as { properties?: unknown } | undefined;
        const where = `${method.toUpperCase()} ${path} ${status}`;
        expect({ where, shaped: Boolean(refName(data) ?? data?.properties) }).toEqual({ where, shaped: true });
      }
    }
  });

  it('lists the statuses the routes really answer, every failure in the error envelope, and a default 500 everywhere', () => {
    const responses = (method: string, path: string) => doc.paths[path]?.[method]?.responses ?? {};
    const login = responses('post', '/api/auth/login');
    expect(Object.keys(login)).toEqual(expect.arrayContaining(['200', '400', '401', '429']));
    expect(response(login['401']).description).toMatch(/^UNAUTHENTICATED: wrong email or password/);
    expect(response(login['429'])).toMatchObject({ headers: { 'Retry-After': expect.any(Object) } });

    const message = responses('post', '/api/chat/sessions/{sessionId}/messages');
    expect([refName(dataOf(message['201'])), refName(dataOf(message['200']))]).toEqual(['Message', 'Message']);
    expect(response(message['200']).description).toMatch(/clientMessageId/);

    const created = responses('post', '/api/chat/sessions');
    expect([refName(dataOf(created['201'])), refName(dataOf(created['200']))]).toEqual(['SessionTicket', 'SessionTicket']);
    expect(response(created['200']).description).toMatch(/IDENTITY_SECRET/);
    expect(response(created['401']).description).toMatch(/identityHash/);

    expect(Object.keys(responses('post', '/api/operators/assign'))).toEqual(expect.arrayContaining(['404', '409']));
    expect(Object.keys(responses('post', '/api/operators'))).toContain('409');

    expect(response({ $ref: '#/components/responses/Internal' }).description).toMatch(/^INTERNAL:/);
    for (const { method, path, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect({ where, default: response(op.responses.default ?? {}).description }).toEqual({ where, default: expect.stringMatching(/^INTERNAL:/) });
      for (const [status, answer] of Object.entries(op.responses).filter(([s]) => !/^2\d\d$/.test(s))) {
        const content = response(answer).content as Record<string, { schema: unknown }> | undefined;
        expect({ where, status, envelope: refName(content?.['application/json']?.schema) }).toEqual({ where, status, envelope: 'Error' });
      }
    }
  });

  it('serves the same document at /api/docs.json', async () => {
    const res = await request(server.url).get('/api/docs.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(doc);
  });

  it('serves a browsable HTML page by default that lists every endpoint, with no script for the CSP to block', async () => {
    const res = await request(server.url).get('/api/docs').set('Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers.vary).toMatch(/Accept/);
    const html = res.text;
    for (const { method, path } of operations(doc)) {
      expect({ path, listed: html.includes(`<span class="method ${method}">${method.toUpperCase()}</span> <code>${path}</code>`) }).toEqual({ path, listed: true });
    }
    expect(html).toContain('Who may call it');
    expect(html).not.toMatch(/<script/i);
    const bare = await request(server.url).get('/api/docs');
    expect(bare.headers['content-type']).toMatch(/^text\/html/);
  });
});
