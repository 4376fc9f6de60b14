import type { Logger } from 'pino';
import { rooms, type OperatorNamespace, type OperatorSocket } from './events';

/** One operator looking at a session (PROTOCOL.md `session:viewers`), whatever their sockets. */
export interface Viewer {
  id: number;
  name: string;
  /** Typing a reply in it on one of their sockets. */
  typing: boolean;
}

/**
 * Agent collision: which operators have a conversation open (`session:viewing`) or are typing in it. A viewing
 * socket is in the session's viewing room, so that it gets the session's `message:new` (notes included) and
 * `typing` as the holder does, on whatever process it is; what it is doing there is kept in its socket data.
 * The set is read from the room across processes (fetchSockets over the adapter) whenever it changes, and told
 * to the holder and every viewer. A socket that drops leaves its rooms, and the others hear of it.
 */
export class Viewers {
  constructor(
    private readonly nsp: OperatorNamespace,
    /** The session's holder (they hear of the viewers, viewing or not). */
    private readonly holderOf: (sessionId: string) => Promise<number | null>,
    private readonly logger: Logger,
  ) {}

  /** This socket views the session, or stops; `typing` says what it is doing there (typing implies viewing). */
  async set(socket: OperatorSocket, sessionId: string, change: { viewing: boolean } | { typing: boolean }, holder: number | null): Promise<void> {
    const doing = (socket.data.viewing ??= {});
    const room = rooms.viewing(sessionId);
    if ('viewing' in change && !change.viewing) {
      if (!(sessionId in doing)) return;
      delete doing[sessionId];
      await socket.leave(room);
    } else {
      const typing = 'typing' in change ? change.typing : (doing[sessionId] ?? false);
      if (doing[sessionId] === typing && socket.rooms.has(room)) return;
      doing[sessionId] = typing;
      await socket.join(room);
    }
    await this.announce(sessionId, holder);
  }

  /** Before a socket's rooms are gone: the sessions it was viewing hear of it once it has left. */
  leaving(socket: OperatorSocket): void {
    const sessions = Object.keys(socket.data.viewing ?? {});
    if (sessions.length === 0) return;
    // After the disconnect is done, so that the room no longer holds this socket.
    setImmediate(() => {
      for (const sessionId of sessions) {
        this.holderOf(sessionId)
          .then((holder) => this.announce(sessionId, holder))
          .catch((error: unknown) => this.logger.warn({ err: error, sessionId }, 'could not tell the viewers of a session'));
      }
    });
  }

  private async announce(sessionId: string, holder: number | null): Promise<void> {
    const sockets = await this.nsp.in(rooms.viewing(sessionId)).fetchSockets();
    const viewers = new Map<number, Viewer>();
    for (const socket of sockets) {
      const { actor, viewing } = socket.data;
      if (actor.kind !== 'operator') continue;
      const seen = viewers.get(actor.operatorId) ?? { id: actor.operatorId, name: actor.name, typing: false };
      seen.typing ||= viewing?.[sessionId] === true;
      viewers.set(actor.operatorId, seen);
    }
    const to = holder === null ? [rooms.viewing(sessionId)] : [rooms.viewing(sessionId), rooms.operator(holder)];
    this.nsp.to(to).emit('session:viewers', { sessionId, operators: [...viewers.values()].sort((a, b) => a.id - b.id) });
  }
}
