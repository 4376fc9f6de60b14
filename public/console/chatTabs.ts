import type { Message, Session } from '../shared/protocol';
import { ask } from '../shared/socket';
import { TypingSender } from '../shared/typing';
import { customerName, newChat, type Chat } from './chat';
import type { ConsoleContext } from './context';
import type { Notifier } from './notify';

/** The console page's own title, behind the unread count. */
const TITLE = 'Operator console';
/** Messages per history page. */
const PAGE = 50;
/** A conversation opened at a search match shows this many messages before it; older ones load on demand. */
const CONTEXT_BEFORE_MATCH = 10;
/** A conversation opened at a match reads at most this many pages of 200 after it. */
const MAX_PAGES_FROM_MATCH = 10;

/**
 * The chats the operator holds, one tab each, and which one is in front: their history, unread counts, read
 * receipts, and what the operator is typing in the selected one.
 */
export class ChatTabs {
  readonly chats = new Map<string, Chat>();
  private selectedId: string | null = null;
  /** What the operator is typing: a note (colleagues are told, the customer never) or a reply. */
  private typingNote = false;
  readonly typing = new TypingSender((isTyping) => {
    const socket = this.ctx.socket;
    const note = this.typingNote ? { internal: true } : {};
    if (socket?.connected && this.selectedId) ask(socket, 'typing', { sessionId: this.selectedId, isTyping, ...note }).catch(() => undefined);
  });

  constructor(
    private readonly ctx: ConsoleContext,
    private readonly notifier: Notifier,
    /** The queue may have changed: refresh it after the burst. */
    private readonly queueChanged: () => void,
  ) {}

  /** A keystroke in the reply box; switching between note and reply ends what was being typed first. */
  keystroke(note: boolean): void {
    if (note !== this.typingNote) {
      this.typing.stop();
      this.typingNote = note;
    }
    this.typing.keystroke();
  }

  get selected(): string | null {
    return this.selectedId;
  }

  selectedChat(): Chat | undefined {
    return this.selectedId ? this.chats.get(this.selectedId) : undefined;
  }

  assigned(session: Session, announce = true): void {
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
      this.ctx.toast(`New chat from ${name}`);
    }
    if (this.selectedId === null) this.select(session.id);
    this.queueChanged();
  }

  addChat(session: Session): void {
    if (!this.ctx.me) return;
    const chat = newChat(session, this.ctx.me.id);
    this.chats.set(session.id, chat);
    this.renderTabs();
    void this.loadLatest(chat);
  }

  /**
   * Opens any session (a search result) in a tab, held or not, open or closed; with `messageId`, its
   * conversation is read from a little before that message to the newest, and the message is shown marked.
   */
  async open(session: Session, messageId: number | null): Promise<void> {
    if (!this.ctx.me) return;
    let chat = this.chats.get(session.id);
    if (!chat) {
      chat = newChat(session, this.ctx.me.id);
      this.chats.set(session.id, chat);
      this.renderTabs();
      if (messageId === null) await this.loadLatest(chat);
    }
    if (messageId !== null && !chat.list.has(messageId)) await this.loadAround(chat, messageId);
    this.select(session.id);
    if (messageId !== null) chat.list.highlight(messageId);
  }

  /** A message, a few before it, and everything after it to the newest, a page at a time (a search opens a conversation far back). */
  private async loadAround(chat: Chat, messageId: number): Promise<void> {
    const path = `/api/chat/messages/${encodeURIComponent(chat.session.id)}`;
    try {
      const before = await this.ctx.http.page<Message[]>('GET', `${path}?before=${messageId + 1}&limit=${CONTEXT_BEFORE_MATCH + 1}`);
      chat.list.upsert(...before.data);
      chat.hasOlder = before.meta?.hasMore === true;
      let after = messageId;
      for (let pages = 0; pages < MAX_PAGES_FROM_MATCH; pages += 1) {
        const page = await this.ctx.http.page<Message[]>('GET', `${path}?after=${after}&limit=200`);
        chat.list.upsert(...page.data);
        const last = page.data[page.data.length - 1];
        if (page.meta?.hasMore !== true || !last) break;
        after = last.id;
      }
    } catch (error) {
      this.ctx.problem(error);
    }
  }

  private async loadLatest(chat: Chat): Promise<void> {
    try {
      const page = await this.ctx.http.page<Message[]>('GET', `/api/chat/messages/${encodeURIComponent(chat.session.id)}?limit=${PAGE}`);
      chat.hasOlder = page.meta?.hasMore === true;
      this.receive(chat.session.id, page.data);
      chat.unread = chat.session.id === this.selectedId ? 0 : page.data.filter((m) => m.senderType === 'customer' && m.readAt === null).length;
      this.renderTabs();
      if (chat.session.id === this.selectedId) this.ctx.views?.conversation.show(chat);
      this.markRead();
    } catch (error) {
      this.ctx.problem(error);
    }
  }

  async loadOlder(): Promise<void> {
    const chat = this.selectedChat();
    const oldest = chat?.list.oldestId();
    if (!chat || !oldest) return;
    try {
      const page = await this.ctx.http.page<Message[]>('GET', `/api/chat/messages/${encodeURIComponent(chat.session.id)}?before=${oldest}&limit=${PAGE}`);
      chat.list.upsert(...page.data);
      chat.hasOlder = page.meta?.hasMore === true;
      this.ctx.views?.conversation.show(chat);
    } catch (error) {
      this.ctx.problem(error);
    }
  }

  receive(sessionId: string, messages: Message[]): void {
    const chat = this.chats.get(sessionId);
    if (!chat || messages.length === 0) return;
    const fresh = messages.filter((m) => !chat.list.has(m.id) && m.senderType === 'customer');
    chat.list.upsert(...messages);
    if (fresh.length === 0) return;
    chat.customerTyping = false;
    const seen = sessionId === this.selectedId && document.visibilityState === 'visible';
    if (!seen) chat.unread += fresh.length;
    if (sessionId === this.selectedId) this.ctx.views?.conversation.show(chat);
    this.renderTabs();
    this.markRead();
  }

  /** Read receipts for the chat in front of the operator. */
  markRead(): void {
    const socket = this.ctx.socket;
    const chat = this.selectedChat();
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

  select(id: string): void {
    const chat = this.chats.get(id);
    if (!chat) return;
    if (this.selectedId !== id) {
      this.typing.stop();
      if (this.selectedId) this.view(this.selectedId, false);
      this.view(id, true);
    }
    this.selectedId = id;
    this.ctx.views?.conversation.show(chat);
    this.renderTabs();
    this.markRead();
    this.ctx.views?.conversation.focusInput();
  }

  /** Tells the others this operator has the chat open, or no longer (agent collision). */
  view(sessionId: string, viewing: boolean): void {
    const socket = this.ctx.socket;
    if (socket?.connected) ask(socket, 'session:viewing', { sessionId, viewing }).catch(() => undefined);
  }

  /** Who else has a chat open (session:viewers): shown above the reply box. */
  viewers(sessionId: string, operators: Chat['colleagues']): void {
    const chat = this.chats.get(sessionId);
    if (!chat) return;
    chat.colleagues = operators.filter((o) => o.id !== this.ctx.me?.id);
    if (sessionId === this.selectedId) this.ctx.views?.conversation.show(chat);
  }

  /** The next (1) or previous (-1) tab, round the end. */
  step(by: 1 | -1): void {
    const ids = [...this.chats.keys()];
    if (ids.length === 0) return;
    const at = this.selectedId ? ids.indexOf(this.selectedId) : -1;
    const next = ids[(at + by + ids.length) % ids.length];
    if (next) this.select(next);
  }

  renderTabs(): void {
    // The unread count in the browser tab's title, so it shows while the operator is in another tab.
    const unread = [...this.chats.values()].reduce((sum, chat) => sum + chat.unread, 0);
    document.title = unread > 0 ? `(${unread}) ${TITLE}` : TITLE;
    this.ctx.views?.tabs.render(
      [...this.chats.values()].map((chat) => ({ id: chat.session.id, name: customerName(chat.session), unread: chat.unread, closed: chat.session.status === 'closed', labels: chat.session.labels })),
      this.selectedId,
    );
  }

  /** Details of a held chat changed (its labels): the tab and, if in front, the conversation show them. */
  updated(session: Session): void {
    const chat = this.chats.get(session.id);
    if (!chat) return;
    chat.session = session;
    if (session.id === this.selectedId) this.ctx.views?.conversation.show(chat);
    this.renderTabs();
  }

  /**
   * A held chat whose contents were taken away under it (erased): drawn afresh from `session` and the server's
   * messages. A new list, since the old one is labelled with the customer's name and holds their words.
   */
  async reload(session: Session): Promise<void> {
    if (!this.chats.has(session.id) || !this.ctx.me) return;
    const chat = newChat(session, this.ctx.me.id);
    this.chats.set(session.id, chat);
    if (session.id === this.selectedId) this.ctx.views?.conversation.show(chat);
    this.renderTabs();
    await this.loadLatest(chat);
  }

  closed(session: Session): void {
    const chat = this.chats.get(session.id);
    if (!chat) {
      this.queueChanged();
      return;
    }
    chat.session = session;
    chat.customerTyping = false;
    if (session.id === this.selectedId) this.ctx.views?.conversation.show(chat);
    this.renderTabs();
  }

  removeChat(id: string, note: string | null): void {
    if (!this.chats.delete(id)) return;
    if (note) this.ctx.toast(note);
    if (this.selectedId === id) {
      // Gone from this console (transferred, requeued, dismissed): no longer open here either.
      this.view(id, false);
      this.selectedId = null;
      const next = this.chats.keys().next();
      if (!next.done) this.select(next.value);
      else this.ctx.views?.conversation.show(null);
    }
    this.renderTabs();
  }

  /** Logged out: no chat is held any more. */
  clear(): void {
    this.chats.clear();
    this.selectedId = null;
  }
}
