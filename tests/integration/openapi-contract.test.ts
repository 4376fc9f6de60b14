import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  ERROR_STATUS,
  MESSAGE_TYPES,
  OPERATOR_ROLES,
  OPERATOR_STATUSES,
  SESSION_EVENT_TYPES,
  SESSION_STATUSES,
  type AssignmentDTO,
  type LabelDTO,
  type CannedResponseDTO,
  type AttachmentDTO,
  type Availability,
  type Envelope,
  type ErrorBody,
  type FieldProblem,
  type LoginResult,
  type MessageDTO,
  type OperatorDTO,
  type OperatorFigures,
  type OperatorRef,
  type OperatorStats,
  type SearchResultDTO,
  type SettingsDTO,
  type TranscriptDTO,
  type CustomerExportDTO,
  type ErasureDTO,
  type AuditEntryDTO,
  type SessionDTO,
  type SessionEventDTO,
  type SessionTicketDTO,
} from '../../services/contract';
import { createAdmin } from '../helpers/api';
import { describeEachBackend } from '../helpers/backends';
import { startTestServer, type TestServer } from '../helpers/testServer';

/**
 * The OpenAPI component schemas against the contract (services/contract). One sample of each DTO, typed as the
 * DTO with its optional fields made required, so tsc keeps each sample complete: its keys must be exactly the
 * schema's properties, at every depth. Then the running server's answers are checked against the same schemas.
 */

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  enum?: unknown[];
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
}

const T = '2026-01-02T03:04:05.000Z';
const operatorRef: Required<OperatorRef> = { id: 1, name: 'Olga' };
const attachment: Required<AttachmentDTO> = { id: randomUUID(), fileName: 'a.png', contentType: 'image/png', size: 10, width: 2, height: 2, url: '/f/1', thumbnailUrl: '/f/1/t' };
const session: Required<SessionDTO> = {
  id: randomUUID(),
  status: 'active',
  customerId: 'c-1',
  customerName: 'Cas',
  customerEmail: 'cas@example.com',
  department: 'sales',
  metadata: { page: '/' },
  operatorId: 1,
  operator: operatorRef,
  createdAt: T,
  assignedAt: T,
  closedAt: T,
  closedBy: 'operator',
  closeReason: 'done',
  lastMessageAt: T,
  rating: 5,
  ratingComment: 'thanks',
  queuePosition: 1,
  labels: ['vip'],
  offline: false,
  erasedAt: null,
};
const message: Required<MessageDTO> = {
  ...{ id: 1, sessionId: session.id, senderType: 'operator', senderId: '1', senderName: 'Olga', type: 'image', content: 'see' },
  ...{ clientMessageId: 'm-1', createdAt: T, readAt: T, internal: false, attachment },
};
const operator: Required<OperatorDTO> = {
  ...{ id: 1, name: 'Olga', email: 'olga@example.com', role: 'operator', status: 'online', maxConcurrentSessions: 5 },
  ...{ departments: ['sales'], activeSessions: 1, lastAssignedAt: T, lastSeenAt: T, disabled: false },
};
const event: Required<SessionEventDTO> = { id: 1, type: 'assigned', operatorId: 1, detail: { strategy: 'least-busy' }, createdAt: T };
const availability: Required<Availability> = { online: true, availableOperators: 1, waiting: 0, estimatedWaitSeconds: 0, withinBusinessHours: false, nextOpenAt: T, maxMessageLength: 5000 };
const figures: Required<OperatorFigures> = { operatorId: 1, name: 'Olga', status: 'busy', activeSessions: 1, closedToday: 2, avgFirstResponseSeconds: 3.5, avgRating: 4.5 };
const stats: Required<OperatorStats> = { operators: [figures], overall: { waiting: 1, active: 2, avgWaitSeconds: 4 } };
const fieldProblem: Required<FieldProblem> = { field: 'content', message: 'must not be blank' };
const errorBody: Required<ErrorBody> = { code: 'VALIDATION_ERROR', message: 'Invalid', details: [fieldProblem] };

/** Component name → a complete sample and the keys its type leaves optional. */
const SAMPLES: Record<string, { sample: object; optional?: string[] }> = {
  Session: { sample: session, optional: ['queuePosition'] },
  OperatorRef: { sample: operatorRef },
  Message: { sample: message },
  Attachment: { sample: attachment },
  Operator: { sample: operator },
  SessionEvent: { sample: event },
  Availability: { sample: availability },
  OperatorStats: { sample: stats },
  OperatorFigures: { sample: figures },
  LoginResult: { sample: { token: 'jwt', operator } satisfies Required<LoginResult> },
  SessionTicket: { sample: { session, customerToken: 'secret' } satisfies Required<SessionTicketDTO> },
  Assignment: { sample: { session, operator } satisfies Required<AssignmentDTO> },
  CannedResponse: { sample: { id: 1, shortcut: 'hello', content: 'Hello {{customer.name}}', scope: 'shared', department: null, ownerId: null } satisfies Required<CannedResponseDTO> },
  Label: { sample: { name: 'billing', color: '#ff8800' } satisfies Required<LabelDTO> },
  Transcript: { sample: { email: 'nina@example.com' } satisfies Required<TranscriptDTO> },
  CustomerExport: { sample: { customerId: 'c-1', exportedAt: T, sessions: [{ session, messages: [message], events: [event] }] } satisfies Required<CustomerExportDTO> },
  Erasure: { sample: { customerId: 'c-1', sessionId: null, sessions: 2, messages: 14, attachments: 1 } satisfies Required<ErasureDTO> },
  AuditEntry: {
    sample: { id: 1, at: T, actor: { id: 1, name: 'Ada' }, action: 'customer.erased', target: { type: 'customer', id: 'c-1' }, detail: { sessions: 2 } } satisfies Required<AuditEntryDTO>,
  },
  Settings: {
    sample: {
      businessHours: { timezone: 'Europe/Paris', week: [{ day: 'mon', open: '09:00', close: '17:30' }], closedDates: ['2026-12-25'] },
      offlineNotifyEmails: ['team@example.com'],
      departments: [{ name: 'sales', offlineNotifyEmails: ['sales@example.com'] }],
    } satisfies Required<SettingsDTO>,
  },
  SearchResult: { sample: { session, message, snippet: '…see the invoice' } satisfies Required<SearchResultDTO> },
  FieldProblem: { sample: fieldProblem },
  ErrorBody: { sample: errorBody, optional: ['details'] },
  Error: { sample: { success: false, error: errorBody } satisfies Required<Extract<Envelope<unknown>, { success: false }>> },
};

const IDENTITY_SECRET = 'openapi-contract-identity-secret';
const identityHash = (customerId: string): string => createHmac('sha256', IDENTITY_SECRET).update(customerId).digest('hex');
const sorted = (keys: Iterable<string>): string[] => [...keys].sort();

describeEachBackend('OpenAPI component schemas follow the contract', (backend) => {
  let server: TestServer;
  let schemas: Record<string, Schema>;

  beforeAll(async () => {
    server = await startTestServer(backend, { env: { IDENTITY_SECRET } });
    const res = await request(server.url).get('/api/docs.json');
    expect(res.status).toBe(200);
    schemas = (res.body as { components: { schemas: Record<string, Schema> } }).components.schemas;
  });
  afterAll(async () => {
    await server?.close();
  });

  const resolve = (schema: Schema): Schema => (schema.$ref ? (schemas[schema.$ref.split('/').pop() as string] as Schema) : schema);

  /** Where a value departs from a schema: a missing or unknown field, a null, a type or an enum member. */
  function problems(value: unknown, raw: Schema, where: string): string[] {
    let schema = resolve(raw);
    if (schema.allOf?.length === 1) schema = { ...resolve(schema.allOf[0] as Schema), nullable: schema.nullable };
    if (value === null) return schema.nullable ? [] : [`${where} is null`];
    if (schema.enum && !schema.enum.includes(value)) return [`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
    const kinds: Record<string, (v: unknown) => boolean> = {
      string: (v) => typeof v === 'string',
      integer: Number.isInteger,
      number: (v) => typeof v === 'number',
      boolean: (v) => typeof v === 'boolean',
      array: Array.isArray,
      object: (v) => typeof v === 'object' && !Array.isArray(v),
    };
    if (!kinds[schema.type as string]?.(value)) return [`${where}: ${JSON.stringify(value)} is not ${schema.type}`];
    if (schema.type === 'array') return (value as unknown[]).flatMap((item, i) => problems(item, schema.items as Schema, `${where}[${i}]`));
    if (!schema.properties) return [];
    const keys = Object.keys(value as object);
    return [
      ...(schema.required ?? []).filter((k) => !keys.includes(k)).map((k) => `${where}.${k} is missing`),
      ...keys.filter((k) => !schema.properties?.[k]).map((k) => `${where}.${k} is not in the schema`),
      ...keys.flatMap((k) => (schema.properties?.[k] ? problems((value as Record<string, unknown>)[k], schema.properties[k], `${where}.${k}`) : [])),
    ];
  }

  it('every component has a sample, and every sample a component', () => {
    expect(sorted(Object.keys(schemas))).toEqual(sorted(Object.keys(SAMPLES)));
  });

  it("each schema's properties are exactly the DTO's fields; required are all but the optional ones; samples conform at every depth", () => {
    for (const [name, { sample, optional = [] }] of Object.entries(SAMPLES)) {
      const schema = schemas[name] as Schema;
      expect({ name, properties: sorted(Object.keys(schema.properties ?? {})) }).toEqual({ name, properties: sorted(Object.keys(sample)) });
      expect({ name, required: sorted(schema.required ?? []) }).toEqual({ name, required: sorted(Object.keys(sample).filter((k) => !optional.includes(k))) });
      expect({ name, problems: problems(sample, schema, name) }).toEqual({ name, problems: [] });
    }
    // A nested shape refers to its own component (a reference that may be null is wrapped in allOf).
    const property = (name: string, field: string): Schema => schemas[name]?.properties?.[field] as Schema;
    expect(property('Session', 'operator')).toMatchObject({ allOf: [{ $ref: '#/components/schemas/OperatorRef' }], nullable: true });
    expect(property('Message', 'attachment')).toMatchObject({ allOf: [{ $ref: '#/components/schemas/Attachment' }], nullable: true });
    expect(property('OperatorStats', 'operators')).toMatchObject({ type: 'array', items: { $ref: '#/components/schemas/OperatorFigures' } });
    expect(property('LoginResult', 'operator')).toEqual({ $ref: '#/components/schemas/Operator' });
    expect(property('SessionTicket', 'session')).toEqual({ $ref: '#/components/schemas/Session' });
    expect(property('Assignment', 'operator')).toEqual({ $ref: '#/components/schemas/Operator' });
    expect(property('Error', 'error')).toEqual({ $ref: '#/components/schemas/ErrorBody' });
    expect(property('Session', 'labels')).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(property('Session', 'offline')).toMatchObject({ type: 'boolean' });
    expect(property('Message', 'senderName')).toMatchObject({ type: 'string', nullable: true });
    expect(property('Message', 'internal')).toMatchObject({ type: 'boolean' });
    expect(property('LoginResult', 'token')).toMatchObject({ type: 'string' });
    // And a value of the wrong kind is caught, so the checks above can fail.
    expect(problems({ ...availability, online: 'yes' }, { $ref: '#/components/schemas/Availability' }, 'x')).toHaveLength(1);
  });

  it("enums are the contract's own lists", () => {
    const values = (name: string, field: string): unknown => schemas[name]?.properties?.[field]?.enum;
    expect(values('Session', 'status')).toEqual([...SESSION_STATUSES]);
    expect(values('Message', 'type')).toEqual([...MESSAGE_TYPES]);
    expect(values('Operator', 'role')).toEqual([...OPERATOR_ROLES]);
    expect(values('Operator', 'status')).toEqual([...OPERATOR_STATUSES]);
    expect(values('OperatorFigures', 'status')).toEqual([...OPERATOR_STATUSES]);
    expect(values('SessionEvent', 'type')).toEqual([...SESSION_EVENT_TYPES]);
    expect(values('ErrorBody', 'code')).toEqual(Object.keys(ERROR_STATUS));
  });

  it("the server's answers conform to their schemas, with the statuses the document gives", async () => {
    const expectShape = (value: unknown, name: string): void => expect(problems(value, { $ref: `#/components/schemas/${name}` }, name)).toEqual([]);
    const admin = await createAdmin(server);
    const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

    const refused = await request(server.url).post('/api/auth/login').send({ email: admin.email, password: 'not-the-password' });
    expect(refused.status).toBe(401);
    expectShape(refused.body, 'Error');
    const login = await request(server.url).post('/api/auth/login').send({ email: admin.email, password: admin.password });
    expectShape(login.body.data, 'LoginResult');
    expectShape((await request(server.url).get('/api/chat/availability')).body.data, 'Availability');
    expectShape((await request(server.url).get('/api/operators/stats').set(bearer(admin.token))).body.data, 'OperatorStats');

    const customerId = `openapi-${randomUUID()}`;
    const forged = await request(server.url).post('/api/chat/sessions').send({ customerId, identityHash: identityHash('someone else') });
    expect(forged.status).toBe(401);
    const first = await request(server.url).post('/api/chat/sessions').send({ customerId, identityHash: identityHash(customerId) });
    expect(first.status).toBe(201);
    expectShape(first.body.data, 'SessionTicket');
    const again = await request(server.url).post('/api/chat/sessions').send({ customerId, identityHash: identityHash(customerId) });
    expect([again.status, again.body.data.session.id]).toEqual([200, first.body.data.session.id]);

    const url = `/api/chat/sessions/${first.body.data.session.id as string}/messages`;
    const send = () => request(server.url).post(url).set(bearer(again.body.data.customerToken as string)).send({ content: 'hello', clientMessageId: 'openapi-1' });
    const sent = await send();
    const retried = await send();
    expect([sent.status, retried.status, retried.body.data.id]).toEqual([201, 200, sent.body.data.id]);
    expectShape(retried.body.data, 'Message');

    const sessionId = first.body.data.session.id as string;
    const sessions = await request(server.url).get(`/api/users/${customerId}/sessions`).set(bearer(admin.token));
    expect(sessions.body.data).toHaveLength(1);
    expectShape(sessions.body.data[0], 'Session');
    const events = await request(server.url).get(`/api/chat/sessions/${sessionId}/events`).set(bearer(admin.token));
    expect(events.body.data.length).toBeGreaterThan(0);
    for (const one of events.body.data as unknown[]) expectShape(one, 'SessionEvent');
  });
});
