import { el } from '../shared/dom';
import { ApiError } from '../shared/http';
import type { Words } from './words';

/** A failure in words for the customer. */
export function describe(error: unknown, words: Words): string {
  return error instanceof ApiError ? words.problem(error.code, error.message) : words.somethingWentWrong;
}

/** What the panel shows when it could not load: the problem and a way to try again. */
export function problemView(error: unknown, words: Words, retry: () => void): HTMLElement {
  const again = el('button', { type: 'button', className: 'lc-secondary', text: words.tryAgain });
  again.addEventListener('click', retry);
  return el('div', { className: 'lc-problem' }, el('p', { className: 'lc-error', role: 'alert', text: describe(error, words) }), again);
}
