import { el, replaceChildren } from '../shared/dom';
import { shortDuration } from '../shared/format';
import type { Operator, Session } from '../shared/protocol';
import { keepingFocus } from './table';

/** Why this operator cannot take a chat now, or null when they can. */
export function cannotTake(me: Operator | null): string | null {
  if (!me) return null;
  if (me.status !== 'online' && me.status !== 'busy') return 'Go online or busy to take chats.';
  if (me.activeSessions >= me.maxConcurrentSessions) return `You have ${me.activeSessions} of ${me.maxConcurrentSessions} chats: close one to take another.`;
  return null;
}

/**
 * The waiting queue in routing order, each with who, how long they have waited and their first words, and a
 * Take button (session:join). Always shown, read-only (Take disabled, with the reason) while this operator
 * cannot take a chat.
 */
export class QueueView {
  readonly root: HTMLElement;
  private readonly heading = el('h2', { id: 'queue-title', text: 'Waiting queue' });
  private readonly reason = el('p', { className: 'muted queue-reason' });
  private readonly list = el('ul', { className: 'queue', 'aria-labelledby': 'queue-title' });
  private me: Operator | null = null;
  private sessions: Session[] = [];
  private previews = new Map<string, string>();

  constructor(private readonly take: (session: Session) => void) {
    this.reason.hidden = true;
    this.root = el('section', { className: 'panel queue-panel', 'aria-labelledby': 'queue-title' }, this.heading, this.reason, this.list);
  }

  /** The operator's status and load as last read: whether Take is offered. */
  setMe(me: Operator | null): void {
    this.me = me;
    this.render(this.sessions, this.previews);
  }

  /** The first message of the first few sessions, by session id, as one line each. */
  render(sessions: Session[], previews: Map<string, string> | null): void {
    this.sessions = sessions;
    if (previews) this.previews = previews;
    const refusal = cannotTake(this.me);
    this.reason.textContent = refusal ?? '';
    this.reason.hidden = refusal === null || sessions.length === 0;
    this.heading.textContent = `Waiting queue (${sessions.length})`;
    if (sessions.length === 0) {
      replaceChildren(this.list, el('li', { className: 'empty', text: 'Nobody is waiting.' }));
      return;
    }
    keepingFocus(this.list, () => this.draw(sessions, refusal));
  }

  private draw(sessions: Session[], refusal: string | null): void {
    replaceChildren(
      this.list,
      ...sessions.map((session) => {
        const name = session.customerName ?? 'Visitor';
        const button = el('button', { type: 'button', className: 'primary small', text: 'Take', 'aria-label': `Take chat with ${name}`, title: refusal ?? '' });
        button.disabled = refusal !== null;
        button.addEventListener('click', () => {
          button.disabled = true;
          this.take(session);
        });
        const first = this.previews.get(session.id);
        return el(
          'li',
          { className: 'queue-item', 'data-session': session.id },
          el(
            'div',
            { className: 'queue-who' },
            el('span', { className: 'queue-name', text: name }),
            el('span', { className: 'muted', text: [session.department, `waiting ${shortDuration((Date.now() - Date.parse(session.createdAt)) / 1000)}`].filter(Boolean).join(' · ') }),
            first ? el('span', { className: 'queue-preview', text: first }) : null,
            session.offline ? el('span', { className: 'offline-mark', text: `Left a message${session.customerEmail ? ` · ${session.customerEmail}` : ''}` }) : null,
          ),
          button,
        );
      }),
    );
  }
}
