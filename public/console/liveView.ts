import { el, replaceChildren } from '../shared/dom';
import { shortDuration } from '../shared/format';
import type { Http } from '../shared/http';
import type { Message, Session } from '../shared/protocol';
import { keepingFocus, table } from './table';
import { customerName, preview } from './chat';
import { describe } from './describe';

/** While shown, the list is read again this often (waiting times grow; messages are not pushed to a supervisor). */
const REFRESH_MS = 5_000;
/** Messages read per chat: enough to find the customer's last words behind a few notes or system lines. */
const LATEST = 10;

export interface LiveActions {
  /** Opens the conversation in a tab: to read it live, write a note (a whisper) or transfer it. */
  open(session: Session): void;
  /** The admin takes the chat themselves (a transfer to them, or the queue's join). */
  takeOver(session: Session): Promise<void>;
}

/**
 * For admins (a supervisor's view): every live conversation, waiting or active, with its operator, how long the
 * customer has been waiting for an answer, and the last message; each can be opened, or taken over.
 */
export class LiveView {
  readonly root: HTMLElement;
  private readonly rows = el('tbody');
  private readonly summary = el('p', { className: 'muted', role: 'status' });
  private readonly problem = el('p', { className: 'error', role: 'alert' });
  private timer: ReturnType<typeof setInterval> | null = null;
  private reading = false;

  constructor(
    private readonly http: Http,
    private readonly actions: LiveActions,
  ) {
    this.problem.hidden = true;
    const headers = ['Customer', 'Operator', 'Waiting for an answer', 'Last message', 'Actions'];
    this.root = el(
      'section',
      { className: 'screen live', 'aria-labelledby': 'live-title' },
      el(
        'div',
        { className: 'panel' },
        el('h2', { id: 'live-title', text: 'Live chats' }),
        this.summary,
        this.problem,
        table(headers, this.rows),
      ),
    );
  }

  enter(): void {
    this.leave();
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  leave(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async refresh(): Promise<void> {
    // A slow server: one reading at a time, the next tick skipped.
    if (this.reading) return;
    this.reading = true;
    try {
      const sessions = await this.http.call<Session[]>('GET', '/api/chat/sessions/active');
      // Each chat's latest messages on their own: one that fails (erased meanwhile) leaves its row without them.
      const latest = await Promise.allSettled(sessions.map((s) => this.http.call<Message[]>('GET', `/api/chat/messages/${encodeURIComponent(s.id)}?limit=${LATEST}`)));
      const lasts = latest.map((result) => (result.status === 'fulfilled' ? result.value : []));
      this.problem.hidden = true;
      const waiting = sessions.filter((s) => s.status === 'waiting').length;
      this.summary.textContent = `${sessions.length - waiting} active, ${waiting} waiting`;
      if (sessions.length === 0) {
        replaceChildren(this.rows, el('tr', {}, el('td', { colspan: 5, className: 'empty', text: 'No live conversations.' })));
        return;
      }
      keepingFocus(this.rows, () => replaceChildren(this.rows, ...sessions.map((session, i) => this.row(session, lasts[i] ?? []))));
    } catch (error) {
      this.problem.textContent = describe(error);
      this.problem.hidden = false;
    } finally {
      this.reading = false;
    }
  }

  private row(session: Session, latest: Message[]): HTMLTableRowElement {
    const last = latest[latest.length - 1];
    // Notes and system lines answer nobody: the wait runs from the customer's message the operator has not answered.
    const said = latest.filter((m) => !m.internal && m.senderType !== 'system');
    const lastSaid = said[said.length - 1];
    const name = customerName(session);
    const open = el('button', { type: 'button', className: 'secondary small', text: 'Open', 'aria-label': `Open the chat with ${name}` });
    open.addEventListener('click', () => this.actions.open(session));
    const take = el('button', { type: 'button', className: 'secondary small', text: 'Take over', 'aria-label': `Take over the chat with ${name}` });
    take.addEventListener('click', () => {
      take.disabled = true;
      void this.actions.takeOver(session).finally(() => void this.refresh());
    });
    // The customer waits for an answer since they were queued, or since their own message went unanswered.
    const since = session.status === 'waiting' ? session.createdAt : lastSaid?.senderType === 'customer' ? lastSaid.createdAt : null;
    return el(
      'tr',
      { 'data-session': session.id },
      el('th', { scope: 'row', text: name }, session.offline ? el('span', { className: 'offline-mark', text: ' Left a message' }) : null),
      el('td', { text: session.operator?.name ?? 'in the queue' }),
      el('td', { text: since ? shortDuration((Date.now() - Date.parse(since)) / 1000) : '—' }),
      el('td', { className: 'preview', text: preview(last) || '—' }),
      el('td', { className: 'row-actions' }, open, take),
    );
  }
}
