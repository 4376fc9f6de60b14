import { io, type Socket } from 'socket.io-client';
import { el, field, replaceChildren } from '../shared/dom';
import { ApiError, Http } from '../shared/http';
import type { Outgoing } from '../shared/outbox';
import type { Message, Operator, OperatorStats, OperatorStatus, Session } from '../shared/protocol';
import { TRANSPORTS, ask, retryRefused } from '../shared/socket';
import { TypingSender } from '../shared/typing';
import { savedToken, type Login } from './auth';
import { customerName, newChat, type Chat } from './chat';
import { ConversationView, type TransferTarget } from './conversationView';
import { loginView } from './loginView';
import { Notifier } from './notify';
import { QueueView } from './queueView';
import { TabsView } from './tabsView';
import { TeamView } from './teamView';

/** Messages per history page. */
const PAGE = 50;
/** Load changes are not pushed to admins; the team table refreshes this often while shown. */
const TEAM_REFRESH_MS = 10_000;

interface Views {
  status: HTMLSelectElement;
  connection: HTMLElement;
  toast: HTMLElement;
  queue: QueueView;
  tabs: TabsView;
  conversation: ConversationView;
  team: TeamView | null;
}

/**
 * The operator console: login, own status, the queue, one tab per held session, the conversation, and for
 * admins the team. Socket.IO /operator carries everything live; REST loads lists and history.
 */
export class ConsoleApp {
  private token: string | null = savedToken.get();
  private me: Operator | null = null;
  private socket: Socket | null = null;
  private views: Views | null = null;
  private readonly http = new Http('', () => this.token);
  private readonly chats = new Map<string, Chat>();
  private selected: string | null = null;
  private operators: Operator[] = [];
  private stats: OperatorStats | null = null;
  private readonly notifier = new Notifier();
  private readonly typing = new TypingSender((isTyping) => {
    const socket = this.socket;
    if (socket?.connected && this.selected) ask(socket, 'typing', { sessionId: this.selected, isTyping }).catch(() => undefined);
  });
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private readonly debounced = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly root: HTMLElement) {
    document.addEventListener('visibilitychange', () => this.markRead());
  }

  async start(): Promise<void> {
    if (!this.token) return this.showLogin();
    try {
      this.me = await this.http.call<Operator>('GET', '/api/auth/me');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) savedToken.clear();
      return this.showLogin(error instanceof ApiError && error.status === 401 ? null : describe(error));
    }
    this.showMain();
  }

  private showLogin(problem: string | null = null): void {
    this.token = null;
    const view = loginView(async (email, password) => {
      try {
        const login = await this.http.call<Login>('POST', '/api/auth/login', { email, password });
        this.token = login.token;
        this.me = login.operator;
        savedToken.set(login.token);
        this.showMain();
        return null;
      } catch (error) {
        return error instanceof ApiError && error.status === 401 ? 'Wrong email or password.' : describe(error);
      }
    }, problem);
    replaceChildren(this.root, view);
  }

  private showMain(): void {
    const me = this.me;
    if (!me) return;
    const status = el('select', { name: 'status' }, ...(['online', 'busy', 'offline'] as const).map((s) => el('option', { value: s, text: s[0].toUpperCase() + s.slice(1) })));
    status.value = me.status;
    status.addEventListener('change', () => void this.setStatus(status.value as OperatorStatus));
    const logout = el('button', { type: 'button', className: 'secondary', text: 'Log out' });
    logout.addEventListener('click', () => void this.logout());
    const notifications = el('button', { type: 'button', className: 'secondary', text: 'Enable notifications' });
    notifications.hidden = !this.notifier.canAsk;
    notifications.addEventListener('click', () => void this.notifier.askPermission().then(() => (notifications.hidden = !this.notifier.canAsk)));
    const connection = el('p', { className: 'connection', role: 'status', text: 'Connecting…' });
    const toast = el('p', { className: 'toast', role: 'status', 'aria-live': 'polite' });
    toast.hidden = true;

    const views: Views = {
      status,
      connection,
      toast,
      queue: new QueueView((session) => void this.take(session)),
      tabs: new TabsView((id) => this.select(id)),
      conversation: new ConversationView({
        send: (content) => this.send(content),
        keystroke: () => this.typing.keystroke(),
        close: () => void this.closeSelected(),
        transfer: (target) => void this.transfer(target),
        loadOlder: () => void this.loadOlder(),
        dismiss: () => this.dismiss(),
      }),
      team: me.role === 'admin' ? new TeamView(() => void this.refreshTeam()) : null,
    };
    this.views = views;
    replaceChildren(
      this.root,
      el(
        'header',
        { className: 'top' },
        el('h1', { text: 'Operator console' }),
        el('div', { className: 'me' }, el('span', { className: 'me-name', text: `${me.name}${me.role === 'admin' ? ' (admin)' : ''}` }), field('My status', status), notifications, logout),
      ),
      connection,
      toast,
      el('main', { className: 'layout' }, el('aside', { className: 'side' }, views.queue.root, views.tabs.root), views.conversation.root, views.team?.root),
    );
    views.queue.render([]);
    this.renderTabs();
    if (views.team) this.timers.push(setInterval(() => void this.refreshTeam(), TEAM_REFRESH_MS));
    this.connect();
  }

  private connect(): void {
    const socket = io('/operator', { auth: { token: this.token }, reconnectionDelayMax: 5_000, ...TRANSPORTS });
    this.socket = socket;
    socket.on('connect', () => void this.onConnected());
    socket.on('disconnect', (reason: string) => {
      this.setConnection('Reconnecting…');
      // The server ended it: a logout elsewhere or a password change (the token is dead), or a server stopping.
      if (reason === 'io server disconnect') void this.recheck(socket);
    });
    socket.on('connect_error', (error: Error) => {
      if (error.message === 'UNAUTHENTICATED') return this.signOut('Your login has expired. Please log in again.');
      this.setConnection('Reconnecting…');
      retryRefused(socket, error, () => socket === this.socket);
    });
    socket.on('session:new', () => this.soon('queue', () => this.refreshQueue()));
    socket.on('queue:updated', () => this.soon('queue', () => this.refreshQueue()));
    socket.on('session:assigned', ({ session }: { session: Session }) => this.assigned(session));
    socket.on('session:unassigned', ({ session }: { session: Session }) => this.removeChat(session.id, movedNote(session)));
    socket.on('session:closed', ({ session }: { session: Session }) => this.closed(session));
    socket.on('message:new', ({ message }: { message: Message }) => this.receive(message.sessionId, [message]));
    socket.on('typing', ({ sessionId, isTyping }: { sessionId: string; isTyping: boolean }) => {
      const chat = this.chats.get(sessionId);
      if (!chat) return;
      chat.customerTyping = isTyping;
      if (sessionId === this.selected) this.views?.conversation.show(chat);
    });
    socket.on('messages:read', ({ sessionId, upToId }: { sessionId: string; upToId: number }) => this.chats.get(sessionId)?.list.markReadUpTo(upToId));
    socket.on('operator:status', ({ operatorId, status }: { operatorId: number; status: OperatorStatus }) => {
      if (operatorId === this.me?.id && this.views) {
        this.me.status = status;
        this.views.status.value = status;
      }
      this.soon('operators', () => this.refreshOperators());
      if (status === 'online' && operatorId === this.me?.id) this.soon('queue', () => this.refreshQueue());
    });
  }

  /** Every (re)connect: reload lists, pick up chats assigned meanwhile, catch up each conversation. */
  private async onConnected(): Promise<void> {
    this.setConnection(null);
    const me = this.me;
    const socket = this.socket;
    if (!me || !socket) return;
    try {
      // Only chats known before the list was asked for can be missing from it: one assigned while the answer
      // was on its way (session:assigned, say, as this operator went online) is newer than the list.
      const knownBefore = new Set(this.chats.keys());
      const mine = await this.http.call<Session[]>('GET', '/api/chat/sessions/active?mine=true');
      const held = new Set<string>();
      for (const session of mine.filter((s) => s.status === 'active' && s.operatorId === me.id)) {
        held.add(session.id);
        if (!this.chats.has(session.id)) this.addChat(session);
      }
      for (const [id, chat] of this.chats) {
        if (knownBefore.has(id) && chat.session.status === 'active' && !held.has(id)) this.removeChat(id, null);
      }
      await Promise.all(
        [...this.chats.values()].map(async (chat) => {
          if (chat.list.lastId() === 0) return;
          const { messages } = await ask<{ messages: Message[] }>(socket, 'messages:sync', { sessionId: chat.session.id, afterId: chat.list.lastId() });
          this.receive(chat.session.id, messages);
          for (const item of chat.outbox.all()) void this.deliver(chat, item);
        }),
      );
    } catch (error) {
      this.toast(describe(error));
    }
    await Promise.all([this.refreshQueue(), this.refreshOperators(), this.refreshTeam()]);
  }

  /** After the server dropped the socket: reconnect if the token still works, else back to the login. */
  private async recheck(socket: Socket): Promise<void> {
    try {
      await this.http.call<Operator>('GET', '/api/auth/me');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return this.signOut('You have been logged out.');
    }
    if (socket === this.socket) socket.connect();
  }

  private setConnection(text: string | null): void {
    const connection = this.views?.connection;
    if (!connection) return;
    connection.hidden = text === null;
    connection.textContent = text ?? '';
  }

  private toast(text: string): void {
    const toast = this.views?.toast;
    if (!toast) return;
    toast.textContent = text;
    toast.hidden = false;
  }

  /** Runs `work` once after a burst of events of one kind. */
  private soon(key: string, work: () => Promise<void>): void {
    clearTimeout(this.debounced.get(key));
    this.debounced.set(
      key,
      setTimeout(() => void work().catch(() => undefined), 150),
    );
  }

  private async setStatus(status: OperatorStatus): Promise<void> {
    const socket = this.socket;
    const views = this.views;
    if (!socket || !views || !this.me) return;
    try {
      this.me = await ask<Operator>(socket, 'status:set', { status });
      views.status.value = this.me.status;
      await this.refreshQueue();
    } catch (error) {
      views.status.value = this.me.status;
      this.toast(describe(error));
    }
  }

  private async refreshQueue(): Promise<void> {
    if (!this.views) return;
    const pending = await this.http.call<Session[]>('GET', '/api/operators/pending-sessions');
    this.views.queue.render(pending);
  }

  private async refreshOperators(): Promise<void> {
    if (!this.views || !this.me) return;
    this.operators = await this.http.call<Operator[]>('GET', '/api/operators');
    this.views.conversation.setTargets(this.operators, this.me.id);
    this.views.team?.render(this.operators, this.stats);
  }

  private async refreshTeam(): Promise<void> {
    const team = this.views?.team;
    if (!team) return;
    const [operators, stats] = await Promise.all([this.http.call<Operator[]>('GET', '/api/operators'), this.http.call<OperatorStats>('GET', '/api/operators/stats')]);
    this.operators = operators;
    this.stats = stats;
    team.render(operators, stats);
  }

  private async take(session: Session): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    try {
      const joined = await ask<Session>(socket, 'session:join', { sessionId: session.id });
      this.assigned(joined, false);
      this.select(joined.id);
    } catch (error) {
      this.toast(error instanceof ApiError && error.code === 'ALREADY_ASSIGNED' ? 'Another operator took that chat first.' : describe(error));
    }
    await this.refreshQueue().catch(() => undefined);
  }

  private assigned(session: Session, announce = true): void {
    const known = this.chats.get(session.id);
    if (known) {
      known.session = session;
      this.renderTabs();
      return;
    }
    this.addChat(session);
    if (announce) {
      const name = customerName(session);
      this.notifier.notify('New chat', `${name} is waiting for your reply`);
      this.toast(`New chat from ${name}`);
    }
    if (this.selected === null) this.select(session.id);
    this.soon('queue', () => this.refreshQueue());
  }

  private addChat(session: Session): void {
    if (!this.me) return;
    const chat = newChat(session, this.me.id);
    this.chats.set(session.id, chat);
    this.renderTabs();
    void this.loadLatest(chat);
  }

  private async loadLatest(chat: Chat): Promise<void> {
    try {
      const page = await this.http.page<Message[]>('GET', `/api/chat/messages/${encodeURIComponent(chat.session.id)}?limit=${PAGE}`);
      chat.hasOlder = page.meta?.hasMore === true;
      this.receive(chat.session.id, page.data);
      chat.unread = chat.session.id === this.selected ? 0 : page.data.filter((m) => m.senderType === 'customer' && m.readAt === null).length;
      this.renderTabs();
      if (chat.session.id === this.selected) this.views?.conversation.show(chat);
      this.markRead();
    } catch (error) {
      this.toast(describe(error));
    }
  }

  private async loadOlder(): Promise<void> {
    const chat = this.selected ? this.chats.get(this.selected) : undefined;
    const oldest = chat?.list.oldestId();
    if (!chat || !oldest) return;
    try {
      const page = await this.http.page<Message[]>('GET', `/api/chat/messages/${encodeURIComponent(chat.session.id)}?before=${oldest}&limit=${PAGE}`);
      chat.list.upsert(...page.data);
      chat.hasOlder = page.meta?.hasMore === true;
      this.views?.conversation.show(chat);
    } catch (error) {
      this.toast(describe(error));
    }
  }

  private receive(sessionId: string, messages: Message[]): void {
    const chat = this.chats.get(sessionId);
    if (!chat || messages.length === 0) return;
    const fresh = messages.filter((m) => !chat.list.has(m.id) && m.senderType === 'customer');
    chat.list.upsert(...messages);
    if (fresh.length === 0) return;
    chat.customerTyping = false;
    const seen = sessionId === this.selected && document.visibilityState === 'visible';
    if (!seen) chat.unread += fresh.length;
    if (sessionId === this.selected) this.views?.conversation.show(chat);
    this.renderTabs();
    this.markRead();
  }

  /** Read receipts for the chat in front of the operator. */
  private markRead(): void {
    const socket = this.socket;
    const chat = this.selected ? this.chats.get(this.selected) : undefined;
    if (!socket?.connected || !chat || document.visibilityState !== 'visible') return;
    if (chat.unread > 0) {
      chat.unread = 0;
      this.renderTabs();
    }
    const upToId = chat.list.lastOtherId();
    if (upToId <= chat.readSent || chat.session.status === 'closed') return;
    chat.readSent = upToId;
    ask(socket, 'messages:read', { sessionId: chat.session.id, upToId }).catch(() => {
      chat.readSent = 0;
    });
  }

  private select(id: string): void {
    const chat = this.chats.get(id);
    if (!chat) return;
    if (this.selected !== id) this.typing.stop();
    this.selected = id;
    this.views?.conversation.show(chat);
    this.renderTabs();
    this.markRead();
    this.views?.conversation.focusInput();
  }

  private renderTabs(): void {
    this.views?.tabs.render(
      [...this.chats.values()].map((chat) => ({ id: chat.session.id, name: customerName(chat.session), unread: chat.unread, closed: chat.session.status === 'closed' })),
      this.selected,
    );
  }

  private send(content: string): void {
    const chat = this.selected ? this.chats.get(this.selected) : undefined;
    if (!chat) return;
    const item = chat.outbox.add(content);
    chat.list.addPending(item.clientMessageId, content);
    this.typing.stop();
    void this.deliver(chat, item);
  }

  private async deliver(chat: Chat, item: Outgoing): Promise<void> {
    const socket = this.socket;
    if (!socket?.connected) {
      chat.list.failPending(item.clientMessageId);
      return;
    }
    try {
      const message = await ask<Message>(socket, 'message:send', { sessionId: chat.session.id, content: item.content, clientMessageId: item.clientMessageId });
      chat.outbox.done(item.clientMessageId);
      chat.list.upsert(message);
    } catch (error) {
      chat.list.failPending(item.clientMessageId);
      if (error instanceof ApiError && error.code !== 'TIMEOUT') {
        chat.outbox.done(item.clientMessageId);
        this.toast(describe(error));
      }
    }
  }

  private async closeSelected(): Promise<void> {
    const socket = this.socket;
    const chat = this.selected ? this.chats.get(this.selected) : undefined;
    if (!socket || !chat) return;
    this.typing.stop();
    try {
      this.closed(await ask<Session>(socket, 'session:close', { sessionId: chat.session.id }));
    } catch (error) {
      this.toast(describe(error));
    }
  }

  private closed(session: Session): void {
    const chat = this.chats.get(session.id);
    if (!chat) {
      this.soon('queue', () => this.refreshQueue());
      return;
    }
    chat.session = session;
    chat.customerTyping = false;
    if (session.id === this.selected) this.views?.conversation.show(chat);
    this.renderTabs();
  }

  private async transfer(target: TransferTarget): Promise<void> {
    const socket = this.socket;
    const chat = this.selected ? this.chats.get(this.selected) : undefined;
    if (!socket || !chat || !this.me) return;
    this.typing.stop();
    try {
      const session = await ask<Session>(socket, 'session:transfer', { sessionId: chat.session.id, ...target });
      // session:unassigned may have removed the tab already, with the same note.
      if (session.operatorId !== this.me.id) this.removeChat(session.id, movedNote(session));
    } catch (error) {
      this.toast(describe(error));
    }
  }

  private dismiss(): void {
    if (this.selected) this.removeChat(this.selected, null);
  }

  private removeChat(id: string, note: string | null): void {
    if (!this.chats.delete(id)) return;
    if (note) this.toast(note);
    if (this.selected === id) {
      this.selected = null;
      const next = this.chats.keys().next();
      if (!next.done) this.select(next.value);
      else this.views?.conversation.show(null);
    }
    this.renderTabs();
  }

  private async logout(): Promise<void> {
    await this.http.call('POST', '/api/auth/logout', {}).catch(() => undefined);
    this.signOut(null);
  }

  private signOut(problem: string | null): void {
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.chats.clear();
    this.selected = null;
    this.views = null;
    this.me = null;
    savedToken.clear();
    this.showLogin(problem);
  }
}

/** Where a chat that left this operator went. */
function movedNote(session: Session): string {
  const name = customerName(session);
  if (session.operator) return `${name}'s chat was transferred to ${session.operator.name}.`;
  if (session.status === 'waiting') return `${name}'s chat went back to the queue${session.department ? ` (${session.department})` : ''}.`;
  return `${name}'s chat was moved away from you.`;
}

function describe(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong. Please try again.';
}
