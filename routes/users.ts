import { access, actorOf } from '../middleware/auth';
import { sendData } from '../middleware/responseFormatter';
import type { RouteContext } from './context';
import { inputOf } from './context';
import type { RouteGroup } from './registry';

type CustomerParam = { customerId: string };

export function userRoutes({ schemas, sessions, privacy }: RouteContext): RouteGroup {
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
        handler: async (req, res) => sendData(res, await sessions.customerSessions(actorOf(req), inputOf<CustomerParam>(req).customerId)),
      },
      {
        method: 'get',
        path: '/:customerId/export',
        summary: "Everything held of one customer as one document (admin): every session, message (notes included), attachment link, event and rating; recorded in the audit log",
        access: access.admin,
        schema: schemas.customerParam,
        responds: { status: 200, schema: 'CustomerExport' },
        handler: async (req, res) => sendData(res, await privacy.exportCustomer(actorOf(req), inputOf<CustomerParam>(req).customerId)),
      },
      {
        method: 'delete',
        path: '/:customerId',
        summary:
          "Erase a customer (admin): their sessions' messages, notes, files, ratings and comments are deleted, their id, name, email and metadata blanked; the sessions stay as anonymous counts. Twice is harmless (zeros)",
        access: access.admin,
        schema: schemas.customerParam,
        responds: { status: 200, schema: 'Erasure' },
        handler: async (req, res) => sendData(res, await privacy.eraseCustomer(actorOf(req), inputOf<CustomerParam>(req).customerId)),
      },
    ],
  };
}
