import { el, replaceChildren } from '../shared/dom';
import type { CannedResponse } from '../shared/protocol';

/** What a response's placeholders become, for the chat in front of the operator. */
export interface PlaceholderValues {
  customerName: string;
  customerEmail: string;
  operatorName: string;
}

/** Fills {{customer.name}}, {{customer.email}} and {{operator.name}}; anything else is left as written. */
export function fillPlaceholders(content: string, values: PlaceholderValues): string {
  const known: Record<string, string> = { 'customer.name': values.customerName, 'customer.email': values.customerEmail, 'operator.name': values.operatorName };
  return content.replace(/\{\{\s*([a-z.]+)\s*\}\}/g, (whole, key: string) => known[key] ?? whole);
}

const MAX_SHOWN = 8;

/**
 * The canned-response picker of the reply box: `/` at the start opens it, the words after it narrow it (shortcut
 * or text), ↑/↓ move, Enter or Tab puts the chosen reply in the box with its placeholders filled (the operator
 * still sends it), Escape closes it. For screen readers the box controls the list and points at the chosen option.
 */
export class CannedPicker {
  readonly root: HTMLUListElement;
  private shown: CannedResponse[] = [];
  private active = 0;
  private all: CannedResponse[] = [];

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly load: () => Promise<CannedResponse[]>,
    private readonly values: () => PlaceholderValues,
  ) {
    this.root = el('ul', { id: 'canned-picker', className: 'canned-picker', role: 'listbox', 'aria-label': 'Saved replies' });
    this.root.hidden = true;
    input.setAttribute('aria-controls', this.root.id);
    input.setAttribute('aria-autocomplete', 'list');
    input.addEventListener('input', () => void this.update());
    // Capture: the picker's keys are handled before the composer's (Enter would send the half-typed text).
    input.addEventListener('keydown', (event) => this.onKey(event), { capture: true });
    // A moment after the box loses focus (a click on an option lands first), unless it has it back by then: a blur
    // just before typing (the note toggle's click) must not close the list that typing opened meanwhile, or Enter
    // would send the half-typed "/sor" instead of picking.
    input.addEventListener('blur', () =>
      setTimeout(() => {
        if (document.activeElement !== this.input) this.close();
      }, 150),
    );
  }

  private query(): string | null {
    const value = this.input.value;
    return value.startsWith('/') && !value.includes('\n') ? value.slice(1).trim().toLowerCase() : null;
  }

  private async update(): Promise<void> {
    const query = this.query();
    if (query === null) return this.close();
    if (this.root.hidden) this.all = await this.load().catch(() => this.all);
    // The box may have changed while the list was on its way.
    const now = this.query();
    if (now === null) return this.close();
    this.shown = this.all.filter((c) => c.shortcut.includes(now) || c.content.toLowerCase().includes(now)).slice(0, MAX_SHOWN);
    this.active = 0;
    this.render(now);
  }

  private render(query: string): void {
    this.root.hidden = false;
    if (this.shown.length === 0) {
      replaceChildren(this.root, el('li', { className: 'muted', role: 'option', 'aria-disabled': 'true', text: query ? `No saved reply matches “${query}”` : 'No saved replies yet' }));
      this.input.removeAttribute('aria-activedescendant');
      return;
    }
    replaceChildren(
      this.root,
      ...this.shown.map((c, index) => {
        const item = el(
          'li',
          { id: `canned-${c.id}`, role: 'option', className: 'canned-option', 'aria-selected': String(index === this.active) },
          el('span', { className: 'canned-shortcut', text: `/${c.shortcut}` }),
          ' ',
          el('span', { className: 'canned-content', text: c.content }),
          c.scope === 'shared' ? el('span', { className: 'muted', text: ' · team' }) : null,
        );
        item.addEventListener('mousedown', (event) => {
          event.preventDefault();
          this.pick(c);
        });
        return item;
      }),
    );
    this.input.setAttribute('aria-activedescendant', `canned-${this.shown[this.active]?.id ?? ''}`);
  }

  private onKey(event: KeyboardEvent): void {
    if (this.root.hidden) return;
    const move = (by: number): void => {
      if (this.shown.length === 0) return;
      this.active = (this.active + by + this.shown.length) % this.shown.length;
      this.render(this.query() ?? '');
    };
    if (event.key === 'ArrowDown') move(1);
    else if (event.key === 'ArrowUp') move(-1);
    else if (event.key === 'Escape') this.close();
    else if ((event.key === 'Enter' || event.key === 'Tab') && !event.shiftKey) {
      const chosen = this.shown[this.active];
      if (!chosen) return;
      this.pick(chosen);
    } else return;
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  private pick(response: CannedResponse): void {
    this.input.value = fillPlaceholders(response.content, this.values());
    this.close();
    this.input.focus();
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
    this.input.dispatchEvent(new Event('input'));
  }

  private close(): void {
    this.root.hidden = true;
    this.input.removeAttribute('aria-activedescendant');
  }
}
