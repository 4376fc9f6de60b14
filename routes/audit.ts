import { access, actorOf } from '../middleware/auth';
import { sendData } from '../middleware/responseFormatter';
import { DEFAULT_LIMITS } from '../middleware/schemas';
import type { RouteContext } from './context';
import { inputOf } from './context';
import type { RouteGroup } from './registry';

/** The audit log of admin actions (PROTOCOL.md "Customer data (privacy)"). */
export function auditRoutes({ schemas, audit }: RouteContext): RouteGroup {
  return {
    prefix: '/api/audit',
    tag: 'audit',
    routes: [
      {
        method: 'get',
        path: '/',
        summary: 'Who created, changed, disabled or erased what, and changed settings (admin): newest first, limit ≤ 100 and cursor (meta.nextCursor)',
        access: access.admin,
        schema: schemas.audit,
        responds: { status: 200, schema: { arrayOf: 'AuditEntry' }, fails: { 400: 'a limit out of 1–100, or a cursor this server did not give out' } },
        handler: async (req, res) => {
          const { limit, cursor } = inputOf<{ limit?: number; cursor?: string }>(req);
          const page = await audit.list(actorOf(req), { limit: limit ?? DEFAULT_LIMITS.audit, cursor });
          sendData(res, page.entries, { meta: { nextCursor: page.nextCursor } });
        },
      },
    ],
  };
}
