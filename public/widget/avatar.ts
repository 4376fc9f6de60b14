import { el } from '../shared/dom';

/**
 * "DA" for "Dana Adams": the first letter of the first and the last word (one for a single word), upper-cased
 * where the script has cases. Array.from keeps a letter outside the BMP whole.
 */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '';
  const first = Array.from(words[0])[0];
  const last = words.length > 1 ? Array.from(words[words.length - 1])[0] : '';
  return `${first}${last}`.toUpperCase();
}

/**
 * An operator's initials in a circle. Hidden from screen readers: the status line and each message already
 * say the name in full.
 */
export function avatar(name: string): HTMLElement {
  return el('span', { className: 'lc-avatar', 'aria-hidden': 'true', title: name, text: initials(name) });
}
