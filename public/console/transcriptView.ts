import { el, replaceChildren } from '../shared/dom';
import { fullTime } from '../shared/format';
import type { Http } from '../shared/http';
import { MessageList } from '../shared/messageList';
import type { Message, Operator, Session, SessionEventDTO } from '../shared/protocol';
import { customerName } from './chat';
import { describe } from './describe';
import { labelChips } from './labelsView';
import { trailLine } from './sessionTrail';

/** A transcript reads at most this many pages of 200 messages (40,000): more than any real chat holds. */
const MAX_PAGES = 200;

/**
 * One conversation read back from history: who, when, its rating and comment, every message (notes and files
 * included) and its audit trail (assigned to whom and why, transfers, how it ended). Read-only: "Open as a
 * chat" puts it in a tab for a note or a reply.
 */
export class TranscriptView {
  readonly root: HTMLElement;
  private readonly title = el('h2', { id: 'transcript-title', tabindex: -1 });
  private readonly facts = el('dl', { className: 'facts' });
  private readonly listSlot = el('div', { className: 'transcript-messages' });
  private readonly trail = el('ol', { className: 'trail', 'aria-label': 'What happened to this chat' });
  private readonly problem = el('p', { className: 'error', role: 'alert' });
  private readonly openChat = el('button', { type: 'button', className: 'secondary small', text: 'Open as a chat' });
  private shown: Session | null = null;
  /** The last transcript asked for: an older answer arriving late is dropped. */
  private asked = 0;

  constructor(
    private readonly http: Http,
    private readonly me: () => Operator | null,
    private readonly operators: () => Map<number, Operator>,
    open: (session: Session) => void,
  ) {
    this.openChat.addEventListener('click', () => this.shown && open(this.shown));
    this.problem.hidden = true;
    this.root = el(
      'section',
      { className: 'panel transcript', 'aria-labelledby': 'transcript-title' },
      el('div', { className: 'panel-head' }, this.title, this.openChat),
      this.problem,
      this.facts,
      this.listSlot,
      el('h3', { text: 'Audit trail' }),
      this.trail,
    );
    this.root.hidden = true;
  }

  async show(session: Session): Promise<void> {
    const ask = ++this.asked;
    this.shown = session;
    this.root.hidden = false;
    this.problem.hidden = true;
    this.title.textContent = `${customerName(session)} — ${session.status}`;
    this.renderFacts(session);
    replaceChildren(this.trail);
    const me = this.me();
    const list = new MessageList(
      'operator',
      (message) => message.senderType === 'operator' && message.senderId === String(me?.id ?? ''),
      (message) => message.senderName ?? (message.senderType === 'customer' ? customerName(session) : 'Operator'),
      `Transcript of the chat with ${customerName(session)}`,
    );
    replaceChildren(this.listSlot, list.root);
    this.title.focus();
    try {
      const [messages, events] = await Promise.all([this.allMessages(session.id), this.http.call<SessionEventDTO[]>('GET', `/api/chat/sessions/${encodeURIComponent(session.id)}/events`)]);
      if (ask !== this.asked) return;
      list.upsert(...messages);
      if (messages.length === 0) list.root.appendChild(el('li', { className: 'empty', text: 'No messages.' }));
      const names = this.operators();
      replaceChildren(this.trail, ...events.map((event) => el('li', {}, el('time', { datetime: event.createdAt, text: fullTime(event.createdAt) }), ' ', trailLine(event, names))));
    } catch (error) {
      if (ask !== this.asked) return;
      this.problem.textContent = describe(error);
      this.problem.hidden = false;
    }
  }

  hide(): void {
    this.asked += 1;
    this.shown = null;
    this.root.hidden = true;
  }

  private renderFacts(session: Session): void {
    const rows: Array<[string, string | Node]> = [
      ['Customer', [customerName(session), session.customerEmail, session.customerId ? `id ${session.customerId}` : null].filter(Boolean).join(' · ')],
      ['Operator', session.operator?.name ?? '—'],
      ['Started', fullTime(session.createdAt)],
      ['Closed', session.closedAt ? `${fullTime(session.closedAt)}${session.closedBy ? ` by ${session.closedBy}` : ''}${session.closeReason ? ` (${session.closeReason})` : ''}` : '—'],
      ['Rating', session.rating === null ? 'Not rated' : `${'★'.repeat(session.rating)}${'☆'.repeat(5 - session.rating)} ${session.rating} of 5`],
      ['Comment', session.ratingComment ?? '—'],
    ];
    if (session.offline) rows.push(['Left a message', session.customerEmail ? `yes, answer by email to ${session.customerEmail}` : 'yes']);
    if (session.labels.length > 0) rows.push(['Labels', labelChips(session.labels)]);
    replaceChildren(this.facts, ...rows.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', {}, value)]));
  }

  private async allMessages(sessionId: string): Promise<Message[]> {
    const all: Message[] = [];
    let after = 0;
    for (let pages = 0; pages < MAX_PAGES; pages += 1) {
      const page = await this.http.page<Message[]>('GET', `/api/chat/messages/${encodeURIComponent(sessionId)}?after=${after}&limit=200`);
      all.push(...page.data);
      const last = page.data[page.data.length - 1];
      if (page.meta?.hasMore !== true || !last) break;
      after = last.id;
    }
    return all;
  }
}
