import { actorOf, access } from '../middleware/auth';
import { sendData, sendSharedData } from '../middleware/responseFormatter';
import type { OperatorStatus, StrategyName } from '../services/contract';
import type { CreateOperatorInput, UpdateOperatorInput } from '../services/operators/OperatorService';
import type { RouteContext } from './context';
import { inputOf } from './context';
import type { RouteGroup } from './registry';

type OperatorParam = { operatorId: number };

export function operatorRoutes({ schemas, sessions, operators }: RouteContext): RouteGroup {
  return {
    prefix: '/api/operators',
    tag: 'operators',
    routes: [
      {
        method: 'get',
        path: '/',
        summary: 'All operators',
        access: access.operator,
        responds: { status: 200, schema: { arrayOf: 'Operator' } },
        handler: async (req, res) => sendData(res, await operators.list(actorOf(req))),
      },
      {
        method: 'get',
        path: '/online',
        summary: 'Operators whose status is online or busy',
        access: access.operator,
        responds: { status: 200, schema: { arrayOf: 'Operator' } },
        handler: async (req, res) => sendData(res, await operators.online(actorOf(req))),
      },
      {
        method: 'get',
        path: '/available',
        summary: 'Available operators (online, below capacity), least loaded first',
        access: access.operator,
        responds: { status: 200, schema: { arrayOf: 'Operator' } },
        handler: async (req, res) => sendSharedData(res, await operators.available(actorOf(req))),
      },
      {
        method: 'get',
        path: '/pending-sessions',
        summary: 'The waiting queue in routing order',
        access: access.operator,
        responds: { status: 200, schema: { arrayOf: 'Session' } },
        handler: async (req, res) => sendData(res, await sessions.listQueue(actorOf(req))),
      },
      {
        method: 'get',
        path: '/stats',
        summary: 'Per operator: active, closed today, average first response, average rating; overall queue figures',
        access: access.operator,
        responds: { status: 200, schema: 'OperatorStats' },
        handler: async (req, res) => sendData(res, await operators.stats(actorOf(req))),
      },
      {
        method: 'post',
        path: '/assign',
        summary: 'Assign a waiting session: to operatorId (self, or anyone for an admin) or by a strategy',
        access: access.operator,
        schema: schemas.assign,
        responds: {
          status: 200,
          schema: 'Assignment',
          fails: {
            403: 'operatorId names another operator and the caller is not an admin',
            404: 'no such session, or no such operator',
            409: 'ALREADY_ASSIGNED or SESSION_CLOSED: the session no longer waits; NO_OPERATOR_AVAILABLE: nobody can take it now (it stays queued); OPERATOR_AT_CAPACITY: that operator is offline or has no free seat',
          },
        },
        handler: async (req, res) => {
          const { sessionId, strategy, operatorId } = inputOf<{ sessionId: string; strategy?: StrategyName; operatorId?: number }>(req);
          const assignment = await operators.assign(actorOf(req), sessionId, { strategy, operatorId });
          sendData(res, { session: assignment.session, operator: assignment.operator });
        },
      },
      {
        method: 'post',
        path: '/',
        summary: 'Create an operator (admin)',
        access: access.admin,
        schema: schemas.createOperator,
        responds: { status: 201, schema: 'Operator', fails: { 409: 'CONFLICT: an operator with this email already exists' } },
        handler: async (req, res) => sendData(res, await operators.create(actorOf(req), inputOf<CreateOperatorInput>(req)), { status: 201 }),
      },
      {
        method: 'get',
        path: '/:operatorId',
        summary: 'One operator',
        access: access.operator,
        schema: schemas.operatorParam,
        responds: { status: 200, schema: 'Operator', fails: { 404: 'no such operator' } },
        handler: async (req, res) => sendData(res, await operators.get(actorOf(req), inputOf<OperatorParam>(req).operatorId)),
      },
      {
        method: 'get',
        path: '/:operatorId/sessions',
        summary: "That operator's active sessions",
        access: access.operator,
        schema: schemas.operatorParam,
        responds: { status: 200, schema: { arrayOf: 'Session' }, fails: { 404: 'no such operator' } },
        handler: async (req, res) => sendData(res, await operators.sessionsOf(actorOf(req), inputOf<OperatorParam>(req).operatorId)),
      },
      {
        method: 'patch',
        path: '/:operatorId',
        summary: 'Change name, role, capacity, departments, password or disabled (admin)',
        access: access.admin,
        schema: schemas.updateOperator,
        responds: {
          status: 200,
          schema: 'Operator',
          fails: {
            404: 'no such operator',
            409: 'CONFLICT: demoting or disabling the only admin, or a capacity below the sessions the operator holds now',
          },
        },
        handler: async (req, res) => {
          const { operatorId, ...changes } = inputOf<OperatorParam & UpdateOperatorInput>(req);
          sendData(res, await operators.update(actorOf(req), operatorId, changes));
        },
      },
      {
        method: 'put',
        path: '/:operatorId/status',
        summary: 'Set status online, busy or offline (that operator or an admin); online pulls waiting sessions',
        access: access.operator,
        schema: schemas.setStatus,
        responds: {
          status: 200,
          schema: 'Operator',
          fails: { 403: "another operator's status, and the caller is not an admin", 404: 'no such operator', 409: 'CONFLICT: the operator is disabled' },
        },
        handler: async (req, res) => {
          const { operatorId, status } = inputOf<OperatorParam & { status: OperatorStatus }>(req);
          sendData(res, await operators.setStatus(actorOf(req), operatorId, status));
        },
      },
    ],
  };
}
