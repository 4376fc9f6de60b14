import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import type { Actor, Authenticator } from '../../services/access';
import { UnauthenticatedError, toAppError } from '../../services/errors';
import type { SocketData } from './events';

/** What the handshake asks of auth: a token's actor, and to forget what this process remembers of an operator. */
export interface SocketAuthenticator extends Authenticator {
  forget(operatorId: number): void;
}

type HandshakeSocket = Pick<Socket, 'handshake' | 'nsp'> & { data: Partial<SocketData> };
type Middleware = (socket: HandshakeSocket, next: (error?: Error) => void) => void;

/**
 * Handshake authentication (`auth: { token }`), run on every connection and every reconnection, so a token
 * that has since been ended is refused. Failure is `connect_error` with the message UNAUTHENTICATED for a token
 * that is not (or no longer) good, or with the error's code when it could not be checked (SERVICE_UNAVAILABLE
 * while the database is away): a client must not drop a good token, or a chat, over an outage.
 */
export function authenticateSocket(auth: SocketAuthenticator, kind: Actor['kind'], logger: Logger): Middleware {
  return (socket, next) => {
    const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 2_000) {
      next(new Error('UNAUTHENTICATED'));
      return;
    }
    authenticateFresh(auth, token).then(
      (actor) => {
        if (actor.kind !== kind) return next(new Error('UNAUTHENTICATED'));
        socket.data.actor = actor;
        next();
      },
      (error: unknown) => {
        if (error instanceof UnauthenticatedError) return next(new Error('UNAUTHENTICATED'));
        const refusal = toAppError(error);
        // An outage is logged where it is seen (the database, /ready); a fault is a bug to look at.
        logger[refusal.status >= 500 && refusal.status !== 503 ? 'error' : 'warn']({ err: error, namespace: socket.nsp.name }, 'socket handshake could not be checked');
        next(new Error(refusal.code));
      },
    );
  };
}

/**
 * A handshake opens a connection that is not checked again, so an operator's token is checked against their
 * current row, not against this process's few-seconds memo: a logout or a disabling done on another process
 * does not clear that memo, and the console's automatic reconnect would otherwise get straight back in. The
 * memo is dropped only once the token has verified, so forged tokens cannot make a process forget anything.
 */
async function authenticateFresh(auth: SocketAuthenticator, token: string): Promise<Actor> {
  const actor = await auth.authenticate(token);
  if (actor.kind !== 'operator') return actor;
  auth.forget(actor.operatorId);
  return auth.authenticate(token);
}
