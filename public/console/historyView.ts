import { el, field, replaceChildren } from '../shared/dom';
import { fullTime } from '../shared/format';
import type { Http } from '../shared/http';
import type { Label, Operator, SearchResult, Session } from '../shared/protocol';
import { table } from './table';
import { customerName } from './chat';
import { describe } from './describe';
import { labelChips } from './labelsView';
import type { TranscriptView } from './transcriptView';

const PAGE = 25;

/** Filters as typed: each empty one is left out of the query. */
function filterQuery(values: Record<string, string>): URLSearchParams {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== '') query.set(key, value);
  return query;
}

/** The filters search does not take itself (status, rating, left a message), applied to its sessions. */
function keeps(session: Session, keep: Record<string, string>): boolean {
  if (keep.status && session.status !== keep.status) return false;
  if (keep.rating && session.rating !== Number(keep.rating)) return false;
  if (keep.offline && session.offline !== (keep.offline === 'true')) return false;
  return true;
}

/** A date input's day as the bound of that whole local day, in ISO (the server keeps UTC). */
function dayBound(day: string, end: boolean): string {
  if (!day) return '';
  const [y, m, d] = day.split('-').map(Number);
  const local = end ? new Date(y ?? 0, (m ?? 1) - 1, d ?? 1, 23, 59, 59, 999) : new Date(y ?? 0, (m ?? 1) - 1, d ?? 1);
  return local.toISOString();
}

/**
 * Every conversation, open and closed: filters (status, operator, label, dates, rating, left a message), words
 * to search for, a page at a time; a row opens its transcript (TranscriptView).
 */
export class HistoryView {
  readonly root: HTMLElement;
  private readonly q = el('input', { type: 'search', name: 'history-q', placeholder: 'Words, a name or an email', maxlength: 200, autocomplete: 'off' });
  private readonly status = el('select', { name: 'history-status' }, ...[['', 'Any'], ['waiting', 'Waiting'], ['active', 'Active'], ['closed', 'Closed']].map(([value, text]) => el('option', { value, text })));
  private readonly operator = el('select', { name: 'history-operator' });
  private readonly label = el('select', { name: 'history-label' });
  private readonly from = el('input', { type: 'date', name: 'history-from' });
  private readonly to = el('input', { type: 'date', name: 'history-to' });
  private readonly rating = el('select', { name: 'history-rating' }, el('option', { value: '', text: 'Any' }), ...[5, 4, 3, 2, 1].map((n) => el('option', { value: String(n), text: `${n} of 5` })));
  private readonly offline = el('select', { name: 'history-offline' }, ...[['', 'Any'], ['true', 'Only those'], ['false', 'None of those']].map(([value, text]) => el('option', { value, text })));
  private readonly rows = el('tbody');
  private readonly more = el('button', { type: 'button', className: 'secondary small', text: 'More' });
  private readonly problem = el('p', { className: 'error', role: 'alert' });
  private readonly count = el('p', { className: 'muted', role: 'status' });
  private cursor: string | null = null;
  private shown = 0;
  /** What Show asked for: More goes on with it. `keep`: the filters applied here to search's sessions. */
  private query: { path: string; params: Record<string, string>; keep: Record<string, string> | null } | null = null;
  /** The latest request: an answer to an earlier one is dropped. */
  private asked = 0;

  constructor(
    private readonly http: Http,
    private readonly transcript: TranscriptView,
  ) {
    const form = el(
      'form',
      { className: 'history-filters', role: 'search', 'aria-label': 'Filter the history' },
      field('Words', this.q),
      field('Status', this.status),
      field('Operator', this.operator),
      field('Label', this.label),
      field('From', this.from),
      field('To', this.to),
      field('Rating', this.rating),
      field('Left a message', this.offline),
      el('button', { type: 'submit', className: 'primary small', text: 'Show' }),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.load(false);
    });
    this.more.addEventListener('click', () => void this.load(true));
    this.more.hidden = true;
    this.problem.hidden = true;
    const headers = ['Customer', 'Status', 'Operator', 'Started', 'Rating', 'Labels'];
    this.root = el(
      'section',
      { className: 'screen history', 'aria-labelledby': 'history-title' },
      el(
        'div',
        { className: 'panel' },
        el('h2', { id: 'history-title', text: 'History' }),
        form,
        this.problem,
        this.count,
        table(headers, this.rows, 'history-table'),
        this.more,
      ),
      transcript.root,
    );
  }

  /** The choices that change while the console is open (operators, labels); then the first page. */
  async enter(operators: Operator[], labels: Label[]): Promise<void> {
    const fill = (select: HTMLSelectElement, options: Array<[string, string]>) => {
      const chosen = select.value;
      replaceChildren(select, el('option', { value: '', text: 'Any' }), ...options.map(([value, text]) => el('option', { value, text })));
      select.value = options.some(([value]) => value === chosen) ? chosen : '';
    };
    fill(this.operator, operators.map((o) => [String(o.id), o.name]));
    fill(this.label, labels.map((l) => [l.name, l.name]));
    // The first visit reads the first page; later visits keep what was shown (and any load on its way).
    if (!this.query) await this.load(false);
  }

  /**
   * Show (`next` false) reads the form and starts again; More goes on with the query Show made, whatever the form
   * says now. An answer to an older request than the latest is dropped, so rows never mix two queries.
   */
  private async load(next: boolean): Promise<void> {
    this.problem.hidden = true;
    if (next && !this.query) return;
    if (!next) {
      const q = this.q.value.trim();
      if (q !== '' && [...q].length < 2) return this.say('Type at least two letters to search.');
      const filters = { from: dayBound(this.from.value, false), to: dayBound(this.to.value, true), operatorId: this.operator.value, label: this.label.value, limit: String(PAGE) };
      this.query =
        q !== ''
          ? { path: '/api/chat/search', params: { q, ...filters }, keep: { status: this.status.value, rating: this.rating.value, offline: this.offline.value } }
          : { path: '/api/chat/sessions/history', params: { ...filters, status: this.status.value, rating: this.rating.value, offline: this.offline.value }, keep: null };
      this.cursor = null;
      this.shown = 0;
      replaceChildren(this.rows);
      this.transcript.hide();
    }
    const query = this.query;
    if (!query) return;
    const ask = ++this.asked;
    this.more.disabled = true;
    try {
      const page = await this.http.page<Array<Session | SearchResult>>('GET', `${query.path}?${filterQuery({ ...query.params, cursor: next ? (this.cursor ?? '') : '' }).toString()}`);
      if (ask !== this.asked) return;
      let sessions = page.data.map((item) => ('snippet' in item ? item.session : item));
      if (query.keep) {
        // Search finds messages: one row per conversation, with what the other filters ask kept.
        const keep = query.keep;
        const seen = new Set(Array.from(this.rows.querySelectorAll<HTMLElement>('tr[data-session]')).map((row) => row.dataset.session));
        sessions = sessions.filter((session) => !seen.has(session.id) && (seen.add(session.id), keeps(session, keep)));
      }
      this.cursor = typeof page.meta?.nextCursor === 'string' ? page.meta.nextCursor : null;
      this.rows.append(...sessions.map((session) => this.row(session)));
      this.shown += sessions.length;
      this.count.textContent = this.shown === 0 ? 'No conversations match.' : `${this.shown} conversation${this.shown === 1 ? '' : 's'}${this.cursor ? ', more below' : ''}`;
      this.more.hidden = this.cursor === null;
    } catch (error) {
      if (ask === this.asked) this.say(describe(error));
    } finally {
      if (ask === this.asked) this.more.disabled = false;
    }
  }

  private say(problem: string): void {
    this.problem.textContent = problem;
    this.problem.hidden = false;
  }

  private row(session: Session): HTMLTableRowElement {
    const open = el('button', { type: 'button', className: 'link', text: customerName(session) });
    open.addEventListener('click', () => void this.transcript.show(session));
    return el(
      'tr',
      { 'data-session': session.id },
      el('th', { scope: 'row' }, open, session.offline ? el('span', { className: 'offline-mark', text: ' Left a message' }) : null),
      el('td', { text: session.status }),
      el('td', { text: session.operator?.name ?? '—' }),
      el('td', { text: fullTime(session.createdAt) }),
      el('td', { text: session.rating === null ? '—' : `${session.rating} of 5${session.ratingComment ? ', with a comment' : ''}`, title: session.ratingComment ?? '' }),
      el('td', {}, session.labels.length > 0 ? labelChips(session.labels) : '—'),
    );
  }
}
