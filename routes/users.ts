import { access, actorOf } from '../middleware/auth';
import { sendData } from '../middleware/responseFormatter';
import type { RouteContext } from './context';
import { inputOf } from './context';
import type { RouteGroup } from './registry';

export function userRoutes({ schemas, sessions }: RouteContext): RouteGroup {
  return {
    prefix: '/api/users',
    tag: 'users',
    routes: [
      {
        method: 'get',
        path: '/:customerId/sessions',
        summary: "One customer's sessions, newest first",
        access: access.operator,
        schema: schemas.customerParam,
        responds: { status: 200, schema: { arrayOf: 'Session' } },
        handler: async (req, res) => sendData(res, await sessions.customerSessions(actorOf(req), inputOf<{ customerId: string }>(req).customerId)),
      },
    ],
  };
}
