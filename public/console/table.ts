import { el } from '../shared/dom';

/** A table with one header row (column headers), its body given, scrolling sideways when it is wider than its panel. */
export function table(headers: string[], body: HTMLTableSectionElement, className?: string): HTMLElement {
  return el('div', { className: 'table-wrap' }, el('table', { className }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col', text: h })))), body));
}

/**
 * Redraws a part of the page that is drawn again on events (rows of a list), keeping the keyboard where it was:
 * the button that had the focus, found again by its name.
 */
export function keepingFocus(root: HTMLElement, redraw: () => void): void {
  const active = document.activeElement;
  const name = active instanceof HTMLButtonElement && root.contains(active) ? (active.getAttribute('aria-label') ?? active.textContent) : null;
  redraw();
  if (name === null) return;
  Array.from(root.querySelectorAll<HTMLButtonElement>('button'))
    .find((button) => (button.getAttribute('aria-label') ?? button.textContent) === name)
    ?.focus();
}
