import { el, replaceChildren } from '../shared/dom';
import { fullTime } from '../shared/format';
import type { Http } from '../shared/http';
import type { AuditEntry, Operator } from '../shared/protocol';
import { auditWords } from './auditLine';
import { describe } from './describe';
import { table } from './table';

const PAGE = 50;

/**
 * For admins: the audit log, newest first, a page at a time: who added, changed or disabled operators, changed
 * the settings or labels, and exported or erased customers' data (and what the retention sweep erased).
 */
export class AuditView {
  readonly root: HTMLElement;
  private readonly rows = el('tbody');
  private readonly more = el('button', { type: 'button', className: 'secondary small', text: 'Load more' });
  private readonly problem = el('p', { className: 'error', role: 'alert' });
  private readonly count = el('p', { className: 'muted', role: 'status' });
  private cursor: string | null = null;
  private shown = 0;
  /** The latest request: an answer to an earlier one is dropped, so a page never lands in a list read afresh. */
  private asked = 0;

  constructor(
    private readonly http: Http,
    /** The team as known, to name an operator an entry is about. */
    private readonly operators: () => Map<number, Operator>,
  ) {
    this.more.addEventListener('click', () => void this.load(true));
    this.more.hidden = true;
    this.problem.hidden = true;
    this.root = el(
      'section',
      { className: 'screen audit', 'aria-labelledby': 'audit-title' },
      el(
        'div',
        { className: 'panel' },
        el('h2', { id: 'audit-title', text: 'Audit log' }),
        this.problem,
        this.count,
        table(['When', 'Who', 'What', 'Target', 'Details'], this.rows, 'audit-table'),
        this.more,
      ),
    );
  }

  /** Each visit reads the log afresh: what was done meanwhile is on top. */
  enter(): Promise<void> {
    return this.load(false);
  }

  private async load(next: boolean): Promise<void> {
    if (next && this.cursor === null) return;
    const ask = ++this.asked;
    this.problem.hidden = true;
    this.more.disabled = true;
    const query = new URLSearchParams({ limit: String(PAGE), ...(next && this.cursor ? { cursor: this.cursor } : {}) });
    try {
      const page = await this.http.page<AuditEntry[]>('GET', `/api/audit?${query.toString()}`);
      if (ask !== this.asked) return;
      if (!next) {
        replaceChildren(this.rows);
        this.shown = 0;
      }
      const operators = this.operators();
      this.rows.append(...page.data.map((entry) => this.row(entry, operators)));
      this.shown += page.data.length;
      this.cursor = typeof page.meta?.nextCursor === 'string' ? page.meta.nextCursor : null;
      this.count.textContent = this.shown === 0 ? 'Nothing recorded yet.' : `${this.shown} entr${this.shown === 1 ? 'y' : 'ies'}${this.cursor ? ', more below' : ''}`;
      this.more.hidden = this.cursor === null;
    } catch (error) {
      if (ask !== this.asked) return;
      this.problem.textContent = describe(error);
      this.problem.hidden = false;
    } finally {
      if (ask === this.asked) this.more.disabled = false;
    }
  }

  private row(entry: AuditEntry, operators: Map<number, Operator>): HTMLTableRowElement {
    const words = auditWords(entry, operators);
    return el(
      'tr',
      { 'data-audit': entry.id },
      el('th', { scope: 'row' }, el('time', { datetime: entry.at, text: fullTime(entry.at) })),
      el('td', { text: words.who }),
      el('td', { text: words.what }),
      el('td', { text: words.target }),
      el('td', { text: words.details }),
    );
  }
}
