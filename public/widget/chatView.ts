import { composer, type MessageLimit } from '../shared/composer';
import { el, replaceChildren } from '../shared/dom';
import { MessageList } from '../shared/messageList';
import { TypingIndicator } from '../shared/typing';
import type { Message } from '../shared/protocol';
import { avatar } from './avatar';
import type { Locale } from './i18n';

export interface ChatViewActions {
  send(content: string): void;
  sendFile(file: File): void;
  keystroke(): void;
  end(): void;
}

/** One session on the customer's side: status line, conversation, typing, composer, and what follows a close. */
export class ChatView {
  readonly root: HTMLElement;
  readonly list: MessageList;
  readonly typing: TypingIndicator;
  private readonly status = el('p', { className: 'lc-status', role: 'status' });
  private readonly connection: HTMLElement;
  private readonly composer: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly endButton: HTMLButtonElement;
  private readonly after = el('div', { className: 'lc-after' });

  /** `server`: where the chat server is (the links to files are relative to it). */
  constructor(server: string, locale: Locale, limit: MessageLimit, operatorName: (message: Message) => string, actions: ChatViewActions) {
    const { words } = locale;
    this.list = new MessageList('customer', (message) => message.senderType === 'customer', operatorName, words.conversation, server, {
      words,
      locale: locale.intl,
      avatar: (message) => avatar(operatorName(message)),
    });
    this.typing = new TypingIndicator(el('p', { className: 'lc-typing', 'aria-live': 'polite' }), (who) => words.isTyping(who));
    this.connection = el('p', { className: 'lc-connection', role: 'status', text: words.reconnecting });
    this.connection.hidden = true;
    // dir="auto": a message in another script than the widget's reads in its own direction.
    this.input = el('textarea', { name: 'message', rows: 2, placeholder: words.typeAMessage, 'aria-label': words.message, dir: 'auto' });
    this.composer = composer(this.input, { label: words.sendAMessage, className: 'lc-composer', buttonClass: 'lc-primary', words, limit, locale: locale.intl }, actions);
    this.endButton = el('button', { type: 'button', className: 'lc-secondary', text: words.endChat });
    this.endButton.addEventListener('click', () => actions.end());
    this.root = el(
      'section',
      { className: 'lc-chat' },
      el('div', { className: 'lc-chat-top' }, this.status, this.endButton),
      this.connection,
      this.list.root,
      this.typing.root,
      this.composer,
      this.after,
    );
  }

  setStatus(text: string): void {
    this.status.textContent = text;
  }

  setConnected(connected: boolean): void {
    this.connection.hidden = connected;
  }

  /** An open chat has a composer and an end button; a closed one shows what comes after instead. */
  setOpen(open: boolean): void {
    this.composer.hidden = !open;
    this.endButton.hidden = !open;
    if (!open) this.typing.set(false, '');
  }

  /**
   * What follows the chat (the rating form, thanks) goes below the conversation; with it there the panel
   * scrolls as a whole (lc-chat-after in widget.css), so the list keeps a usable height instead of being squeezed.
   */
  showAfter(...nodes: Node[]): void {
    replaceChildren(this.after, ...nodes);
    this.root.classList.toggle('lc-chat-after', nodes.length > 0);
  }

  focusInput(): void {
    if (!this.composer.hidden) this.input.focus();
  }
}
