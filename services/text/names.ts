import { ValidationError } from '../errors';

/**
 * Characters that change how a name reads without being seen: bidirectional marks, embeddings, overrides and
 * isolates (`abc\u202Egnp.exe` reads as `abcexe.png`), zero-width spaces and joiners, word joiners and the BOM.
 */
export const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;
/** C0 and C1 controls (NUL included), and DEL. */
// eslint-disable-next-line no-control-regex -- finding control characters is what this expression is for
export const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/gu;

/**
 * A person's name as shown to others (a customer's, an operator's): without invisible or control characters,
 * runs of spaces made one, trimmed. Message text keeps every character it was sent with.
 */
export function cleanName(name: string): string {
  return name.normalize('NFC').replace(INVISIBLE, '').replace(CONTROLS, ' ').replace(/\s+/gu, ' ').trim();
}

/** A name that must stay a name once cleaned: one of nothing but invisible characters is refused. */
export function requiredName(name: string, field = 'name'): string {
  const cleaned = cleanName(name);
  if (cleaned === '') throw new ValidationError('Invalid name', [{ field, message: 'must contain visible characters' }]);
  return cleaned;
}
