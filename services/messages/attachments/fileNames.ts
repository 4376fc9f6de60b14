import { CONTROLS, INVISIBLE } from '../../text/names';
import { extensionFits, type Detected } from './fileTypes';

const MAX_NAME = 200;
/** Half of a surrogate pair with no other half: no character at all. */
const LONE_SURROGATES = /\p{Cs}/gu;

/**
 * The name a file is stored and offered under: the given one without its path, control or bidi characters or
 * leading dots, ending in an extension of the type its bytes have, at most 200 characters (PROTOCOL.md).
 */
export function cleanFileName(given: string | undefined, type: Detected): string {
  const base = (given ?? '').normalize('NFC').split(/[\\/]/).pop() ?? '';
  let name = base.replace(CONTROLS, '').replace(INVISIBLE, '').replace(LONE_SURROGATES, '').trim().replace(/^\.+/, '').trim();
  if (name === '') name = 'file';
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1) : '';
  if (!extensionFits(type.mime, ext, type.ext)) name = `${name}.${type.ext}`;
  const characters = [...name];
  if (characters.length <= MAX_NAME) return name;
  // Shortened before its extension, which is what says how to open it.
  const kept = name.slice(name.lastIndexOf('.'));
  return characters.slice(0, MAX_NAME - [...kept].length).join('') + kept;
}
