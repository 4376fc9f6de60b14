import { el } from '../shared/dom';
import { ApiError } from '../shared/http';

/** A failure in words for the customer. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'VALIDATION_ERROR') return 'Please check the form: some fields are not valid.';
    if (error.code === 'RATE_LIMITED') return 'Too many attempts. Please wait a minute and try again.';
    return error.message;
  }
  return 'Something went wrong. Please try again.';
}

/** What the panel shows when it could not load: the problem and a way to try again. */
export function problemView(error: unknown, retry: () => void): HTMLElement {
  const again = el('button', { type: 'button', className: 'lc-secondary', text: 'Try again' });
  again.addEventListener('click', retry);
  return el('div', { className: 'lc-problem' }, el('p', { className: 'lc-error', role: 'alert', text: describe(error) }), again);
}
