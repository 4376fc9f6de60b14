import { el, replaceChildren } from '../shared/dom';
import { labelChips } from './labelsView';

export interface TabInfo {
  id: string;
  name: string;
  unread: number;
  closed: boolean;
  labels: string[];
}

/** One tab per session the operator holds, with its unread count; arrow keys move between tabs. */
export class TabsView {
  readonly root: HTMLElement;
  private readonly list = el('div', { className: 'tabs', role: 'tablist', 'aria-labelledby': 'chats-title', 'aria-orientation': 'vertical' });
  private readonly heading = el('h2', { id: 'chats-title', text: 'My chats' });

  constructor(private readonly select: (id: string) => void) {
    this.root = el('section', { className: 'panel chats-panel' }, this.heading, this.list);
    this.list.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
      const tabs = Array.from(this.list.querySelectorAll<HTMLButtonElement>('[role="tab"]'));
      const at = tabs.findIndex((tab) => tab === document.activeElement);
      const next = tabs[(at + (event.key === 'ArrowDown' ? 1 : tabs.length - 1)) % tabs.length];
      if (!next) return;
      event.preventDefault();
      next.focus();
      next.click();
    });
  }

  render(tabs: TabInfo[], selected: string | null): void {
    this.heading.textContent = `My chats (${tabs.filter((t) => !t.closed).length})`;
    if (tabs.length === 0) {
      replaceChildren(this.list, el('p', { className: 'empty', text: 'No chats yet. Go online to receive chats, or take one from the queue.' }));
      return;
    }
    replaceChildren(
      this.list,
      ...tabs.map((tab, index) => {
        const isSelected = tab.id === selected;
        // One tab is always reachable with Tab, the selected one or else the first.
        const focusable = isSelected || (selected === null && index === 0);
        const button = el(
          'button',
          {
            type: 'button',
            role: 'tab',
            className: `tab${tab.closed ? ' tab-closed' : ''}`,
            'aria-selected': String(isSelected),
            'aria-controls': 'conversation',
            tabindex: focusable ? 0 : -1,
          },
          el('span', { className: 'tab-name', text: tab.name }),
          tab.closed ? el('span', { className: 'muted', text: 'closed' }) : null,
          tab.unread > 0 ? el('span', { className: 'badge', text: `${tab.unread} unread` }) : null,
          tab.labels.length > 0 ? labelChips(tab.labels) : null,
        );
        button.addEventListener('click', () => this.select(tab.id));
        return button;
      }),
    );
  }
}
