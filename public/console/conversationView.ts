import { composer, type MessageLimit } from '../shared/composer';
import { el, field, replaceChildren } from '../shared/dom';
import { fullTime } from '../shared/format';
import type { CannedResponse, Label, Operator } from '../shared/protocol';
import { CannedPicker } from './cannedPicker';
import { CustomerPanel, type CustomerPanelActions } from './customerPanel';
import { LabelsEditor } from './labelsView';
import { TypingIndicator } from '../shared/typing';
import { colleaguesLine, customerName, type Chat } from './chat';

export type TransferTarget = { operatorId: number } | { department: string };

export interface ConversationActions {
  /** `internal`: written in note mode, for the team only. */
  send(content: string, internal: boolean): void;
  sendFile(file: File, internal: boolean): void;
  /** `note`: in note mode (the server tells colleagues, never the customer). */
  keystroke(note: boolean): void;
  close(): void;
  transfer(target: TransferTarget): void;
  loadOlder(): void;
  dismiss(): void;
  setLabels(labels: string[]): void;
  /** The team's labels, as last read. */
  teamLabels(): Label[];
  /** The saved replies this operator may use (shared and their own). */
  cannedResponses(): Promise<CannedResponse[]>;
  /** The operator's own name, for {{operator.name}}. */
  operatorName(): string;
  /** The longest message the server takes (read from its availability once signed in). */
  messageLimit: MessageLimit;
  /** The signed-in operator: who may close, transfer or take over the chat in front. */
  me(): Operator | null;
  /** Takes the chat in front: from the queue, or over from its operator (admins). */
  takeOver(): void;
  customer: CustomerPanelActions;
}

/** The selected session: who, the conversation with paging, typing, the composer, close and transfer. */
export class ConversationView {
  readonly root: HTMLElement;
  private readonly title = el('h2', { id: 'conversation-title' });
  private readonly details = el('p', { className: 'muted' });
  private readonly older = el('button', { type: 'button', className: 'link', text: 'Load older messages' });
  private readonly listSlot = el('div', { className: 'list-slot' });
  private readonly typing = new TypingIndicator(el('p', { className: 'typing', 'aria-live': 'polite' }));
  /** Agent collision: colleagues with this chat open or typing in it. */
  private readonly colleagues = el('p', { className: 'colleagues', 'aria-live': 'polite' });
  private readonly input = el('textarea', { name: 'message', rows: 2, placeholder: 'Type a reply… (/ for saved replies)', 'aria-label': 'Reply' });
  private readonly composer: HTMLFormElement;
  /** Note mode: what is sent is a note only the team sees (PROTOCOL.md "Internal notes"). */
  private readonly noteToggle = el('input', { type: 'checkbox', name: 'note' });
  private readonly noteRow: HTMLElement;
  private readonly tools: HTMLElement;
  private readonly target = el('select', { name: 'transfer-target' });
  private readonly closedNote: HTMLElement;
  private readonly takeOver = el('button', { type: 'button', className: 'primary', text: 'Take over' });
  private readonly closeButton = el('button', { type: 'button', className: 'danger', text: 'Close chat' });
  /** "Close this chat?": a chat is closed only once the operator confirms. */
  private readonly confirmClose: HTMLElement;
  private readonly customer: CustomerPanel;
  private readonly me: () => Operator | null;
  private readonly empty = el('p', { className: 'empty', text: 'Select a chat, or take one from the queue.' });
  private readonly body: HTMLElement;
  private readonly labels: LabelsEditor;
  private readonly teamLabels: () => Label[];
  private current: Chat | null = null;
  /** The chat, and whether this operator held it and it was closed, when the note toggle was last set. */
  private noteKey: string | null = null;

  constructor(actions: ConversationActions) {
    this.older.addEventListener('click', () => actions.loadOlder());
    this.labels = new LabelsEditor((labels) => actions.setLabels(labels));
    this.teamLabels = () => actions.teamLabels();
    this.composer = composer(
      this.input,
      { label: 'Send a reply', className: 'composer', buttonClass: 'primary', limit: actions.messageLimit },
      {
        send: (content) => actions.send(content, this.noteToggle.checked),
        sendFile: (file) => actions.sendFile(file, this.noteToggle.checked),
        keystroke: () => actions.keystroke(this.noteToggle.checked),
      },
    );
    const picker = new CannedPicker(this.input, () => actions.cannedResponses(), () => ({
      customerName: this.current ? customerName(this.current.session) : '',
      customerEmail: this.current?.session.customerEmail ?? '',
      operatorName: actions.operatorName(),
    }));
    this.composer.prepend(picker.root);
    this.noteRow = el('label', { className: 'note-toggle' }, this.noteToggle, ' Note', el('span', { className: 'muted', text: ' — only your team sees this' }));
    this.noteToggle.addEventListener('change', () => this.setNoteMode(this.noteToggle.checked));

    const transfer = el('form', { className: 'transfer', 'aria-label': 'Transfer this chat' }, field('Transfer to', this.target), el('button', { type: 'submit', className: 'secondary', text: 'Transfer' }));
    transfer.addEventListener('submit', (event) => {
      event.preventDefault();
      const [kind, value] = this.target.value.split(':', 2);
      if (kind === 'op') actions.transfer({ operatorId: Number(value) });
      else if (kind === 'dep' && value) actions.transfer({ department: value });
    });
    const yes = el('button', { type: 'button', className: 'danger', text: 'Yes, close it' });
    const no = el('button', { type: 'button', className: 'secondary', text: 'Keep it open' });
    this.confirmClose = el('div', { className: 'confirm', role: 'group', 'aria-label': 'Close this chat?' }, el('span', { text: 'Close this chat? The customer can no longer write in it.' }), yes, no);
    this.confirmClose.hidden = true;
    this.closeButton.addEventListener('click', () => {
      this.confirmClose.hidden = false;
      yes.focus();
    });
    yes.addEventListener('click', () => {
      this.confirmClose.hidden = true;
      actions.close();
    });
    no.addEventListener('click', () => {
      this.confirmClose.hidden = true;
      this.closeButton.focus();
    });
    this.confirmClose.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') no.click();
    });
    this.takeOver.addEventListener('click', () => actions.takeOver());
    this.me = () => actions.me();
    this.customer = new CustomerPanel(actions.customer);
    this.tools = el('div', { className: 'tools' }, transfer, this.closeButton);

    const dismiss = el('button', { type: 'button', className: 'secondary', text: 'Dismiss' });
    dismiss.addEventListener('click', () => actions.dismiss());
    this.closedNote = el('div', { className: 'closed-note' }, el('p', { text: 'This chat is closed.' }), dismiss);

    this.body = el(
      'div',
      { className: 'conversation-body' },
      el('header', { className: 'conversation-head' }, el('div', {}, this.title, this.details, this.labels.root), el('div', { className: 'head-actions' }, this.takeOver, this.tools)),
      this.confirmClose,
      this.older,
      this.listSlot,
      this.typing.root,
      this.colleagues,
      this.noteRow,
      this.composer,
      this.closedNote,
    );
    this.root = el(
      'section',
      { id: 'conversation', className: 'conversation', role: 'tabpanel', 'aria-labelledby': 'conversation-title' },
      this.empty,
      el('div', { className: 'conversation-with-customer' }, this.body, this.customer.root),
    );
    this.show(null);
  }

  /** Shows a chat (or the empty state); the chat's own list element moves in, with its scroll position. */
  show(chat: Chat | null): void {
    this.current = chat;
    this.empty.hidden = chat !== null;
    this.body.hidden = chat === null;
    this.customer.root.hidden = chat === null;
    if (!chat) return;
    const { session } = chat;
    const closed = session.status === 'closed';
    const me = this.me();
    const holder = session.operatorId !== null && session.operatorId === me?.id;
    this.customer.show(session);
    this.title.textContent = customerName(session);
    this.details.textContent = [session.offline ? 'Left a message' : null, session.customerEmail, session.department, `started ${fullTime(session.createdAt)}`].filter(Boolean).join(' · ');
    this.older.hidden = !chat.hasOlder;
    this.labels.show(session.labels, this.teamLabels());
    if (this.listSlot.firstChild !== chat.list.root) replaceChildren(this.listSlot, chat.list.root);
    // A closed chat still takes notes (the team's record); only its customer can no longer be answered.
    this.composer.hidden = false;
    this.noteRow.hidden = false;
    // Transfer and close are the holder's (and an admin's); anyone else reading along may take it, as the contract lets them.
    this.tools.hidden = closed || !(holder || me?.role === 'admin');
    if (this.tools.hidden) this.confirmClose.hidden = true;
    this.takeOver.hidden = closed || holder || (session.status === 'active' && me?.role !== 'admin');
    this.takeOver.textContent = session.status === 'waiting' ? 'Take this chat' : 'Take over';
    // Someone else's chat, or a closed one: an operator may only add notes (an admin may also reply to an open one).
    const notesOnly = closed || (!holder && me?.role !== 'admin');
    // Note mode is chosen afresh for each chat, and again when the operator takes it: a note meant for one chat never
    // becomes a reply in the next, nor the reverse. Someone else's chat starts in note mode (a supervisor's whisper).
    const noteKey = `${session.id}:${holder}:${closed}`;
    const wanted = notesOnly || (noteKey === this.noteKey ? this.noteToggle.checked : !holder);
    this.noteKey = noteKey;
    if (wanted !== this.noteToggle.checked) {
      this.noteToggle.checked = wanted;
      this.setNoteMode(wanted, false);
    }
    this.noteToggle.disabled = notesOnly;
    this.closedNote.hidden = !closed;
    this.typing.set(chat.customerTyping && !closed, customerName(session));
    this.colleagues.textContent = colleaguesLine(chat.colleagues);
    this.colleagues.hidden = chat.colleagues.length === 0;
  }

  /** The label editor draws the chat's labels again (after a refused change). */
  redrawLabels(): void {
    this.labels.forget();
  }

  private setNoteMode(on: boolean, focus = true): void {
    this.composer.classList.toggle('note-mode', on);
    this.input.placeholder = on ? 'Write a note… only your team sees it' : 'Type a reply… (/ for saved replies)';
    this.input.setAttribute('aria-label', on ? 'Note for your team' : 'Reply');
    const send = this.composer.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (send) send.textContent = on ? 'Add note' : 'Send';
    const attach = this.composer.querySelector<HTMLButtonElement>('button.attach');
    if (attach) attach.disabled = on;
    if (focus) this.input.focus();
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
