import { el, field, replaceChildren } from '../shared/dom';
import { ApiError } from '../shared/http';
import type { CannedResponse, Operator, OperatorStatus, SearchResult, Session, Settings } from '../shared/protocol';
import { ask } from '../shared/socket';
import { savedToken, type Login } from './auth';
import { ChatActions } from './chatActions';
import { ChatTabs } from './chatTabs';
import { ConsoleContext, describe, type Views } from './context';
import { ConversationView } from './conversationView';
import { loginView } from './loginView';
import { Notifier } from './notify';
import { OperatorSocket } from './operatorSocket';
import { Queue } from './queue';
import { QueueView } from './queueView';
import { SearchView } from './searchView';
import { SettingsView } from './settingsView';
import { TabsView } from './tabsView';
import { TeamRefresh } from './teamRefresh';
import { TeamView } from './teamView';

/**
 * The operator console: login, own status, the queue, one tab per held session, the conversation, and for
 * admins the team. Socket.IO /operator carries everything live; REST loads lists and history.
 */
export class ConsoleApp {
  private readonly ctx = new ConsoleContext();
  private readonly notifier = new Notifier();
  private readonly tabs = new ChatTabs(this.ctx, this.notifier, () => this.queue.refreshSoon());
  private readonly queue = new Queue(this.ctx, this.tabs);
  private readonly team = new TeamRefresh(this.ctx);
  private readonly actions = new ChatActions(this.ctx, this.tabs);
  private readonly socket = new OperatorSocket(this.ctx, {
    tabs: this.tabs,
    actions: this.actions,
    queue: this.queue,
    team: this.team,
    signOut: (problem) => this.signOut(problem),
  });

  constructor(private readonly root: HTMLElement) {
    document.addEventListener('visibilitychange', () => this.tabs.markRead());
  }

  async start(): Promise<void> {
    const { ctx } = this;
    if (!ctx.token) return this.showLogin();
    try {
      ctx.me = await ctx.http.call<Operator>('GET', '/api/auth/me');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) savedToken.clear();
      return this.showLogin(error instanceof ApiError && error.status === 401 ? null : describe(error));
    }
    this.showMain();
  }

  private showLogin(problem: string | null = null): void {
    const { ctx } = this;
    ctx.token = null;
    const view = loginView(async (email, password) => {
      try {
        const login = await ctx.http.call<Login>('POST', '/api/auth/login', { email, password });
        ctx.token = login.token;
        ctx.me = login.operator;
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
    const me = this.ctx.me;
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
      queue: new QueueView((session) => void this.queue.take(session)),
      tabs: new TabsView((id) => this.tabs.select(id)),
      conversation: new ConversationView({
        send: (content, internal) => this.actions.send(content, internal),
        sendFile: (file, internal) => this.actions.sendFile(file, internal),
        keystroke: () => this.tabs.typing.keystroke(),
        close: () => void this.actions.closeSelected(),
        transfer: (target) => void this.actions.transfer(target),
        loadOlder: () => void this.tabs.loadOlder(),
        dismiss: () => this.actions.dismiss(),
        setLabels: (labels) => void this.actions.setLabels(labels),
        teamLabels: () => this.ctx.labels,
        cannedResponses: () => this.ctx.http.call<CannedResponse[]>('GET', '/api/canned-responses'),
        operatorName: () => this.ctx.me?.name ?? '',
      }),
      team: me.role === 'admin' ? new TeamView(() => void this.team.refreshTeam()) : null,
      settings:
        me.role === 'admin'
          ? new SettingsView({
              load: () => this.ctx.http.call<Settings>('GET', '/api/settings'),
              save: (change) => this.ctx.http.call<Settings>('PATCH', '/api/settings', change),
            })
          : null,
      search: new SearchView({
        find: async (q, label, cursor) => {
          const query = new URLSearchParams({ q, ...(label ? { label } : {}), ...(cursor ? { cursor } : {}) });
          const page = await this.ctx.http.page<SearchResult[]>('GET', `/api/chat/search?${query.toString()}`);
          return { results: page.data, nextCursor: typeof page.meta?.nextCursor === 'string' ? page.meta.nextCursor : null };
        },
        open: (result) => void this.tabs.open(result.session, result.message?.id ?? null),
        labels: () => this.ctx.labels,
      }),
    };
    this.ctx.views = views;
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
      el('main', { className: 'layout' }, el('aside', { className: 'side' }, views.queue.root, views.tabs.root, views.search.root), views.conversation.root, views.team ? el('div', { className: 'admin-column' }, views.team.root, views.settings?.root) : null),
    );
    views.queue.render([]);
    this.tabs.renderTabs();
    this.team.start();
    this.socket.connect();
    this.openLinkedSession();
  }

  /** `/console?session=<id>` (the link in a mail about an offline message) opens that conversation. */
  private openLinkedSession(): void {
    const wanted = new URLSearchParams(location.search).get('session');
    if (!wanted) return;
    this.ctx.http
      .call<Session>('GET', `/api/chat/sessions/${encodeURIComponent(wanted)}`)
      .then((session) => this.tabs.open(session, null))
      .catch((error: unknown) => this.ctx.toast(describe(error)));
  }

  private async setStatus(status: OperatorStatus): Promise<void> {
    const { ctx } = this;
    const socket = ctx.socket;
    const views = ctx.views;
    if (!socket || !views || !ctx.me) return;
    try {
      ctx.me = await ask<Operator>(socket, 'status:set', { status });
      views.status.value = ctx.me.status;
      await this.queue.refresh();
    } catch (error) {
      views.status.value = ctx.me.status;
      ctx.toast(describe(error));
    }
  }

  private async logout(): Promise<void> {
    await this.ctx.http.call('POST', '/api/auth/logout', {}).catch(() => undefined);
    this.signOut(null);
  }

  private signOut(problem: string | null): void {
    this.socket.close();
    this.team.stop();
    this.tabs.clear();
    this.ctx.views = null;
    this.ctx.me = null;
    savedToken.clear();
    this.showLogin(problem);
  }
}
