import { el, replaceChildren } from './dom';
import { linkified } from './linkify';
import { clockTime, fullTime } from './format';
import type { Message, SenderType } from './protocol';
import { attachmentView, fileSize } from './upload';

interface Entry {
  message: Message;
  node: HTMLLIElement;
}

/** What the list says about messages on their way, in the page's language (the widget's locale). */
export interface MessageListWords {
  sending: string;
  sent: string;
  read: string;
  notSent: string;
  willRetry: string;
  sendingFile(fileName: string): string;
  openFullSize(fileName: string): string;
}

/** What a page may change; without it the list speaks English, in the browser's time format. */
export interface MessageListOptions {
  words?: MessageListWords;
  /** The BCP 47 tag times are written in. */
  locale?: string;
  /** Shown beside each message of the other party (the widget's operator initials). */
  avatar?: (message: Message) => Node;
}

/** The list's words in English: the console's, and the widget's English catalogue. */
export const ENGLISH_MESSAGE_WORDS: MessageListWords = {
  sending: 'Sending…',
  sent: 'Sent',
  read: 'Read',
  notSent: 'Not sent',
  willRetry: 'Not sent yet: will retry when the connection is back',
  sendingFile: (fileName) => `Sending ${fileName}`,
  openFullSize: (fileName) => `Open ${fileName} full size`,
};

/**
 * The conversation as bubbles: own on one side, everyone else's on the other with the writer's name (as stored
 * with the message: after a transfer each message still shows who wrote it), system lines in the middle, each
 * with its time; own messages carry a tick (sending, sent, read). Messages are keyed by id, and a message still
 * on its way by its clientMessageId, so a late echo, a sync or a second tab never shows one twice.
 */
export class MessageList {
  readonly root: HTMLOListElement;
  private readonly entries = new Map<number, Entry>();
  private readonly pending = new Map<string, HTMLLIElement>();
  private readUpTo = 0;
  private readonly words: MessageListWords;

  /**
   * `party`: the side this page speaks for (read receipts are the other side's); `isOwn`: whether this user
   * wrote the message (an operator's colleague writes for the same side, but is not them).
   */
  constructor(
    private readonly party: Exclude<SenderType, 'system'>,
    private readonly isOwn: (message: Message) => boolean,
    private readonly senderName: (message: Message) => string,
    label: string,
    /** Where the server is: file links are relative to it ('' on the server's own pages). */
    private readonly fileBase = '',
    private readonly options: MessageListOptions = {},
  ) {
    this.words = options.words ?? ENGLISH_MESSAGE_WORDS;
    this.root = el('ol', { className: 'messages', 'aria-live': 'polite', 'aria-label': label, tabindex: 0 });
  }

  clear(): void {
    this.entries.clear();
    this.pending.clear();
    this.readUpTo = 0;
    replaceChildren(this.root);
  }

  /** Shows a message the user just sent, before the server has stored it. */
  addPending(clientMessageId: string, content: string, internal = false): void {
    const node = this.bubble(true, null, content, null, this.words.sending, '…');
    if (internal) markNote(node);
    node.dataset.pending = clientMessageId;
    this.pending.set(clientMessageId, node);
    this.root.appendChild(node);
    this.scrollToEnd(true);
  }

  /** Shows a file being sent, with its progress, until the server has stored it (upsert) or refused it. */
  addPendingUpload(clientMessageId: string, file: File): void {
    const node = this.bubble(true, null, '', null, this.words.sending, '…');
    node.querySelector('.msg-text')?.replaceWith(
      el('p', { className: 'msg-file' }, el('span', { className: 'msg-file-name', text: file.name }), ' ', el('span', { className: 'msg-file-size', text: fileSize(file.size) })),
      el('progress', { className: 'msg-progress', max: 1, value: 0, 'aria-label': this.words.sendingFile(file.name) }),
    );
    node.dataset.pending = clientMessageId;
    this.pending.set(clientMessageId, node);
    this.root.appendChild(node);
    this.scrollToEnd(true);
  }

  uploadProgress(clientMessageId: string, fraction: number): void {
    const bar = this.pending.get(clientMessageId)?.querySelector('progress');
    if (bar) bar.value = fraction;
  }

  /** A file the server refused: the reason stays in its bubble, said to screen readers too. */
  failUpload(clientMessageId: string, reason: string): void {
    const node = this.pending.get(clientMessageId);
    if (!node) return;
    this.pending.delete(clientMessageId);
    node.classList.add('msg-failed');
    node.querySelector('progress')?.replaceWith(el('p', { className: 'msg-refusal', role: 'alert', text: reason }));
    this.setTick(node, this.words.notSent, '!');
  }

  failPending(clientMessageId: string): void {
    const node = this.pending.get(clientMessageId);
    const tick = node?.querySelector('.msg-tick');
    if (tick) {
      tick.textContent = '!';
      tick.setAttribute('aria-label', this.words.willRetry);
      tick.setAttribute('title', this.words.willRetry);
    }
  }

  /** Adds (or confirms) stored messages, wherever they belong by id. */
  upsert(...messages: Message[]): void {
    const atEnd = this.nearEnd();
    for (const message of messages) {
      if (this.entries.has(message.id)) continue;
      const pendingNode = message.clientMessageId ? this.pending.get(message.clientMessageId) : undefined;
      const node = this.render(message);
      if (pendingNode && message.clientMessageId) {
        this.pending.delete(message.clientMessageId);
        pendingNode.remove();
      }
      this.insert(node, message.id);
      this.entries.set(message.id, { message, node });
    }
    this.scrollToEnd(atEnd);
  }

  /** Marks own messages up to an id as read by the other side. */
  markReadUpTo(upToId: number): void {
    this.readUpTo = Math.max(this.readUpTo, upToId);
    for (const { message, node } of this.entries.values()) {
      if (this.isOwn(message) && !message.internal && message.id <= this.readUpTo) this.setTick(node, this.words.read, '✓✓');
    }
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  lastId(): number {
    let last = 0;
    for (const id of this.entries.keys()) last = Math.max(last, id);
    return last;
  }

  oldestId(): number | null {
    let oldest: number | null = null;
    for (const id of this.entries.keys()) oldest = oldest === null ? id : Math.min(oldest, id);
    return oldest;
  }

  /** The newest message from the other party (what a read receipt covers). */
  lastOtherId(): number {
    let last = 0;
    for (const { message } of this.entries.values()) {
      if (message.senderType !== this.party && message.senderType !== 'system') last = Math.max(last, message.id);
    }
    return last;
  }

  private render(message: Message): HTMLLIElement {
    if (message.senderType === 'system') {
      const node = el('li', { className: 'msg msg-system' }, el('span', { className: 'msg-text', text: message.content }), ' ', this.timeEl(message.createdAt));
      node.dataset.id = String(message.id);
      return node;
    }
    const mine = this.isOwn(message);
    const read = mine && (message.readAt !== null || message.id <= this.readUpTo);
    // A note has no read receipt: the customer never sees it.
    const node = mine
      ? this.bubble(true, message.createdAt, message.content, null, message.internal ? null : read ? this.words.read : this.words.sent, message.internal ? null : read ? '✓✓' : '✓')
      : this.bubble(false, message.createdAt, message.content, this.senderName(message), null, null);
    if (!mine && this.options.avatar) node.prepend(this.options.avatar(message));
    if (message.internal) markNote(node);
    if (message.attachment) {
      const text = node.querySelector('.msg-text');
      const file = attachmentView(message.attachment, this.fileBase, this.words.openFullSize);
      // A file without a caption is the whole message.
      if (text && message.content === '') text.replaceWith(file);
      else text?.before(file);
    }
    node.dataset.id = String(message.id);
    return node;
  }

  private bubble(mine: boolean, createdAt: string | null, content: string, name: string | null, tickLabel: string | null, tick: string | null): HTMLLIElement {
    const meta = el('span', { className: 'msg-meta' }, createdAt ? this.timeEl(createdAt) : null);
    if (tickLabel && tick) meta.append(' ', el('span', { className: 'msg-tick', role: 'img', 'aria-label': tickLabel, title: tickLabel, text: tick }));
    return el(
      'li',
      { className: `msg ${mine ? 'msg-own' : 'msg-other'}` },
      name ? el('span', { className: 'msg-sender', text: name }) : null,
      el('p', { className: 'msg-text' }, ...linkified(content)),
      meta,
    );
  }

  private timeEl(iso: string): HTMLTimeElement {
    const { locale } = this.options;
    return el('time', { datetime: iso, title: fullTime(iso, locale), text: clockTime(iso, locale) });
  }

  private setTick(node: HTMLLIElement, label: string, tick: string): void {
    const element = node.querySelector('.msg-tick');
    if (!element || element.getAttribute('aria-label') === label) return;
    element.textContent = tick;
    element.setAttribute('aria-label', label);
    element.setAttribute('title', label);
  }

  /** Brings a message into view, marked as the one looked for (a search result). */
  highlight(id: number): void {
    for (const node of this.root.querySelectorAll('.msg-found')) node.classList.remove('msg-found');
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.node.classList.add('msg-found');
    entry.node.scrollIntoView({ block: 'center' });
  }

  /** Stored messages stay in id order; pending ones stay after every stored one. */
  private insert(node: HTMLLIElement, id: number): void {
    let before: Element | null = null;
    for (const child of Array.from(this.root.children) as HTMLElement[]) {
      const childId = child.dataset.id ? Number(child.dataset.id) : Number.POSITIVE_INFINITY;
      if (childId > id) {
        before = child;
        break;
      }
    }
    this.root.insertBefore(node, before);
  }

  private nearEnd(): boolean {
    return this.root.scrollHeight - this.root.scrollTop - this.root.clientHeight < 80;
  }

  private scrollToEnd(wanted: boolean): void {
    if (wanted) this.root.scrollTop = this.root.scrollHeight;
  }
}

/** A note: its own colour, and said in words (not by colour alone) for everyone. */
function markNote(node: HTMLLIElement): void {
  node.classList.add('msg-note');
  node.prepend(el('span', { className: 'msg-note-label', text: 'Note · only your team sees this' }));
}
