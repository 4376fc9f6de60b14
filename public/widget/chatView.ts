import { composer } from '../shared/composer';
import { el, replaceChildren } from '../shared/dom';
import { MessageList } from '../shared/messageList';
import { TypingIndicator } from '../shared/typing';
import type { Message } from '../shared/protocol';

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
  private readonly connection = el('p', { className: 'lc-connection', role: 'status', text: 'Reconnecting…' });
  private readonly composer: HTMLFormElement;
  private readonly input = el('textarea', { name: 'message', rows: 2, maxlength: 5000, placeholder: 'Type a message…', 'aria-label': 'Message' });
  private readonly endButton = el('button', { type: 'button', className: 'lc-secondary', text: 'End chat' });
  private readonly after = el('div', { className: 'lc-after' });

  /** `server`: where the chat server is (the links to files are relative to it). */
  constructor(server: string, operatorName: (message: Message) => string, actions: ChatViewActions) {
    this.list = new MessageList('customer', (message) => message.senderType === 'customer', operatorName, 'Conversation', server);
    this.typing = new TypingIndicator(el('p', { className: 'lc-typing', 'aria-live': 'polite' }));
    this.connection.hidden = true;
    this.composer = composer(this.input, { label: 'Send a message', className: 'lc-composer', buttonClass: 'lc-primary' }, actions);
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

  showAfter(...nodes: Node[]): void {
    replaceChildren(this.after, ...nodes);
  }

  focusInput(): void {
    if (!this.composer.hidden) this.input.focus();
  }
}
