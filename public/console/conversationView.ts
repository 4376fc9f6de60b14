import { composer } from '../shared/composer';
import { el, field, replaceChildren } from '../shared/dom';
import { fullTime } from '../shared/format';
import type { Operator } from '../shared/protocol';
import { TypingIndicator } from '../shared/typing';
import { customerName, type Chat } from './chat';

export type TransferTarget = { operatorId: number } | { department: string };

export interface ConversationActions {
  send(content: string): void;
  sendFile(file: File): void;
  keystroke(): void;
  close(): void;
  transfer(target: TransferTarget): void;
  loadOlder(): void;
  dismiss(): void;
}

/** The selected session: who, the conversation with paging, typing, the composer, close and transfer. */
export class ConversationView {
  readonly root: HTMLElement;
  private readonly title = el('h2', { id: 'conversation-title' });
  private readonly details = el('p', { className: 'muted' });
  private readonly older = el('button', { type: 'button', className: 'link', text: 'Load older messages' });
  private readonly listSlot = el('div', { className: 'list-slot' });
  private readonly typing = new TypingIndicator(el('p', { className: 'typing', 'aria-live': 'polite' }));
  private readonly input = el('textarea', { name: 'message', rows: 2, maxlength: 5000, placeholder: 'Type a reply…', 'aria-label': 'Reply' });
  private readonly composer: HTMLFormElement;
  private readonly tools: HTMLElement;
  private readonly target = el('select', { name: 'transfer-target' });
  private readonly closedNote: HTMLElement;
  private readonly empty = el('p', { className: 'empty', text: 'Select a chat, or take one from the queue.' });
  private readonly body: HTMLElement;

  constructor(actions: ConversationActions) {
    this.older.addEventListener('click', () => actions.loadOlder());
    this.composer = composer(this.input, { label: 'Send a reply', className: 'composer', buttonClass: 'primary' }, actions);

    const transfer = el('form', { className: 'transfer', 'aria-label': 'Transfer this chat' }, field('Transfer to', this.target), el('button', { type: 'submit', className: 'secondary', text: 'Transfer' }));
    transfer.addEventListener('submit', (event) => {
      event.preventDefault();
      const [kind, value] = this.target.value.split(':', 2);
      if (kind === 'op') actions.transfer({ operatorId: Number(value) });
      else if (kind === 'dep' && value) actions.transfer({ department: value });
    });
    const close = el('button', { type: 'button', className: 'danger', text: 'Close chat' });
    close.addEventListener('click', () => actions.close());
    this.tools = el('div', { className: 'tools' }, transfer, close);

    const dismiss = el('button', { type: 'button', className: 'secondary', text: 'Dismiss' });
    dismiss.addEventListener('click', () => actions.dismiss());
    this.closedNote = el('div', { className: 'closed-note' }, el('p', { text: 'This chat is closed.' }), dismiss);

    this.body = el(
      'div',
      { className: 'conversation-body' },
      el('header', { className: 'conversation-head' }, el('div', {}, this.title, this.details), this.tools),
      this.older,
      this.listSlot,
      this.typing.root,
      this.composer,
      this.closedNote,
    );
    this.root = el('section', { id: 'conversation', className: 'conversation', role: 'tabpanel', 'aria-labelledby': 'conversation-title' }, this.empty, this.body);
    this.show(null);
  }

  /** Shows a chat (or the empty state); the chat's own list element moves in, with its scroll position. */
  show(chat: Chat | null): void {
    this.empty.hidden = chat !== null;
    this.body.hidden = chat === null;
    if (!chat) return;
    const { session } = chat;
    const closed = session.status === 'closed';
    this.title.textContent = customerName(session);
    this.details.textContent = [session.customerEmail, session.department, `started ${fullTime(session.createdAt)}`].filter(Boolean).join(' · ');
    this.older.hidden = !chat.hasOlder;
    if (this.listSlot.firstChild !== chat.list.root) replaceChildren(this.listSlot, chat.list.root);
    this.composer.hidden = closed;
    this.tools.hidden = closed;
    this.closedNote.hidden = !closed;
    this.typing.set(chat.customerTyping && !closed, customerName(session));
  }

  focusInput(): void {
    if (!this.composer.hidden) this.input.focus();
  }

  /** Other operators (with status and load) and every department, as transfer targets. */
  setTargets(operators: Operator[], me: number): void {
    const chosen = this.target.value;
    const others = operators.filter((o) => o.id !== me);
    const departments = [...new Set(operators.flatMap((o) => o.departments))].sort();
    replaceChildren(
      this.target,
      el('option', { value: '', text: 'Choose…' }),
      others.length > 0
        ? el('optgroup', { label: 'Operators' }, ...others.map((o) => el('option', { value: `op:${o.id}`, text: `${o.name} (${o.status}, ${o.activeSessions}/${o.maxConcurrentSessions})` })))
        : null,
      departments.length > 0 ? el('optgroup', { label: 'Departments' }, ...departments.map((d) => el('option', { value: `dep:${d}`, text: d }))) : null,
    );
    this.target.value = chosen;
  }
}
