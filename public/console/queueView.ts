import { el, replaceChildren } from '../shared/dom';
import { clockTime } from '../shared/format';
import type { Session } from '../shared/protocol';

/** The waiting queue in routing order, each with a Take button (session:join). */
export class QueueView {
  readonly root: HTMLElement;
  private readonly heading = el('h2', { id: 'queue-title', text: 'Waiting queue' });
  private readonly list = el('ul', { className: 'queue', 'aria-labelledby': 'queue-title' });

  constructor(private readonly take: (session: Session) => void) {
    this.root = el('section', { className: 'panel queue-panel', 'aria-labelledby': 'queue-title' }, this.heading, this.list);
  }

  render(sessions: Session[]): void {
    this.heading.textContent = `Waiting queue (${sessions.length})`;
    if (sessions.length === 0) {
      replaceChildren(this.list, el('li', { className: 'empty', text: 'Nobody is waiting.' }));
      return;
    }
    replaceChildren(
      this.list,
      ...sessions.map((session) => {
        const name = session.customerName ?? 'Visitor';
        const button = el('button', { type: 'button', className: 'primary small', text: 'Take', 'aria-label': `Take chat with ${name}` });
        button.addEventListener('click', () => {
          button.disabled = true;
          this.take(session);
        });
        return el(
          'li',
          { className: 'queue-item' },
          el(
            'div',
            { className: 'queue-who' },
            el('span', { className: 'queue-name', text: name }),
            el('span', { className: 'muted', text: [session.department, `since ${clockTime(session.createdAt)}`].filter(Boolean).join(' · ') }),
            session.offline ? el('span', { className: 'offline-mark', text: `Left a message${session.customerEmail ? ` · ${session.customerEmail}` : ''}` }) : null,
          ),
          button,
        );
      }),
    );
  }
}
