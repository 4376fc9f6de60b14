import { el, field, replaceChildren } from '../shared/dom';
import { ApiError } from '../shared/http';
import { MessageLimit } from '../shared/composer';
import type { Availability, CannedResponse, Label, Operator, OperatorStatus, SearchResult, Session, Settings } from '../shared/protocol';
import { ask } from '../shared/socket';
import { AccountView } from './accountView';
import { AuditView } from './auditView';
import { savedToken, type Login } from './auth';
import { ChatActions } from './chatActions';
import { ChatTabs } from './chatTabs';
import { ConsoleContext, type Views } from './context';
import { CustomerData } from './customerData';
import { describe } from './describe';
import { ConversationView } from './conversationView';
import { HistoryView } from './historyView';
import { LabelsAdmin } from './labelsAdmin';
import { LiveView } from './liveView';
import { loginView } from './loginView';
import { Notifier } from './notify';
import { OperatorSocket } from './operatorSocket';
import { Queue } from './queue';
import { QueueView } from './queueView';
import { ScreenNav, type Screen } from './screenNav';
import { SearchView } from './searchView';
import { SettingsView } from './settingsView';
import { TabsView } from './tabsView';
import { TeamRefresh } from './teamRefresh';
import { TeamView } from './teamView';
import { TranscriptView } from './transcriptView';

/** The name the server gives the admin it makes on a first run (services/operators/bootstrapAdmin.ts). */
const FIRST_RUN_NAME = 'Administrator';

/**
 * The operator console: login, own status, and its screens: chats (the queue, one tab per held session, the
 * conversation with the customer beside it), history, the operator's account, and for admins the live chats,
 * the team, the settings and the audit log. Socket.IO /operator carries everything live; REST loads lists and
 * history.
 */
export class ConsoleApp {
  private readonly ctx = new ConsoleContext();
  private readonly notifier = new Notifier();
  private readonly tabs = new ChatTabs(this.ctx, this.notifier, () => this.queue.refreshSoon());
  private readonly queue = new Queue(this.ctx, this.tabs);
  private readonly team = new TeamRefresh(this.ctx);
  private readonly actions = new ChatActions(this.ctx, this.tabs);
  private readonly customerData = new CustomerData(this.ctx, this.tabs, () => this.queue.refreshSoon());
  /** The longest message the server takes: read from its availability once signed in. */
  private readonly messageLimit = new MessageLimit();
  private readonly socket = new OperatorSocket(this.ctx, {
    tabs: this.tabs,
    actions: this.actions,
    queue: this.queue,
    team: this.team,
    signOut: (problem) => this.signOut(problem),
  });

  constructor(private readonly root: HTMLElement) {
    document.addEventListener('visibilitychange', () => this.tabs.markRead());
    document.addEventListener('keydown', (event) => this.shortcut(event));
  }

  /** The console without a mouse: Alt with an arrow, R or T (shown at the foot of the page). */
  private shortcut(event: KeyboardEvent): void {
    const views = this.ctx.views;
    if (!views || !event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    // Some Alt+arrows belong to the control: Alt+↑/↓ opens a list box, Alt+←/→ moves by word in text (a Mac).
    const target = event.target instanceof Element ? event.target : null;
    if ((key === 'ArrowUp' || key === 'ArrowDown') && target?.closest('select')) return;
    if ((key === 'ArrowLeft' || key === 'ArrowRight') && target?.closest('select, textarea, input')) return;
    const inChats = (): void => views.nav.show('chats');
    const actions: Record<string, () => void> = {
      ArrowDown: () => (inChats(), this.tabs.step(1)),
      ArrowUp: () => (inChats(), this.tabs.step(-1)),
      ArrowRight: () => views.nav.step(1),
      ArrowLeft: () => views.nav.step(-1),
      r: () => (inChats(), views.conversation.focusInput()),
      t: () => (inChats(), void this.queue.takeNext()),
    };
    // By the character typed: where Alt types a character of its own (Option on a Mac), it stays that character.
    const action = actions[key];
    if (!action) return;
    event.preventDefault();
    action();
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
    const { ctx } = this;
    const admin = me.role === 'admin';
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
    const myName = el('span', { className: 'me-name', text: `${me.name}${admin ? ' (admin)' : ''}` });

    const openChat = (session: Session): void => {
      this.ctx.views?.nav.show('chats');
      void this.tabs.open(session, null);
    };
    const operatorsById = (): Map<number, Operator> => new Map(this.team.known().map((o) => [o.id, o]));
    const transcript = new TranscriptView(ctx.http, () => ctx.me, operatorsById, openChat);
    const history = new HistoryView(ctx.http, transcript);
    const account = new AccountView(me, {
      changePassword: async (currentPassword, newPassword) => {
        const change = ctx.http.call<Login>('PUT', '/api/auth/password', { currentPassword, newPassword });
        ctx.renewing = change;
        try {
          const login = await change;
          ctx.token = login.token;
          ctx.me = login.operator;
          savedToken.set(login.token);
          return login;
        } catch (error) {
          // A 401 is a wrong current password, unless this login itself has ended (expired, logged out elsewhere).
          if (error instanceof ApiError && error.status === 401 && !(await ctx.http.call('GET', '/api/auth/me').then(() => true, () => false))) {
            this.signOut('Your login has ended. Please log in again.');
          }
          throw error;
        } finally {
          ctx.renewing = null;
        }
      },
      rename: async (name) => {
        const renamed = await ctx.http.call<Operator>('PATCH', `/api/operators/${me.id}`, { name });
        if (ctx.me) ctx.me.name = renamed.name;
        myName.textContent = `${renamed.name}${admin ? ' (admin)' : ''}`;
        return renamed;
      },
    });
    const team = admin
      ? new TeamView({
          save: (id, change) => (id === null ? ctx.http.call<Operator>('POST', '/api/operators', change) : ctx.http.call<Operator>('PATCH', `/api/operators/${id}`, change)),
          saved: (operator, created) => {
            ctx.toast(created ? `${operator.name} can now log in.` : `${operator.name} saved.`);
            void this.team.refreshTeam();
          },
          setDisabled: (operator, disabled) => {
            ctx.http
              .call<Operator>('PATCH', `/api/operators/${operator.id}`, { disabled })
              .then((changed) => ctx.toast(`${changed.name} is ${disabled ? 'disabled' : 'enabled again'}.`))
              .catch((error: unknown) => ctx.problem(error))
              .finally(() => void this.team.refreshTeam());
          },
        })
      : null;
    const settings = admin
      ? new SettingsView({
          load: () => ctx.http.call<Settings>('GET', '/api/settings'),
          save: (change) => ctx.http.call<Settings>('PATCH', '/api/settings', change),
        })
      : null;
    const labelsAdmin = admin
      ? new LabelsAdmin({
          list: () => ctx.http.call<Label[]>('GET', '/api/labels'),
          create: (name, color) => ctx.http.call<Label>('POST', '/api/labels', { name, color }),
          remove: async (name) => {
            await ctx.http.call('DELETE', `/api/labels/${encodeURIComponent(name)}`);
          },
          changed: () => this.socket.refreshLabels(),
        })
      : null;
    const audit = admin ? new AuditView(ctx.http, operatorsById) : null;
    const live = admin
      ? new LiveView(ctx.http, {
          open: openChat,
          takeOver: async (session) => {
            if (await this.actions.takeOver(session)) this.ctx.views?.nav.show('chats');
          },
        })
      : null;
    const conversation = new ConversationView({
      send: (content, internal) => this.actions.send(content, internal),
      sendFile: (file, internal) => this.actions.sendFile(file, internal),
      keystroke: (note) => this.tabs.keystroke(note),
      close: () => void this.actions.closeSelected(),
      transfer: (target) => void this.actions.transfer(target),
      loadOlder: () => void this.tabs.loadOlder(),
      dismiss: () => this.actions.dismiss(),
      setLabels: (labels) => void this.actions.setLabels(labels),
      teamLabels: () => ctx.labels,
      cannedResponses: () => ctx.http.call<CannedResponse[]>('GET', '/api/canned-responses'),
      operatorName: () => ctx.me?.name ?? '',
      me: () => ctx.me,
      messageLimit: this.messageLimit,
      takeOver: () => {
        const chat = this.tabs.selectedChat();
        if (chat) void this.actions.takeOver(chat.session);
      },
      customer: {
        earlier: (session) => this.earlierSessions(session),
        open: openChat,
        privacy: admin ? this.customerData : null,
      },
    });
    const search = new SearchView({
      find: async (q, label, cursor) => {
        const query = new URLSearchParams({ q, ...(label ? { label } : {}), ...(cursor ? { cursor } : {}) });
        const page = await ctx.http.page<SearchResult[]>('GET', `/api/chat/search?${query.toString()}`);
        return { results: page.data, nextCursor: typeof page.meta?.nextCursor === 'string' ? page.meta.nextCursor : null };
      },
      open: (result) => void this.tabs.open(result.session, result.message?.id ?? null),
      labels: () => ctx.labels,
    });
    const queue = new QueueView((session) => void this.queue.take(session));
    const tabs = new TabsView((id) => this.tabs.select(id));
    const chats = el('main', { className: 'layout screen' }, el('aside', { className: 'side' }, queue.root, tabs.root, search.root), conversation.root);
    const screens: Screen[] = [
      { name: 'chats', label: 'Chats', root: chats, enter: () => this.tabs.selectedChat() && conversation.focusInput() },
      { name: 'history', label: 'History', root: history.root, enter: () => void history.enter(this.team.known(), ctx.labels) },
      ...(live ? [{ name: 'live' as const, label: 'Live chats', root: live.root, enter: () => live.enter(), leave: () => live.leave() }] : []),
      ...(team ? [{ name: 'team' as const, label: 'Team', root: team.root, enter: () => void this.team.refreshTeam() }] : []),
      ...(settings && labelsAdmin
        ? [{ name: 'settings' as const, label: 'Settings', root: el('div', { className: 'screen settings-screen' }, settings.root, labelsAdmin.root), enter: () => void labelsAdmin.reload() }]
        : []),
      ...(audit ? [{ name: 'audit' as const, label: 'Audit log', root: audit.root, enter: () => void audit.enter() }] : []),
      { name: 'account', label: 'My account', root: account.root },
    ];
    const nav = new ScreenNav(screens);
    const views: Views = { status, connection, toast, queue, tabs, conversation, search, history, account, team, settings, live, nav };
    ctx.views = views;
    replaceChildren(
      this.root,
      el(
        'header',
        { className: 'top' },
        el('h1', { text: 'Operator console' }),
        nav.root,
        el('div', { className: 'me' }, myName, field('My status', status), notifications, logout),
      ),
      connection,
      toast,
      ...screens.map((screen) => screen.root),
      el('p', { className: 'shortcuts muted', text: 'Keyboard: Alt+↓ / Alt+↑ next or previous chat · Alt+R reply box · Alt+T take the next waiting chat · Alt+← / Alt+→ screens' }),
    );
    nav.show('chats');
    queue.render([], null);
    this.tabs.renderTabs();
    this.team.start();
    this.queue.start();
    this.socket.connect();
    this.openLinkedSession();
    ctx.http
      .call<Availability>('GET', '/api/chat/availability')
      .then((availability) => (this.messageLimit.max = availability.maxMessageLength))
      .catch(() => undefined);
    // Customers see an operator's name: the first-run admin is asked to choose theirs.
    if (admin && me.name === FIRST_RUN_NAME) {
      nav.show('account');
      account.askName();
    }
  }

  /** The customer's other conversations: by their id, else by their email (a search, kept to that exact address). */
  private async earlierSessions(session: Session): Promise<Session[]> {
    const { http } = this.ctx;
    if (session.customerId) return http.call<Session[]>('GET', `/api/users/${encodeURIComponent(session.customerId)}/sessions`);
    const email = session.customerEmail;
    if (!email) return [];
    const found = await http.call<SearchResult[]>('GET', `/api/chat/search?${new URLSearchParams({ q: email, limit: '50' }).toString()}`);
    const sessions = new Map(found.map((result) => [result.session.id, result.session]));
    return [...sessions.values()].filter((s) => s.customerEmail?.toLowerCase() === email.toLowerCase());
  }

  /** `/console?session=<id>` (the link in a mail about an offline message) opens that conversation. */
  private openLinkedSession(): void {
    const wanted = new URLSearchParams(location.search).get('session');
    if (!wanted) return;
    this.ctx.http
      .call<Session>('GET', `/api/chat/sessions/${encodeURIComponent(wanted)}`)
      .then((session) => this.tabs.open(session, null))
      .catch((error: unknown) => this.ctx.problem(error));
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
      ctx.problem(error);
    }
  }

  private async logout(): Promise<void> {
    await this.ctx.http.call('POST', '/api/auth/logout', {}).catch(() => undefined);
    this.signOut(null);
  }

  private signOut(problem: string | null): void {
    this.socket.close();
    this.team.stop();
    this.queue.stop();
    this.ctx.views?.live?.leave();
    this.tabs.clear();
    this.ctx.views = null;
    this.ctx.me = null;
    // Another tab may have saved a newer token meanwhile (its own password change): that one stays.
    if (savedToken.get() === this.ctx.token) savedToken.clear();
    this.showLogin(problem);
  }
}
