import { el } from './dom';

/** Web and mail addresses in message text: http(s) URLs, mailto: links, and bare email addresses. */
/** Bidirectional controls end an address: a link's text must read as its target does. */
const ADDRESS = /\b(?:https?:\/\/|mailto:)[^\s<>"\u202a-\u202e\u2066-\u2069]+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/gi;
/** Punctuation that ends a sentence rather than the address ("see https://x.example/a." ). */
const TRAILING = /[.,;:!?\]}'"]+$/;

/** The address without what closes the sentence: a last ")" only when the address did not open it. */
function trimmed(address: string): string {
  let end = address.replace(TRAILING, '');
  while (end.endsWith(')') && (end.match(/\(/g) ?? []).length < (end.match(/\)/g) ?? []).length) end = end.slice(0, -1).replace(TRAILING, '');
  return end;
}
const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** A link for an address that is http, https or mailto once parsed; null for anything else. */
function link(address: string): HTMLAnchorElement | null {
  const href = address.includes('://') || address.toLowerCase().startsWith('mailto:') ? address : `mailto:${address}`;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (!SAFE_PROTOCOLS.has(url.protocol)) return null;
  return el('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer nofollow', text: address });
}

/**
 * Message text as nodes: the text itself as text nodes, and each address in it as a link that opens apart from
 * the page and tells the other site nothing (`rel="noopener noreferrer nofollow"`). Nothing typed ever becomes
 * markup: only an anchor this function builds, with the address as its text.
 */
export function linkified(text: string): Node[] {
  const nodes: Node[] = [];
  let at = 0;
  for (const match of text.matchAll(ADDRESS)) {
    const start = match.index ?? 0;
    const address = trimmed(match[0]);
    const anchor = address ? link(address) : null;
    if (!anchor) continue;
    if (start > at) nodes.push(document.createTextNode(text.slice(at, start)));
    nodes.push(anchor);
    at = start + address.length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}
