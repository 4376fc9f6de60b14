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
 *
 * A socket's changes are applied one after another in the order its events came (a quick open-and-close must not
 * end open). The set is read from the room across processes (fetchSockets over the adapter) after a change, and
 * told to the holder and every viewer when it differs from what this process told last; the tellings of one
 * session go one at a time, in order, and never hold up the event's answer. A socket that drops leaves its
 * rooms, and the others hear of it.
 */
export class Viewers {
  private readonly queues = new WeakMap<OperatorSocket, Promise<unknown>>();
  private readonly telling = new Map<string, Promise<void>>();
  /** The list this process last told per session (dropped once nobody is left). */
  private readonly told = new Map<string, string>();

  constructor(
    private readonly nsp: OperatorNamespace,
    /** The session's holder (they hear of the viewers, viewing or not). */
    private readonly holderOf: (sessionId: string) => Promise<number | null>,
    private readonly logger: Logger,
  ) {}

  /** Runs one event's work for this socket after the work of its earlier events. */
  inOrder<T>(socket: OperatorSocket, work: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(socket) ?? Promise.resolve()).then(work);
    this.queues.set(
      socket,
      run.catch(() => undefined),
    );
    return run;
  }

  /** This socket views the session, or stops; `typing` says what it does there (typing a reply means viewing). */
  async set(socket: OperatorSocket, sessionId: string, change: { viewing: boolean } | { typing: boolean }): Promise<void> {
    const doing = (socket.data.viewing ??= {});
    const room = rooms.viewing(sessionId);
    const viewing = sessionId in doing;
    if ('viewing' in change && !change.viewing) {
      if (!viewing) return;
      delete doing[sessionId];
      await socket.leave(room);
    } else if ('typing' in change && !change.typing) {
      // Stopping is news only where this socket was listed as typing.
      if (doing[sessionId] !== true) return;
      doing[sessionId] = false;
    } else {
      const typing = 'typing' in change ? change.typing : (doing[sessionId] ?? false);
      if (viewing && doing[sessionId] === typing) return;
      doing[sessionId] = typing;
      await socket.join(room);
    }
    this.announce(sessionId);
  }

  /** Before a socket's rooms are gone: the sessions it was viewing hear of it once it has left. */
  leaving(socket: OperatorSocket): void {
    const sessions = Object.keys(socket.data.viewing ?? {});
    // After the disconnect is done, so that the room no longer holds this socket.
    if (sessions.length > 0) setImmediate(() => sessions.forEach((sessionId) => this.announce(sessionId)));
  }

  private announce(sessionId: string): void {
    const next = (this.telling.get(sessionId) ?? Promise.resolve())
      .then(() => this.tell(sessionId))
      .catch((error: unknown) => this.logger.warn({ err: error, sessionId }, 'could not tell the viewers of a session'));
    this.telling.set(sessionId, next);
    void next.then(() => {
      if (this.telling.get(sessionId) === next) this.telling.delete(sessionId);
    });
  }

  private async tell(sessionId: string): Promise<void> {
    const sockets = await this.nsp.in(rooms.viewing(sessionId)).fetchSockets();
    const viewers = new Map<number, Viewer>();
    for (const socket of sockets) {
      const { actor, viewing } = socket.data;
      if (actor.kind !== 'operator') continue;
      const seen = viewers.get(actor.operatorId) ?? { id: actor.operatorId, name: actor.name, typing: false };
      seen.typing ||= viewing?.[sessionId] === true;
      viewers.set(actor.operatorId, seen);
    }
    const operators = [...viewers.values()].sort((a, b) => a.id - b.id);
    const list = JSON.stringify(operators);
    if (this.told.get(sessionId) === list) return;
    if (operators.length === 0) this.told.delete(sessionId);
    else this.told.set(sessionId, list);
    this.nsp.to(rooms.sessionStaff(sessionId, await this.holderOf(sessionId))).emit('session:viewers', { sessionId, operators });
  }
}
