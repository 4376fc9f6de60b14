/**
 * What a search looks for, and whether a text holds it: the one definition of a match, which both databases'
 * full-text indexes only speed up (models/queries/search.ts). A query is its words (runs of letters and
 * digits: quotes, operators and punctuation are spaces), folded to lower case without accents; a text matches
 * when each word begins one of the text's words ("refund" finds "Refunded", "cafe" finds "Café").
 */

/** Words of one character are too common to look for (and MySQL's index holds none). */
const MIN_WORD = 2;
/** The index is asked for this many words at most (the longest: the fewest matches); every word is checked. */
const MAX_INDEXED_WORDS = 8;
/** Characters of context kept on either side of the first match in a snippet. */
const SNIPPET_BEFORE = 60;
const SNIPPET_LENGTH = 200;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const fold = (text: string): string => text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();

export interface SearchWords {
  /** Every word a match must hold, folded, without repeats. */
  all: string[];
  /** The ones the index is asked for. */
  indexed: string[];
}

/** The words of a query; none when it holds no word of two or more letters or digits. */
export function searchWords(q: string): SearchWords {
  const all = [...new Set((q.match(WORD) ?? []).map(fold).filter((word) => [...word].length >= MIN_WORD))];
  const indexed = [...all].sort((a, b) => b.length - a.length).slice(0, MAX_INDEXED_WORDS);
  return { all, indexed };
}

/** Where in `text` the first word that one of `words` begins, or -1. */
function firstMatch(text: string, words: string[]): number {
  for (const token of text.matchAll(WORD)) {
    const folded = fold(token[0]);
    if (words.some((word) => folded.startsWith(word))) return token.index;
  }
  return -1;
}

/** Whether each word begins one of the text's words. */
export function holdsAll(text: string, words: string[]): boolean {
  const tokens = (text.match(WORD) ?? []).map(fold);
  return words.every((word) => tokens.some((token) => token.startsWith(word)));
}

/** The text around its first match, on one line, cut at spaces, with "…" where it was cut. */
export function snippetOf(text: string, words: string[]): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const at = Math.max(firstMatch(flat, words), 0);
  let start = Math.max(at - SNIPPET_BEFORE, 0);
  let end = Math.min(start + SNIPPET_LENGTH, flat.length);
  if (start > 0) start = cutAfterSpace(flat, start, at);
  if (end < flat.length) end = cutBeforeSpace(flat, end, at);
  return `${start > 0 ? '…' : ''}${flat.slice(start, end).trim()}${end < flat.length ? '…' : ''}`;
}

/** The first character after a space from `from` (not past `limit`), so no word or surrogate pair is split. */
function cutAfterSpace(text: string, from: number, limit: number): number {
  const space = text.indexOf(' ', from);
  return space >= 0 && space < limit ? space + 1 : safeIndex(text, from);
}

function cutBeforeSpace(text: string, from: number, floor: number): number {
  const space = text.lastIndexOf(' ', from);
  return space > floor ? space : safeIndex(text, from);
}

/** An index that does not fall between the two halves of a surrogate pair. */
function safeIndex(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff ? index + 1 : index;
}
