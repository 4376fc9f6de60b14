import { el, replaceChildren } from '../shared/dom';
import { fullTime } from '../shared/format';
import type { Session } from '../shared/protocol';
import { customerName } from './chat';

export interface CustomerPanelActions {
  /** The customer's other conversations, newest first (by their id, or else their email). */
  earlier(session: Session): Promise<Session[]>;
  open(session: Session): void;
}

/** What the widget sends in `metadata`, named for the reader; anything else the site sent is listed as it came. */
const KNOWN: Array<[key: string, label: string]> = [
  ['page', 'Page'],
  ['pageTitle', 'Page title'],
  ['referrer', 'Came from'],
  ['language', 'Language'],
];
/** Keys the panel reads but does not list (the time zone becomes "Local time"; the widget's own marker). */
const NOT_LISTED = new Set(['timezone', 'leftMessage']);

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** The customer's local time now, when the widget told their time zone. */
function localTime(timezone: unknown): string | null {
  if (typeof timezone !== 'string') return null;
  try {
    return `${new Date().toLocaleTimeString([], { timeZone: timezone, hour: '2-digit', minute: '2-digit' })} (${timezone})`;
  } catch {
    return null;
  }
}

/** A link only for a web address (http, https): anything else the site or the customer sent stays text. */
function pageLink(value: string): Node {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return el('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer nofollow', text: value });
  } catch {
    // Not a URL: shown as text.
  }
  return document.createTextNode(value);
}

/**
 * Beside the conversation: who the customer is (name, email, id), where they are (page, title, referrer, their
 * local time), the metadata the site sent, and their earlier conversations.
 */
export class CustomerPanel {
  readonly root: HTMLElement;
  private readonly facts = el('dl', { className: 'facts' });
  private readonly earlier = el('ul', { className: 'earlier' });
  private shownId: string | null = null;

  constructor(private readonly actions: CustomerPanelActions) {
    this.root = el(
      'aside',
      { className: 'panel customer-panel', 'aria-labelledby': 'customer-title' },
      el('h2', { id: 'customer-title', text: 'Customer' }),
      this.facts,
      el('h3', { text: 'Earlier conversations' }),
      // Without verified identity (IDENTITY_SECRET) an id or email is what the customer typed.
      el('p', { className: 'muted', text: 'Under the same customer id or email, as given by the customer.' }),
      this.earlier,
    );
  }

  show(session: Session): void {
    const metadata = session.metadata ?? {};
    const rows: Array<[string, string | Node]> = [
      ['Name', customerName(session)],
      ['Email', session.customerEmail ?? '—'],
      ['Customer id', session.customerId ?? '—'],
    ];
    for (const [key, label] of KNOWN) {
      const value = metadata[key];
      if (value === undefined || value === null || value === '') continue;
      rows.push([label, key === 'page' || key === 'referrer' ? pageLink(text(value)) : text(value)]);
    }
    const local = localTime(metadata.timezone);
    if (local) rows.push(['Local time', local]);
    for (const [key, value] of Object.entries(metadata)) {
      if (!KNOWN.some(([known]) => known === key) && !NOT_LISTED.has(key)) rows.push([key, text(value)]);
    }
    replaceChildren(this.facts, ...rows.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', {}, value)]));
    if (this.shownId === session.id) return;
    this.shownId = session.id;
    replaceChildren(this.earlier, el('li', { className: 'muted', text: 'Loading…' }));
    void this.loadEarlier(session);
  }

  private async loadEarlier(session: Session): Promise<void> {
    let others: Session[];
    try {
      others = (await this.actions.earlier(session)).filter((s) => s.id !== session.id);
    } catch {
      others = [];
    }
    if (this.shownId !== session.id) return;
    if (others.length === 0) {
      replaceChildren(this.earlier, el('li', { className: 'muted', text: 'None.' }));
      return;
    }
    replaceChildren(
      this.earlier,
      ...others.slice(0, 10).map((other) => {
        const open = el('button', { type: 'button', className: 'link', text: `${fullTime(other.createdAt)} · ${other.status}${other.rating ? ` · ${other.rating} of 5` : ''}` });
        open.addEventListener('click', () => this.actions.open(other));
        return el('li', {}, open);
      }),
    );
  }
}
