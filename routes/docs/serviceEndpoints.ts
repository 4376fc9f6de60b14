import type { Readiness } from '../../services/health';
import { int, membersOf, oneOf, orNull, ref, shape, str } from './jsonSchema';
import { envelope } from './responses';
import type { Json, ServiceEndpoint } from './types';

/**
 * The endpoints src/http/app.ts mounts outside the route registry (routes/health.ts, routes/metrics.ts,
 * routes/pages.ts), described by hand; the docs test checks that the document lists exactly what is mounted.
 */

export const SERVICE_TAG = 'service';

type Dependency<K extends keyof Readiness> = Readiness[K];

// Typed like the contract's shapes (jsonSchema.ts): a field added to what /ready reports fails tsc here.
const dependency = {
  database: shape<Dependency<'database'>>({
    ok: { type: 'boolean' },
    latencyMs: orNull({ type: 'number' }),
    dialect: oneOf(membersOf<Dependency<'database'>['dialect']>({ sqlite: true, mysql: true })),
  }),
  cache: shape<Dependency<'cache'>>({
    ok: { type: 'boolean' },
    latencyMs: orNull({ type: 'number' }),
    kind: oneOf(membersOf<Dependency<'cache'>['kind']>({ redis: true, memory: true })),
  }),
};

const json = (schema: Json): Json => ({ 'application/json': { schema } });
const page = (description: string): Json => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });

export const SERVICE_ENDPOINTS: readonly ServiceEndpoint[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'The process is up (no dependency is called)',
    responses: {
      '200': {
        description: 'Up',
        content: json(envelope(shape<{ status: 'ok'; uptimeSeconds: number }>({ status: oneOf(['ok'] as const), uptimeSeconds: int() }))),
      },
    },
  },
  {
    method: 'get',
    path: '/ready',
    summary: 'The database and the cache are reachable (load balancers send traffic only when 200)',
    responses: {
      '200': {
        description: 'Ready',
        content: json(envelope(shape<{ status: 'ready' } & Readiness>({ status: oneOf(['ready'] as const), ...dependency }))),
      },
      '503': {
        description: 'SERVICE_UNAVAILABLE: shutting down, or the database or cache unreachable; details say which, and `data` still carries both states',
        content: json(ref('Error')),
      },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus text exposition: HTTP, sockets, messages, assignments, queue, waits, webhooks, Node.js process (every process of the deployment when they share Redis)',
    access: 'Anyone, unless METRICS_TOKEN is set: then `Authorization: Bearer <METRICS_TOKEN>`',
    responses: {
      '200': { description: 'The figures', content: { 'text/plain': { schema: str() } } },
      '401': { description: 'UNAUTHENTICATED: METRICS_TOKEN is set and the request does not carry it', content: json(ref('Error')) },
    },
  },
  {
    method: 'get',
    path: '/',
    summary: 'The demo host page with the customer widget (routes/pages.ts; the widget itself is /widget.js)',
    responses: { '200': page('The page') },
  },
  {
    method: 'get',
    path: '/console',
    summary: 'The operator console (routes/pages.ts)',
    responses: { '200': page('The page') },
  },
];
