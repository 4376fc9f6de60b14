import { access, actorOf } from '../middleware/auth';
import { sendData } from '../middleware/responseFormatter';
import type { RouteContext } from './context';
import type { RouteGroup } from './registry';

/** The team's settings (PROTOCOL.md "Business hours and settings"): read by operators, changed by admins. */
export function settingsRoutes({ schemas, settings }: RouteContext): RouteGroup {
  return {
    prefix: '/api/settings',
    tag: 'settings',
    routes: [
      {
        method: 'get',
        path: '/',
        summary: 'The settings: business hours, who is told of offline messages (all, and per department)',
        access: access.operator,
        responds: { status: 200, schema: 'Settings' },
        handler: async (req, res) => sendData(res, await settings.get(actorOf(req))),
      },
      {
        method: 'patch',
        path: '/',
        summary: 'Replace the settings named (admin); the others stay. Anything invalid → 400 and nothing changes',
        access: access.admin,
        schema: schemas.updateSettings,
        responds: { status: 200, schema: 'Settings', fails: { 400: 'a bad time zone, time, date or email, a close not after its open, a setting that does not exist' } },
        handler: async (req, res) => sendData(res, await settings.update(actorOf(req), req.body as Record<string, unknown>)),
      },
    ],
  };
}
