import { el } from '../shared/dom';
import { ApiError, Http } from '../shared/http';
import { clientMessageId } from '../shared/ids';
import { uploadFile } from '../shared/upload';
import { MessageLimit } from '../shared/composer';
import type { Availability, Message, Session } from '../shared/protocol';
import { ChatView } from './chatView';
import { Connection } from './connection';
import { ratingForm } from './forms';
import type { Locale } from './i18n';
import { describe, problemView } from './problem';
import { leftMessageStatus, StartChat, type Created } from './startChat';
import { ChatStorage, type SavedChat } from './storage';
import { WaitEstimate } from './waitEstimate';

/** What the session needs of the panel it is shown in. */
export interface Panel {
  hidden(): boolean;
  setBody(...nodes: Node[]): void;
  /** Operator messages arrived while the panel was closed. */
  unseen(count: number): void;
  /** Who is answering: the operator's name while one is, else null. */
  operator(name: string | null): void;
}

/**
 * One session at a time, from the start form to the rating: started or resumed from what localStorage kept,
 * kept current over the connection, ended, rated, and forgotten when the customer starts a new chat.
 */
export class SessionLifecycle {
  private readonly http: Http;
  private readonly storage: ChatStorage;
  private readonly starter: StartChat;
  /** The longest message the server takes, as its availability says. */
  private readonly limit = new MessageLimit();
  private readonly estimate: WaitEstimate;
  private readonly connection: Connection;
  private saved: SavedChat | null = null;
  private session: Session | null = null;
  private view: ChatView | null = null;
  private queuePosition: number | null = null;
  /** The chat went back to the queue (session:requeued): the status line says why. */
  private requeued = false;
  /** What is shown below the conversation, so a repeated update does not reset a half-filled rating form. */
  private shownAfter: 'nothing' | 'rating' | 'thanks' = 'nothing';

  constructor(
    private readonly server: string,
    departments: string[],
    private readonly locale: Locale,
    private readonly panel: Panel,
  ) {
    this.http = new Http(server, () => this.saved?.customerToken ?? null);
    this.storage = new ChatStorage(server);
    this.starter = new StartChat(this.http, departments, locale, this.storage, this.limit, (...nodes) => panel.setBody(...nodes), (created) => this.begin(created));
    this.estimate = new WaitEstimate(this.http, () => this.render());
    this.connection = new Connection(server, {
      view: () => this.view,
      hidden: () => panel.hidden(),
      closed: () => this.session?.status === 'closed',
      operatorName: () => this.operatorName(),
      unseen: (count) => panel.unseen(count),
      queued: (position) => {
        this.queuePosition = position;
        this.render();
        this.estimate.schedule();
      },
      requeued: (position) => {
        if (!this.session) return;
        this.session = { ...this.session, status: 'waiting', operatorId: null, operator: null };
        this.queuePosition = position;
        this.requeued = true;
        this.render();
        this.estimate.schedule();
      },
      update: (session) => this.update(session),
      reload: async () => {
        if (this.saved) this.update(await this.http.call<Session>('GET', `/api/chat/sessions/${encodeURIComponent(this.saved.sessionId)}`));
      },
      refused: () => this.newChat(),
    });
  }

  /** What localStorage kept of a session, now the one to resume. */
  load(): SavedChat | null {
    this.saved = this.storage.load();
    return this.saved;
  }

  /** Whether the panel is open is kept with the session, so a reload reopens it. */
  rememberOpen(open: boolean): void {
    if (this.saved) this.storage.save({ ...this.saved, open });
  }

  /** No session yet: the start form is what the panel offers. */
  idle(): boolean {
    return !this.saved && !this.session;
  }

  showStart(): Promise<void> {
    return this.starter.show();
  }

  markRead(): void {
    this.connection.markRead();
  }

  focusInput(): void {
    this.view?.focusInput();
  }

  private begin(created: Created): void {
    this.saved = { sessionId: created.session.id, customerToken: created.customerToken, open: true };
    this.storage.save(this.saved);
    this.enter(created.session);
  }

  async resume(): Promise<void> {
    const saved = this.saved;
    if (!saved) return;
    let session: Session;
    try {
      session = await this.http.call<Session>('GET', `/api/chat/sessions/${encodeURIComponent(saved.sessionId)}`);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
        this.forget();
        if (!this.panel.hidden()) void this.showStart();
      } else {
        this.panel.setBody(problemView(error, this.locale.words, () => void this.resume()));
      }
      return;
    }
    this.enter(session);
    // A resumed chat never saw the start form's availability: the server's message limit is read here.
    this.http
      .call<Availability>('GET', '/api/chat/availability')
      .then((availability) => (this.limit.max = availability.maxMessageLength))
      .catch(() => undefined);
  }

  private enter(session: Session): void {
    this.session = session;
    this.queuePosition = session.queuePosition ?? null;
    this.connection.resetRead();
    this.shownAfter = 'nothing';
    this.view = new ChatView(this.server, this.locale, this.limit, (message) => message.senderName ?? this.operatorName(), {
      send: (content) => this.connection.send(content),
      sendFile: (file) => this.sendFile(file),
      keystroke: () => this.connection.keystroke(),
      end: () => void this.end(),
    });
    this.panel.setBody(this.view.root);
    this.render();
    if (session.status === 'closed') void this.loadClosedHistory();
    else if (this.saved) this.connection.open(this.saved.customerToken);
    if (session.status === 'waiting') void this.estimate.refresh();
    this.view.focusInput();
  }

  /** A file from the composer (attach, drop, paste): shown with its progress, then as stored, or with the reason it was refused. */
  private sendFile(file: File): void {
    const view = this.view;
    const saved = this.saved;
    if (!view || !saved) return;
    const id = clientMessageId();
    view.list.addPendingUpload(id, file);
    const url = `${this.server}/api/chat/sessions/${encodeURIComponent(saved.sessionId)}/messages`;
    uploadFile(url, saved.customerToken, file, id, (fraction) => view.list.uploadProgress(id, fraction))
      .then((message) => view.list.upsert(message))
      .catch((error: unknown) => view.list.failUpload(id, this.locale.words.fileRefused(error instanceof ApiError ? error.code : 'INTERNAL', error instanceof Error ? error.message : '')));
  }

  private operatorName(): string {
    return this.session?.operator?.name ?? this.locale.words.operator;
  }

  /** The status line and what is offered, from the session's state. */
  private render(): void {
    const { session, view } = this;
    if (!session || !view) return;
    const { words } = this.locale;
    this.panel.operator(session.status === 'active' ? this.operatorName() : null);
    view.setOpen(session.status !== 'closed');
    const after = session.status !== 'closed' ? 'nothing' : session.rating === null ? 'rating' : 'thanks';
    const changed = after !== this.shownAfter;
    this.shownAfter = after;
    if (session.status === 'closed') {
      view.setStatus(words.ended);
      if (!changed) return;
      if (session.rating === null) {
        const form = ratingForm(words, (rating, comment) => {
          this.rate(rating, comment).catch((error: unknown) => form.fail(describe(error, words)));
        });
        view.showAfter(form.root, this.newChatButton());
      } else {
        view.showAfter(el('p', { className: 'lc-thanks', role: 'status', text: words.thanks }), this.newChatButton());
      }
      return;
    }
    if (changed) view.showAfter();
    const leftMessage = leftMessageStatus(session, words);
    if (session.status === 'active') {
      view.setStatus(words.chattingWith(this.operatorName()));
    } else if (leftMessage !== null) {
      view.setStatus(leftMessage);
    } else {
      view.setStatus(
        [
          // Said once it happened, until someone takes the chat again.
          this.requeued ? words.requeued : null,
          this.queuePosition === null ? words.inQueue : words.queuePosition(this.locale.number(this.queuePosition)),
          this.estimate.seconds === null ? null : words.estimatedWait(this.locale.wait(this.estimate.seconds)),
        ]
          .filter((part) => part !== null)
          .join(' '),
      );
    }
  }

  private newChatButton(): HTMLButtonElement {
    const button = el('button', { type: 'button', className: 'lc-secondary', text: this.locale.words.newChat });
    button.addEventListener('click', () => this.newChat());
    return button;
  }

  private update(session: Session): void {
    if (!this.session || session.id !== this.session.id) return;
    // session:assigned carries the operator beside the session; keep it if a later copy lacks it.
    this.session = { ...session, operator: session.operator ?? (session.status === 'active' ? this.session.operator : null) };
    if (session.status !== 'waiting') {
      this.queuePosition = null;
      this.requeued = false;
    }
    else if (session.queuePosition !== undefined) this.queuePosition = session.queuePosition;
    this.render();
  }

  private async end(): Promise<void> {
    const saved = this.saved;
    if (!saved) return;
    this.connection.stopTyping();
    try {
      this.update(await this.http.call<Session>('PUT', `/api/chat/sessions/${encodeURIComponent(saved.sessionId)}/close`, {}));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'SESSION_CLOSED') void this.resume();
      else this.view?.setStatus(describe(error, this.locale.words));
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

  private newChat(): void {
    this.connection.close();
    this.session = null;
    this.view = null;
    this.forget();
    this.queuePosition = null;
    this.estimate.clear();
    this.panel.operator(null);
    if (this.panel.hidden()) this.panel.setBody();
    else void this.showStart();
  }

  private forget(): void {
    this.storage.clear();
    this.saved = null;
  }
}
