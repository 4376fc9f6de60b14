import { io, type Socket } from 'socket.io-client';
import { el, replaceChildren } from '../shared/dom';
import { duration } from '../shared/format';
import { ApiError, Http } from '../shared/http';
import { Outbox, type Outgoing } from '../shared/outbox';
import type { Availability, Message, Session } from '../shared/protocol';
import { TRANSPORTS, ask, retryRefused } from '../shared/socket';
import { TypingSender } from '../shared/typing';
import { ChatView } from './chatView';
import { ratingForm, startForm, type StartFields } from './forms';
import { ChatStorage, type SavedChat } from './storage';

export interface WidgetOptions {
  server: string;
  departments: string[];
}

/** Metadata that marks a session started from the "leave a message" form. */
const LEFT_MESSAGE = 'leftMessage';

/**
 * The customer's chat: launcher, panel, and one session at a time from start form to rating. The session token
 * is kept in localStorage, so a reload (or a dropped network) resumes the same session with every message.
 */
/** How often a waiting customer's estimated wait is refreshed at most. */
const ESTIMATE_EVERY_MS = 10_000;

export class Widget {
  private readonly http: Http;
  private readonly storage: ChatStorage;
  private saved: SavedChat | null = null;
  private session: Session | null = null;
  private socket: Socket | null = null;
  private view: ChatView | null = null;
  private readonly outbox = new Outbox();
  private typingSender: TypingSender | null = null;
  private queuePosition: number | null = null;
  private estimateSeconds: number | null = null;
  private estimateTimer: ReturnType<typeof setTimeout> | null = null;
  private lastEstimateAt = 0;
  private readSent = 0;
  private unseen = 0;
  /** What is shown below the conversation, so a repeated update does not reset a half-filled rating form. */
  private shownAfter: 'nothing' | 'rating' | 'thanks' = 'nothing';
  private readonly panel: HTMLElement;
  private readonly body: HTMLElement;
  private readonly launcher: HTMLButtonElement;
  private readonly badge: HTMLElement;

  constructor(container: ShadowRoot, private readonly options: WidgetOptions) {
    this.http = new Http(options.server, () => this.saved?.customerToken ?? null);
    this.storage = new ChatStorage(options.server);
    const minimize = el('button', { type: 'button', className: 'lc-icon', 'aria-label': 'Minimize chat', text: '–' });
    minimize.addEventListener('click', () => this.setOpen(false));
    this.body = el('div', { className: 'lc-body' });
    this.panel = el(
      'section',
      { className: 'lc-panel', id: 'lc-panel', role: 'dialog', 'aria-label': 'Live chat' },
      el('header', { className: 'lc-header' }, el('h2', { text: 'Chat with us' }), minimize),
      this.body,
    );
    this.panel.hidden = true;
    this.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.setOpen(false);
    });
    this.badge = el('span', { className: 'lc-badge' });
    this.badge.hidden = true;
    this.launcher = el('button', { type: 'button', className: 'lc-launcher', 'aria-controls': 'lc-panel', 'aria-expanded': 'false' }, el('span', { text: 'Chat with us' }), this.badge);
    this.launcher.addEventListener('click', () => this.setOpen(this.panel.hidden));
    container.append(el('div', { className: 'lc-root' }, this.panel, this.launcher));
    document.addEventListener('visibilitychange', () => this.markRead());
  }

  /** Resumes a saved session (reopening the panel if it was open), or waits for the launcher. */
  async start(): Promise<void> {
    this.saved = this.storage.load();
    if (!this.saved) return;
    if (this.saved.open) this.setOpen(true, false);
    await this.resume();
  }

  private setOpen(open: boolean, focus = true): void {
    this.panel.hidden = !open;
    this.launcher.setAttribute('aria-expanded', String(open));
    if (this.saved) this.storage.save({ ...this.saved, open });
    if (!open) {
      if (focus) this.launcher.focus();
      return;
    }
    this.unseen = 0;
    this.updateBadge();
    if (!this.saved && !this.session) void this.showStart();
    this.markRead();
    if (focus) this.view?.focusInput();
  }

  private setBody(...nodes: Node[]): void {
    replaceChildren(this.body, ...nodes);
  }

  private async showStart(): Promise<void> {
    this.setBody(el('p', { className: 'lc-status', role: 'status', text: 'Checking who is online…' }));
    let availability: Availability;
    try {
      availability = await this.http.call<Availability>('GET', '/api/chat/availability');
    } catch (error) {
      this.showProblem(error, () => void this.showStart());
      return;
    }
    const kind = availability.online ? 'chat' : 'leave-message';
    const form = startForm(kind, this.options.departments, (fields) => {
      this.begin(fields, kind === 'leave-message').catch((error: unknown) => form.fail(describe(error)));
    });
    this.setBody(form.root);
    form.root.querySelector('input')?.focus();
  }

  private showProblem(error: unknown, retry: () => void): void {
    const again = el('button', { type: 'button', className: 'lc-secondary', text: 'Try again' });
    again.addEventListener('click', retry);
    this.setBody(el('div', { className: 'lc-problem' }, el('p', { className: 'lc-error', role: 'alert', text: describe(error) }), again));
  }

  private async begin(fields: StartFields, leftMessage: boolean): Promise<void> {
    const metadata: Record<string, unknown> = { page: location.href.slice(0, 500) };
    if (leftMessage) metadata[LEFT_MESSAGE] = true;
    const created = await this.http.call<{ session: Session; customerToken: string }>('POST', '/api/chat/sessions', {
      customerName: fields.customerName,
      customerEmail: fields.customerEmail,
      ...(fields.department ? { department: fields.department } : {}),
      ...(fields.message ? { message: fields.message } : {}),
      metadata,
    });
    this.saved = { sessionId: created.session.id, customerToken: created.customerToken, open: true };
    this.storage.save(this.saved);
    this.enter(created.session);
  }

  private async resume(): Promise<void> {
    const saved = this.saved;
    if (!saved) return;
    let session: Session;
    try {
      session = await this.http.call<Session>('GET', `/api/chat/sessions/${encodeURIComponent(saved.sessionId)}`);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
        this.forget();
        if (!this.panel.hidden) void this.showStart();
      } else {
        this.showProblem(error, () => void this.resume());
      }
      return;
    }
    this.enter(session);
  }

  private enter(session: Session): void {
    this.session = session;
    this.queuePosition = session.queuePosition ?? null;
    this.readSent = 0;
    this.shownAfter = 'nothing';
    this.view = new ChatView((message) => message.senderName ?? this.operatorName(), {
      send: (content) => this.send(content),
      keystroke: () => this.typingSender?.keystroke(),
      end: () => void this.end(),
    });
    this.setBody(this.view.root);
    this.render();
    if (session.status === 'closed') void this.loadClosedHistory();
    else this.connect();
    if (session.status === 'waiting') void this.refreshEstimate();
    this.view.focusInput();
  }

  private operatorName(): string {
    return this.session?.operator?.name ?? 'Operator';
  }

  /** The status line and what is offered, from the session's state. */
  private render(): void {
    const { session, view } = this;
    if (!session || !view) return;
    view.setOpen(session.status !== 'closed');
    const after = session.status !== 'closed' ? 'nothing' : session.rating === null ? 'rating' : 'thanks';
    const changed = after !== this.shownAfter;
    this.shownAfter = after;
    if (session.status === 'closed') {
      view.setStatus('This chat has ended.');
      if (!changed) return;
      if (session.rating === null) {
        const form = ratingForm((rating, comment) => {
          this.rate(rating, comment).catch((error: unknown) => form.fail(describe(error)));
        });
        view.showAfter(form.root, this.newChatButton());
      } else {
        view.showAfter(el('p', { className: 'lc-thanks', role: 'status', text: 'Thanks for your feedback!' }), this.newChatButton());
      }
      return;
    }
    if (changed) view.showAfter();
    if (session.status === 'active') {
      view.setStatus(`You're chatting with ${this.operatorName()}.`);
    } else if (session.metadata?.[LEFT_MESSAGE] === true) {
      const email = session.customerEmail ? ` We'll reply to ${session.customerEmail},` : " We'll reply";
      view.setStatus(`Thanks, your message was sent.${email} or right here if an operator comes online while you are on this page.`);
    } else {
      const place = this.queuePosition === null ? 'You are in the queue.' : `You are number ${this.queuePosition} in the queue.`;
      const wait = this.estimateSeconds === null ? '' : ` Estimated wait: ${duration(this.estimateSeconds)}.`;
      view.setStatus(`${place}${wait}`);
    }
  }

  private newChatButton(): HTMLButtonElement {
    const button = el('button', { type: 'button', className: 'lc-secondary', text: 'Start a new chat' });
    button.addEventListener('click', () => this.newChat());
    return button;
  }

  private connect(): void {
    const saved = this.saved;
    if (!saved || this.socket) return;
    const socket = io(`${this.options.server}/customer`, { auth: { token: saved.customerToken }, reconnectionDelayMax: 5_000, ...TRANSPORTS });
    this.socket = socket;
    this.typingSender = new TypingSender((isTyping) => {
      if (socket.connected && this.session?.status !== 'closed') ask(socket, 'typing', { isTyping }).catch(() => undefined);
    });
    socket.on('connect', () => void this.onConnected(socket));
    socket.on('disconnect', (reason: string) => {
      this.view?.setConnected(false);
      // A server that stops drops its sockets itself, and Socket.IO does not retry those: another process (or
      // the restarted one) will take the session. A dead token ends in connect_error below.
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1_000);
    });
    socket.on('connect_error', (error: Error) => {
      this.view?.setConnected(false);
      if (error.message === 'UNAUTHENTICATED') {
        // The session is gone (or its token refused): nothing to resume.
        this.newChat();
        return;
      }
      retryRefused(socket, error, () => this.socket === socket);
    });
    socket.on('session:queued', ({ position }: { position: number }) => {
      this.queuePosition = position;
      this.render();
      this.scheduleEstimate();
    });
    socket.on('session:assigned', ({ session, operator }: { session: Session; operator: { id: number; name: string } }) => this.update({ ...session, operator }));
    socket.on('session:transferred', ({ session }: { session: Session }) => this.update(session));
    socket.on('session:closed', ({ session }: { session: Session }) => {
      this.typingSender?.stop();
      this.update(session);
    });
    socket.on('message:new', ({ message }: { message: Message }) => this.receive([message]));
    socket.on('typing', ({ isTyping }: { isTyping: boolean }) => this.view?.typing.set(isTyping, this.operatorName()));
    socket.on('messages:read', ({ upToId }: { upToId: number }) => this.view?.list.markReadUpTo(upToId));
  }

  /** Every (re)connect: catch up on what was missed, refresh the session's state, send what waited. */
  private async onConnected(socket: Socket): Promise<void> {
    const view = this.view;
    if (!view) return;
    view.setConnected(true);
    try {
      const { messages } = await ask<{ messages: Message[] }>(socket, 'messages:sync', { afterId: view.list.lastId() });
      this.receive(messages);
      if (this.saved) this.update(await this.http.call<Session>('GET', `/api/chat/sessions/${encodeURIComponent(this.saved.sessionId)}`));
    } catch {
      // The next reconnect tries again; the socket's own events keep the view current meanwhile.
    }
    for (const item of this.outbox.all()) void this.deliver(item);
  }

  private update(session: Session): void {
    if (!this.session || session.id !== this.session.id) return;
    // session:assigned carries the operator beside the session; keep it if a later copy lacks it.
    this.session = { ...session, operator: session.operator ?? (session.status === 'active' ? this.session.operator : null) };
    if (session.status !== 'waiting') this.queuePosition = null;
    else if (session.queuePosition !== undefined) this.queuePosition = session.queuePosition;
    this.render();
  }

  private receive(messages: Message[]): void {
    const view = this.view;
    if (!view || messages.length === 0) return;
    const fresh = messages.filter((m) => !view.list.has(m.id));
    view.list.upsert(...messages);
    const fromOperator = fresh.filter((m) => m.senderType === 'operator');
    if (fromOperator.length > 0) {
      view.typing.set(false, this.operatorName());
      if (this.panel.hidden) {
        this.unseen += fromOperator.length;
        this.updateBadge();
      }
    }
    this.markRead();
  }

  private updateBadge(): void {
    this.badge.hidden = this.unseen === 0;
    this.badge.textContent = this.unseen === 0 ? '' : `${this.unseen} new`;
  }

  /** Read receipts only for what the customer can actually see: panel open, tab visible. */
  private markRead(): void {
    const { socket, view } = this;
    if (!socket?.connected || !view || this.panel.hidden || document.visibilityState !== 'visible') return;
    const upToId = view.list.lastOtherId();
    if (upToId <= this.readSent) return;
    this.readSent = upToId;
    ask(socket, 'messages:read', { upToId }).catch(() => {
      this.readSent = 0;
    });
  }

  private send(content: string): void {
    const item = this.outbox.add(content);
    this.view?.list.addPending(item.clientMessageId, content);
    this.typingSender?.stop();
    void this.deliver(item);
  }

  private async deliver(item: Outgoing): Promise<void> {
    const socket = this.socket;
    if (!socket?.connected) {
      this.view?.list.failPending(item.clientMessageId);
      return;
    }
    try {
      const message = await ask<Message>(socket, 'message:send', { content: item.content, clientMessageId: item.clientMessageId });
      this.outbox.done(item.clientMessageId);
      this.receive([message]);
    } catch (error) {
      this.view?.list.failPending(item.clientMessageId);
      // Refused for good (closed, invalid): retrying would not help.
      if (error instanceof ApiError && error.code !== 'TIMEOUT' && error.code !== 'RATE_LIMITED') this.outbox.done(item.clientMessageId);
    }
  }

  private async end(): Promise<void> {
    const saved = this.saved;
    if (!saved) return;
    this.typingSender?.stop();
    try {
      this.update(await this.http.call<Session>('PUT', `/api/chat/sessions/${encodeURIComponent(saved.sessionId)}/close`, {}));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'SESSION_CLOSED') void this.resume();
      else this.view?.setStatus(describe(error));
    }
  }

  private async rate(rating: number, comment: string | null): Promise<void> {
    const saved = this.saved;
    if (!saved) return;
    const session = await this.http.call<Session>('POST', `/api/chat/sessions/${encodeURIComponent(saved.sessionId)}/rating`, comment ? { rating, comment } : { rating });
    this.update(session);
  }

  private async loadClosedHistory(): Promise<void> {
    const saved = this.saved;
    const view = this.view;
    if (!saved || !view) return;
    let after = 0;
    for (;;) {
      const page = await this.http.page<Message[]>('GET', `/api/chat/messages/${encodeURIComponent(saved.sessionId)}?after=${after}&limit=200`).catch(() => null);
      if (!page || page.data.length === 0) return;
      view.list.upsert(...page.data);
      after = page.data[page.data.length - 1].id;
      if (page.meta?.hasMore !== true) return;
    }
  }

  /**
   * At most one availability read per ESTIMATE_EVERY_MS, the last position change always covered: every
   * waiting customer hears every queue change, and each asking at once would multiply the server's load.
   */
  private scheduleEstimate(): void {
    if (this.estimateTimer !== null) return;
    const wait = Math.max(0, this.lastEstimateAt + ESTIMATE_EVERY_MS - Date.now());
    this.estimateTimer = setTimeout(() => {
      this.estimateTimer = null;
      this.lastEstimateAt = Date.now();
      void this.refreshEstimate();
    }, wait);
  }

  private async refreshEstimate(): Promise<void> {
    try {
      const availability = await this.http.call<Availability>('GET', '/api/chat/availability');
      this.estimateSeconds = availability.online ? availability.estimatedWaitSeconds : null;
      this.render();
    } catch {
      // The estimate is a courtesy; the queue position stands without it.
    }
  }

  private newChat(): void {
    this.socket?.disconnect();
    this.socket = null;
    this.typingSender = null;
    this.session = null;
    this.view = null;
    this.outbox.clear();
    this.forget();
    this.queuePosition = null;
    this.estimateSeconds = null;
    if (this.estimateTimer !== null) clearTimeout(this.estimateTimer);
    this.estimateTimer = null;
    if (this.panel.hidden) this.setBody();
    else void this.showStart();
  }

  private forget(): void {
    this.storage.clear();
    this.saved = null;
  }
}

function describe(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'VALIDATION_ERROR') return 'Please check the form: some fields are not valid.';
    if (error.code === 'RATE_LIMITED') return 'Too many attempts. Please wait a minute and try again.';
    return error.message;
  }
  return 'Something went wrong. Please try again.';
}
