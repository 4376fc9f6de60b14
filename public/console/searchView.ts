import { el, field, replaceChildren } from '../shared/dom';
import { fullTime } from '../shared/format';
import type { Label, SearchResult } from '../shared/protocol';
import { customerName } from './chat';

export interface SearchPage {
  results: SearchResult[];
  nextCursor: string | null;
}

export interface SearchActions {
  /** GET /api/chat/search; throws what the server refused, worded for the reader. */
  find(q: string, label: string, cursor: string | null): Promise<SearchPage>;
  /** Opens the result's conversation at its message. */
  open(result: SearchResult): void;
  labels(): Label[];
}

/**
 * The search box: words (and a label) over every conversation, results newest first with "More results"; each
 * result names the customer, the time and the text around the match (as text, never HTML), and opens the
 * conversation at that message.
 */
export class SearchView {
  readonly root: HTMLElement;
  private readonly input = el('input', { type: 'search', name: 'search', placeholder: 'Words, a name or an email', maxlength: 200, autocomplete: 'off' });
  private readonly label = el('select', { name: 'search-label' });
  private readonly list = el('ul', { className: 'search-results', 'aria-labelledby': 'search-title', 'aria-live': 'polite' });
  private readonly more = el('button', { type: 'button', className: 'link', text: 'More results' });
  private readonly problem = el('p', { className: 'error', role: 'alert' });
  private query: { q: string; label: string } | null = null;
  private cursor: string | null = null;

  constructor(private readonly actions: SearchActions) {
    const form = el('form', { className: 'search-form', role: 'search' }, field('Search chats', this.input), field('Label', this.label), el('button', { type: 'submit', className: 'secondary small', text: 'Search' }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.search();
    });
    this.label.addEventListener('focus', () => this.fillLabels());
    this.more.addEventListener('click', () => void this.next());
    this.more.hidden = true;
    this.problem.hidden = true;
    this.root = el('section', { className: 'panel search-panel', 'aria-labelledby': 'search-title' }, el('h2', { id: 'search-title', text: 'Search' }), form, this.problem, this.list, this.more);
    this.fillLabels();
  }

  /** The team's labels as filter choices (they change while the console is open). */
  fillLabels(): void {
    const chosen = this.label.value;
    replaceChildren(this.label, el('option', { value: '', text: 'Any label' }), ...this.actions.labels().map((label) => el('option', { value: label.name, text: label.name })));
    this.label.value = this.actions.labels().some((label) => label.name === chosen) ? chosen : '';
  }

  private async search(): Promise<void> {
    const q = this.input.value.trim();
    if ([...q].length < 2) {
      this.showProblem('Type at least two letters to search.');
      return;
    }
    this.query = { q, label: this.label.value };
    this.cursor = null;
    replaceChildren(this.list);
    await this.next();
  }

  private async next(): Promise<void> {
    if (!this.query) return;
    this.more.disabled = true;
    try {
      const page = await this.actions.find(this.query.q, this.query.label, this.cursor);
      this.problem.hidden = true;
      this.cursor = page.nextCursor;
      if (page.results.length === 0 && this.list.childElementCount === 0) this.list.append(el('li', { className: 'empty', text: 'Nothing found.' }));
      this.list.append(...page.results.map((result) => this.item(result)));
      this.more.hidden = page.nextCursor === null;
    } catch (error) {
      this.showProblem(error instanceof Error ? error.message : 'The search failed. Please try again.');
    } finally {
      this.more.disabled = false;
    }
  }

  private item(result: SearchResult): HTMLElement {
    const { session, message } = result;
    const when = message?.createdAt ?? session.createdAt;
    const open = el(
      'button',
      { type: 'button', className: 'search-result' },
      el('span', { className: 'search-who', text: `${customerName(session)}${session.status === 'closed' ? ' (closed)' : ''}` }),
      el('span', { className: 'muted', text: [message?.internal ? 'Note' : message ? null : 'Customer', fullTime(when)].filter(Boolean).join(' · ') }),
      el('span', { className: 'search-snippet', text: result.snippet }),
    );
    open.addEventListener('click', () => this.actions.open(result));
    return el('li', {}, open);
  }

  private showProblem(text: string): void {
    this.problem.textContent = text;
    this.problem.hidden = false;
  }
}
