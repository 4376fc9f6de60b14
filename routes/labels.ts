import { access, actorOf } from '../middleware/auth';
import { sendData } from '../middleware/responseFormatter';
import type { RouteContext } from './context';
import { inputOf } from './context';
import type { RouteGroup } from './registry';

/** The team's labels (PROTOCOL.md "Labels"); a session's labels are set under /api/chat. */
export function labelRoutes({ schemas, labels }: RouteContext): RouteGroup {
  return {
    prefix: '/api/labels',
    tag: 'labels',
    routes: [
      {
        method: 'get',
        path: '/',
        summary: "The team's labels, by name",
        access: access.operator,
        responds: { status: 200, schema: { arrayOf: 'Label' } },
        handler: async (req, res) => sendData(res, await labels.list(actorOf(req))),
      },
      {
        method: 'post',
        path: '/',
        summary: 'Define a label (admin): a name of lowercase letters, digits and -, and an optional #rrggbb colour',
        access: access.admin,
        schema: schemas.createLabel,
        responds: { status: 201, schema: 'Label', fails: { 409: 'CONFLICT: a label with that name exists' } },
        handler: async (req, res) => sendData(res, await labels.create(actorOf(req), inputOf<{ name: string; color?: string }>(req)), { status: 201 }),
      },
      {
        method: 'delete',
        path: '/:name',
        summary: 'Delete a label (admin); it is taken off every session that carried it',
        access: access.admin,
        schema: schemas.labelParam,
        responds: { status: 200, schema: 'Label', fails: { 404: 'no such label' } },
        handler: async (req, res) => sendData(res, await labels.remove(actorOf(req), inputOf<{ name: string }>(req).name)),
      },
    ],
  };
}
