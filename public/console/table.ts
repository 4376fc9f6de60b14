import { el } from '../shared/dom';

/** A table with one header row (column headers), its body given, scrolling sideways when it is wider than its panel. */
export function table(headers: string[], body: HTMLTableSectionElement, className?: string): HTMLElement {
  return el('div', { className: 'table-wrap' }, el('table', { className }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col', text: h })))), body));
}
