import { el, replaceChildren } from '../shared/dom';
import { fullTime } from '../shared/format';
import type { Session } from '../shared/protocol';
import { customerName } from './chat';
import { confirmDialog, type Confirmation } from './confirmDialog';
import { counted } from './erasure';

/** An admin's actions on what is held about a customer (CustomerData); they show any problem themselves. */
export interface CustomerPrivacy {
  exportCustomer(customerId: string): Promise<void>;
  eraseCustomer(customerId: string): Promise<void>;
  eraseSession(session: Session): Promise<void>;
}

export interface CustomerPanelActions {
  /** The customer's other conversations, newest first (by their id, or else their email). */
  earlier(session: Session): Promise<Session[]>;
  open(session: Session): void;
  /** Admins only: export and erase. */
  privacy: CustomerPrivacy | null;
}

/** GET /api/users/:customerId/sessions answers at most this many. */
const MAX_LISTED = 200;

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

/** The confirmation of erasing one chat without a customer id: what goes, what stays. */
function sessionErasure(session: Session): Confirmation {
  return {
    title: 'Erase this chat?',
    text: [
      `Erase this chat with ${customerName(session)}: every message (notes too), the files, the rating and comment, and the customer's name, email and details.`,
      session.status === 'closed' ? '' : 'It is still open: it will be closed first.',
      'The chat stays only as an anonymous count for statistics. This cannot be undone.',
    ]
      .filter(Boolean)
      .join(' '),
    confirm: 'Erase this chat',
  };
}

/**
 * Beside the conversation: who the customer is (name, email, id), where they are (page, title, referrer, their
 * local time), the metadata the site sent, and their earlier conversations; for admins, their data to export or
 * erase (by their customer id, or this one chat when it has none).
 */
export class CustomerPanel {
  readonly root: HTMLElement;
  private readonly facts = el('dl', { className: 'facts' });
  private readonly earlier = el('ul', { className: 'earlier' });
  private readonly dataNote = el('p', { className: 'muted' });
  private readonly exportButton = el('button', { type: 'button', className: 'secondary small', text: 'Export data' });
  private readonly eraseButton = el('button', { type: 'button', className: 'danger small', text: 'Erase data' });
  private session: Session | null = null;
  /** The chat and the identity its earlier conversations were read for: read again when either changes (erased). */
  private shownKey: string | null = null;
  /** An erase is being asked or done: a second press waits for it. */
  private erasing = false;

  constructor(private readonly actions: CustomerPanelActions) {
    const privacy = actions.privacy;
    this.exportButton.addEventListener('click', () => {
      const customerId = this.session?.customerId;
      if (privacy && customerId) void privacy.exportCustomer(customerId);
    });
    this.eraseButton.addEventListener('click', () => void this.erase());
    this.root = el(
      'aside',
      { className: 'panel customer-panel', 'aria-labelledby': 'customer-title' },
      el('h2', { id: 'customer-title', text: 'Customer' }),
      this.facts,
      privacy ? el('div', { className: 'customer-data' }, el('h3', { text: 'Their data' }), this.dataNote, el('div', { className: 'form-buttons' }, this.exportButton, this.eraseButton)) : null,
      el('h3', { text: 'Earlier conversations' }),
      // Without verified identity (IDENTITY_SECRET) an id or email is what the customer typed.
      el('p', { className: 'muted', text: 'Under the same customer id or email, as given by the customer.' }),
      this.earlier,
    );
  }

  show(session: Session): void {
    this.session = session;
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
    // With an id, the data is every chat under it; without, only this chat (an email is what anyone may type).
    this.dataNote.textContent = session.customerId ? `Every chat under customer id ${session.customerId}.` : 'This chat only: it has no customer id.';
    this.exportButton.hidden = session.customerId === null;
    this.eraseButton.textContent = session.customerId ? 'Erase data' : 'Erase this chat';
    const key = JSON.stringify([session.id, session.customerId, session.customerEmail]);
    if (this.shownKey === key) return;
    this.shownKey = key;
    replaceChildren(this.earlier, el('li', { className: 'muted', text: 'Loading…' }));
    void this.loadEarlier(session, key);
  }

  /** Asked first, in a dialog that names what goes; then the customer (every chat under their id) or this chat. */
  private async erase(): Promise<void> {
    const { session } = this;
    const privacy = this.actions.privacy;
    if (!session || !privacy || this.erasing) return;
    this.erasing = true;
    try {
      const customerId = session.customerId;
      const ask = customerId ? await this.customerErasure(session, customerId) : sessionErasure(session);
      if (!(await confirmDialog(ask, this.eraseButton))) return;
      if (customerId) await privacy.eraseCustomer(customerId);
      else await privacy.eraseSession(session);
    } finally {
      this.erasing = false;
    }
  }

  /** The confirmation of erasing a customer, with how many chats they have now (read afresh: one may have started). */
  private async customerErasure(session: Session, customerId: string): Promise<Confirmation> {
    let chats: string;
    try {
      const ids = new Set([session.id, ...(await this.actions.earlier(session)).map((s) => s.id)]);
      chats = ids.size >= MAX_LISTED ? `${MAX_LISTED} or more chats` : counted(ids.size, 'chat', 'chats');
    } catch {
      chats = 'every chat under that id';
    }
    return {
      title: `Erase customer ${customerId}?`,
      text: `Erase everything we hold about customer ${customerId}: ${chats} — every message (notes too), the files, ratings and comments, and their name, email and details. The chats stay only as anonymous counts for statistics. This cannot be undone.`,
      confirm: 'Erase everything',
    };
  }

  private async loadEarlier(session: Session, key: string): Promise<void> {
    let others: Session[];
    try {
      others = (await this.actions.earlier(session)).filter((s) => s.id !== session.id);
    } catch {
      others = [];
    }
    if (this.shownKey !== key) return;
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
