import { actorOf, access } from '../middleware/auth';
import { sendData } from '../middleware/responseFormatter';
import type { RouteContext } from './context';
import { inputOf } from './context';
import type { RouteGroup } from './registry';

export function authRoutes({ schemas, limiters, auth, operators }: RouteContext): RouteGroup {
  return {
    prefix: '/api/auth',
    tag: 'auth',
    routes: [
      {
        method: 'post',
        path: '/login',
        summary: 'Operator login: { email, password } → { token, operator }',
        access: access.public,
        before: [limiters.logins, limiters.accountLogins],
        schema: schemas.login,
        responds: {
          status: 200,
          schema: 'LoginResult',
          fails: {
            401: 'wrong email or password, or a disabled operator (one answer for all three)',
            429: 'too many logins from this client IP (RATE_LIMIT_LOGINS_PER_MINUTE), or 10 failed logins of this account in 15 minutes (whatever the IP, whether the email exists or not); see Retry-After',
          },
        },
        handler: async (req, res) => {
          const { email, password } = inputOf<{ email: string; password: string }>(req);
          sendData(res, await auth.login(actorOf(req), email, password));
        },
      },
      {
        method: 'get',
        path: '/me',
        summary: 'The operator the token belongs to',
        access: access.operator,
        responds: { status: 200, schema: 'Operator' },
        handler: async (req, res) => sendData(res, await operators.me(actorOf(req))),
      },
      {
        method: 'put',
        path: '/password',
        summary: "Change one's own password { currentPassword, newPassword } → { token, operator }: every other token and socket of the operator ends; the answer's token replaces the caller's",
        access: access.operator,
        before: [limiters.logins],
        schema: schemas.changePassword,
        responds: {
          status: 200,
          schema: 'LoginResult',
          fails: {
            401: 'the current password is wrong (or the token is no longer valid)',
            429: 'too many attempts from this client IP (RATE_LIMIT_LOGINS_PER_MINUTE); see Retry-After',
          },
        },
        handler: async (req, res) => {
          const { currentPassword, newPassword } = inputOf<{ currentPassword: string; newPassword: string }>(req);
          sendData(res, await auth.changePassword(actorOf(req), currentPassword, newPassword));
        },
      },
      {
        method: 'post',
        path: '/logout',
        summary: "Ends every token of the calling operator (all tabs and devices)",
        access: access.operator,
        responds: { status: 200, schema: { constant: { loggedOut: true } } },
        handler: async (req, res) => {
          await auth.logout(actorOf(req));
          sendData(res, { loggedOut: true });
        },
      },
    ],
  };
}
