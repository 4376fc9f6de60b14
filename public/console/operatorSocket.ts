import { io, type Socket } from 'socket.io-client';
import { ApiError } from '../shared/http';
import type { Label, Message, Operator, OperatorStatus, Session } from '../shared/protocol';
import { TRANSPORTS, ask, retryRefused } from '../shared/socket';
import { movedNote, type Chat } from './chat';
import type { ChatActions } from './chatActions';
import type { ChatTabs } from './chatTabs';
import type { ConsoleContext } from './context';
import type { Queue } from './queue';
import type { TeamRefresh } from './teamRefresh';

export interface SocketParts {
  tabs: ChatTabs;
  actions: ChatActions;
  queue: Queue;
  team: TeamRefresh;
  /** Back to the login, with why (or null). */
  signOut(problem: string | null): void;
}

/** Socket.IO /operator: what each server event changes, and catching up after every (re)connect. */
export class OperatorSocket {
  constructor(
    private readonly ctx: ConsoleContext,
    private readonly parts: SocketParts,
  ) {}

  connect(): void {
    const { ctx } = this;
    const { tabs, queue, team } = this.parts;
    // Read at each (re)connect: a password change replaces the token while the console stays open.
    const socket = io('/operator', { auth: (send) => send({ token: ctx.token }), reconnectionDelayMax: 5_000, ...TRANSPORTS });
    ctx.socket = socket;
    socket.on('connect', () => void this.onConnected());
    socket.on('disconnect', (reason: string) => {
      ctx.setConnection('Reconnecting…');
      // The server ended it: a logout elsewhere or a password change (the token is dead), or a server stopping.
      if (reason === 'io server disconnect') void this.recheck(socket);
    });
    socket.on('connect_error', (error: Error) => {
      if (error.message === 'UNAUTHENTICATED') return this.parts.signOut('Your login has expired. Please log in again.');
      ctx.setConnection('Reconnecting…');
      retryRefused(socket, error, () => socket === ctx.socket);
    });
    socket.on('session:new', () => {
      queue.refreshSoon();
      team.refreshTeamSoon();
    });
    socket.on('queue:updated', () => {
      queue.refreshSoon();
      team.refreshTeamSoon();
    });
    // Each changes this operator's load: what the queue may offer them, the transfer list, an admin's team.
    socket.on('session:assigned', ({ session }: { session: Session }) => {
      tabs.assigned(session);
      team.refreshOperatorsSoon();
    });
    socket.on('session:unassigned', ({ session }: { session: Session }) => {
      tabs.removeChat(session.id, movedNote(session));
      team.refreshOperatorsSoon();
    });
    socket.on('session:closed', ({ session }: { session: Session }) => {
      tabs.closed(session);
      team.refreshOperatorsSoon();
      team.refreshTeamSoon();
    });
    socket.on('session:updated', ({ session }: { session: Session }) => {
      // Erased by an admin (here or in another console): what this console had loaded of it goes too.
      if (session.erasedAt !== null && tabs.chats.has(session.id)) void tabs.reload(session);
      else tabs.updated(session);
    });
    socket.on('session:viewers', ({ sessionId, operators }: { sessionId: string; operators: Chat['colleagues'] }) => tabs.viewers(sessionId, operators));
    socket.on('message:new', ({ message }: { message: Message }) => tabs.receive(message.sessionId, [message]));
    socket.on('typing', ({ sessionId, isTyping }: { sessionId: string; isTyping: boolean }) => {
      const chat = tabs.chats.get(sessionId);
      if (!chat) return;
      chat.customerTyping = isTyping;
      if (sessionId === tabs.selected) ctx.views?.conversation.show(chat);
    });
    socket.on('messages:read', ({ sessionId, upToId }: { sessionId: string; upToId: number }) => tabs.chats.get(sessionId)?.list.markReadUpTo(upToId));
    socket.on('operator:status', ({ operatorId, status }: { operatorId: number; status: OperatorStatus }) => {
      if (operatorId === ctx.me?.id && ctx.views) {
        ctx.me.status = status;
        ctx.views.status.value = status;
      }
      team.refreshOperatorsSoon();
      team.refreshTeamSoon();
      if (operatorId === ctx.me?.id) queue.refreshSoon();
    });
  }

  /** Logged out: the socket goes without a word to the page. */
  close(): void {
    const { ctx } = this;
    ctx.socket?.removeAllListeners();
    ctx.socket?.disconnect();
    ctx.socket = null;
  }

  /** Every (re)connect: reload lists, pick up chats assigned meanwhile, catch up each conversation. */
  private async onConnected(): Promise<void> {
    const { ctx } = this;
    const { tabs, actions, queue, team } = this.parts;
    ctx.setConnection(null);
    const me = ctx.me;
    const socket = ctx.socket;
    if (!me || !socket) return;
    try {
      // Only chats known before the list was asked for can be missing from it: one assigned while the answer
      // was on its way (session:assigned, say, as this operator went online) is newer than the list.
      const knownBefore = new Set(tabs.chats.keys());
      const mine = await ctx.http.call<Session[]>('GET', '/api/chat/sessions/active?mine=true');
      const held = new Set<string>();
      for (const session of mine.filter((s) => s.status === 'active' && s.operatorId === me.id)) {
        held.add(session.id);
        if (!tabs.chats.has(session.id)) tabs.addChat(session);
      }
      for (const [id, chat] of tabs.chats) {
        // Only a chat this operator held and no longer does; one opened to read (a search, a link) stays.
        if (knownBefore.has(id) && chat.session.status === 'active' && chat.session.operatorId === me.id && !held.has(id)) tabs.removeChat(id, null);
      }
      // A new socket views nothing yet: the chat in front is open again.
      if (tabs.selected) tabs.view(tabs.selected, true);
      await Promise.all(
        [...tabs.chats.values()].map(async (chat) => {
          if (chat.list.lastId() === 0) return;
          const { messages } = await ask<{ messages: Message[] }>(socket, 'messages:sync', { sessionId: chat.session.id, afterId: chat.list.lastId() });
          tabs.receive(chat.session.id, messages);
          for (const item of chat.outbox.all()) void actions.deliver(chat, item);
        }),
      );
    } catch (error) {
      ctx.problem(error);
    }
    await Promise.all([queue.refresh(), team.refreshOperators(), team.refreshTeam(), this.refreshLabels()]);
  }

  /** The team's labels, read again: search and history filters and the label editor offer them. */
  async refreshLabels(): Promise<void> {
    try {
      this.ctx.labels = await this.ctx.http.call<Label[]>('GET', '/api/labels');
      this.ctx.views?.search.fillLabels();
      const chat = this.parts.tabs.selectedChat();
      if (chat) this.ctx.views?.conversation.show(chat);
    } catch (error) {
      this.ctx.problem(error);
    }
  }

  /** After the server dropped the socket: reconnect if the token still works, else back to the login. */
  private async recheck(socket: Socket): Promise<void> {
    // This tab's own password change ended the socket: the new token is on its way.
    await this.ctx.renewing?.catch(() => undefined);
    try {
      await this.ctx.http.call<Operator>('GET', '/api/auth/me');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return this.parts.signOut('You have been logged out.');
    }
    if (socket === this.ctx.socket) socket.connect();
  }
}
