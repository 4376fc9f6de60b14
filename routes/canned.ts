import { access, actorOf } from '../middleware/auth';
import { sendData } from '../middleware/responseFormatter';
import type { CannedChanges, NewCannedResponse } from '../services/canned/CannedResponseService';
import type { RouteContext } from './context';
import { inputOf } from './context';
import type { RouteGroup } from './registry';

/** Saved replies (PROTOCOL.md "Canned responses"). */
export function cannedRoutes({ schemas, canned }: RouteContext): RouteGroup {
  return {
    prefix: '/api/canned-responses',
    tag: 'canned-responses',
    routes: [
      {
        method: 'get',
        path: '/',
        summary: "The team's shared responses and the caller's personal ones, by shortcut; `q` matches the shortcut or the text",
        access: access.operator,
        schema: schemas.listCanned,
        responds: { status: 200, schema: { arrayOf: 'CannedResponse' } },
        handler: async (req, res) => sendData(res, await canned.list(actorOf(req), inputOf<{ q?: string }>(req).q)),
      },
      {
        method: 'post',
        path: '/',
        summary: 'Save a response: `personal` (any operator, their own) or `shared` (admins); a shortcut is unique per owner',
        access: access.operator,
        schema: schemas.createCanned,
        responds: { status: 201, schema: 'CannedResponse', fails: { 403: 'a shared response from an operator who is not an admin', 409: 'CONFLICT: the owner has a response with that shortcut' } },
        handler: async (req, res) => sendData(res, await canned.create(actorOf(req), inputOf<NewCannedResponse>(req)), { status: 201 }),
      },
      {
        method: 'patch',
        path: '/:id',
        summary: 'Change a response: its owner, or an admin for a shared one',
        access: access.operator,
        schema: schemas.updateCanned,
        responds: { status: 200, schema: 'CannedResponse', fails: { 403: 'a shared response, changed by an operator who is not an admin', 404: "no such response, or another operator's personal one", 409: 'CONFLICT: the owner has a response with that shortcut' } },
        handler: async (req, res) => {
          const { id, ...changes } = inputOf<CannedChanges & { id: number }>(req);
          sendData(res, await canned.update(actorOf(req), id, changes));
        },
      },
      {
        method: 'delete',
        path: '/:id',
        summary: 'Delete a response: its owner, or an admin for a shared one',
        access: access.operator,
        schema: schemas.cannedParam,
        responds: { status: 200, schema: { constant: { deleted: true } }, fails: { 403: 'a shared response, deleted by an operator who is not an admin', 404: "no such response, or another operator's personal one" } },
        handler: async (req, res) => {
          await canned.remove(actorOf(req), inputOf<{ id: number }>(req).id);
          sendData(res, { deleted: true });
        },
      },
    ],
  };
}
