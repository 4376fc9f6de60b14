import type { Socket } from 'socket.io';
import type { Actor } from '../../services/actor';
import type { AuthService } from '../../services/AuthService';

type Middleware = (socket: Socket, next: (error?: Error) => void) => void;

/**
 * Handshake authentication (`auth: { token }`), run on every connection and every reconnection, so a token
 * that has since been ended is refused. Failure is `connect_error` with the message UNAUTHENTICATED.
 */
export function authenticateSocket(auth: AuthService, kind: Actor['kind']): Middleware {
  return (socket, next) => {
    const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 2_000) {
      next(new Error('UNAUTHENTICATED'));
      return;
    }
    auth.authenticate(token).then(
      (actor) => {
        if (actor.kind !== kind) return next(new Error('UNAUTHENTICATED'));
        socket.data.actor = actor;
        next();
      },
      () => next(new Error('UNAUTHENTICATED')),
    );
  };
}
