import request from 'supertest';
import { loadConfig } from '../../config';
import { buildSchemas } from '../../middleware/schemas';
import { createRateLimiters } from '../../middleware/rateLimits';
import { apiGroups } from '../../routes';
import type { HttpMethod, RouteGroup, RouteSpec } from '../../routes/registry';
import type { AuthService } from '../../services/operators/AuthService';
import type { ChatService } from '../../services/sessions/ChatService';
import type { SessionDirectory } from '../../services/sessions/SessionDirectory';
import type { AttachmentFiles } from '../../services/messages/attachments/AttachmentFiles';
import type { MessageService } from '../../services/messages/MessageService';
import type { LabelService } from '../../services/labels/LabelService';
import type { CannedResponseService } from '../../services/canned/CannedResponseService';
import type { SearchService } from '../../services/messages/SearchService';
import type { SettingsService } from '../../services/settings/SettingsService';
import type { InboundMail } from '../../services/mail/InboundMail';
import type { PrivacyService } from '../../services/privacy/PrivacyService';
import type { AuditLog } from '../../services/audit/AuditLog';
import type { TranscriptService } from '../../services/mail/TranscriptService';
import type { OperatorService } from '../../services/operators/OperatorService';
import { PASSWORD, bearer, uniqueEmail } from './http';
import type { TestServer } from './testServer';

/**
 * The route registry (routes/index.ts) as the suites that walk every endpoint read it: each route with its
 * method, path template and access rule, a way to call any of them, and a valid sample body for each.
 */

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
    files: server?.server.files ?? unused<AttachmentFiles>('files'),
    uploads: (_req, _res, next) => next(),
    operators: server?.server.operators ?? unused<OperatorService>('operators'),
    labels: server?.server.labels ?? unused<LabelService>('labels'),
    canned: server?.server.canned ?? unused<CannedResponseService>('canned'),
    search: server?.server.search ?? unused<SearchService>('search'),
    settings: server?.server.settings ?? unused<SettingsService>('settings'),
    inbound: server?.server.inbound ?? unused<InboundMail>('inbound'),
    transcripts: server?.server.transcripts ?? unused<TranscriptService>('transcripts'),
    privacy: server?.server.privacy ?? unused<PrivacyService>('privacy'),
    audit: server?.server.audit ?? unused<AuditLog>('audit'),
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
  // The same password again: it succeeds (and ends the caller's tokens, which the matrix logs in again for).
  'PUT /api/auth/password': () => ({ currentPassword: PASSWORD, newPassword: PASSWORD }),
  'POST /api/chat/sessions': () => ({ customerName: 'Sample Customer', message: 'hello' }),
  'PUT /api/chat/sessions/:sessionId/close': () => ({ reason: 'sample' }),
  'PUT /api/chat/sessions/:sessionId/transfer': (ids) => ({ operatorId: ids.assignedOperatorId }),
  'POST /api/chat/sessions/:sessionId/messages': () => ({ content: 'sample message', type: 'text' }),
  'POST /api/chat/sessions/:sessionId/rating': () => ({ rating: 5, comment: 'thanks' }),
  'POST /api/operators': () => ({ name: 'Sample Operator', email: uniqueEmail('sample'), password: PASSWORD, role: 'operator', maxConcurrentSessions: 3, departments: ['sales'] }),
  'PATCH /api/operators/:operatorId': () => ({ name: 'Renamed Operator' }),
  'PUT /api/operators/:operatorId/status': () => ({ status: 'offline' }),
  'POST /api/operators/assign': (ids) => ({ sessionId: ids.sessionId }),
  'PUT /api/chat/sessions/:sessionId/labels': () => ({ labels: [] }),
  'POST /api/canned-responses': () => ({ shortcut: uniqueEmail('c').replace(/[^a-z0-9]/g, '-').slice(0, 32), content: 'Sample reply', scope: 'personal' }),
  'PATCH /api/canned-responses/:id': () => ({ content: 'Changed reply' }),
  'POST /api/labels': () => ({ name: uniqueEmail('label').replace(/[^a-z0-9]/g, '-').slice(0, 32), color: '#336699' }),
  'PATCH /api/settings': () => ({ offlineNotifyEmails: ['team@example.com'] }),
};

export function sampleBody(route: RegisteredRoute, ids: SampleIds): Record<string, unknown> | undefined {
  return SAMPLE_BODIES[route.key]?.(ids);
}

/** A valid query for each route that needs one (none do without: their query fields are optional). */
const SAMPLE_QUERIES: Record<string, Record<string, string>> = {
  'GET /api/chat/search': { q: 'hello' },
};

export function sampleQuery(route: RegisteredRoute): Record<string, string> {
  return SAMPLE_QUERIES[route.key] ?? {};
}
