import { fromBuffer } from 'file-type';

/** A type decided from a file's bytes, and the extension that goes with it. */
export interface Detected {
  mime: string;
  ext: string;
}

/** Images the server re-encodes and gives a thumbnail; a message with one is of type `image`. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** Extensions a name may keep for a type; any other gets the type's own appended (`photo.exe` → `photo.exe.png`). */
const EXTENSIONS: Record<string, readonly string[]> = {
  'image/jpeg': ['jpg', 'jpeg', 'jpe'],
  'text/plain': ['txt', 'text', 'log', 'csv', 'md'],
};

const TEXT: Detected = { mime: 'text/plain', ext: 'txt' };
/** Control characters a text file may not hold: all but tab, line feed, page break and carriage return. */
// eslint-disable-next-line no-control-regex -- finding control characters is what this expression is for
const TEXT_CONTROLS = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/u;

/**
 * The type from the bytes alone (never the name or the declared type): file-type's magic numbers, or plain text
 * when the bytes are UTF-8, or UTF-16 with its byte-order mark, without control characters other than tab, line
 * and page breaks. null: unknown.
 */
export async function detectType(bytes: Buffer): Promise<Detected | null> {
  // Before the magic numbers, to which UTF-16's little-endian mark looks like the start of an MPEG audio frame.
  const utf16 = utf16Text(bytes);
  if (utf16 !== null) return TEXT_CONTROLS.test(utf16) ? null : TEXT;
  const found = await magicType(bytes);
  if (found) {
    // An animated PNG is a PNG to everyone who shows it.
    return found.mime === 'image/apng' ? { mime: 'image/png', ext: 'png' } : { mime: found.mime, ext: found.ext };
  }
  const utf8 = decoded(bytes, 'utf-8');
  return utf8 !== null && !TEXT_CONTROLS.test(utf8) ? TEXT : null;
}

/**
 * A text file's bytes as they are stored and served (`text/plain; charset=utf-8`): UTF-16 (Windows' Notepad saved
 * "Unicode" text so for years) converted to UTF-8, any other as it came.
 */
export function utf8Text(bytes: Buffer): Buffer {
  const utf16 = utf16Text(bytes);
  return utf16 === null ? bytes : Buffer.from(utf16, 'utf8');
}

/**
 * file-type's answer. Bytes that begin like a known type but end inside its header (an 8-byte PNG signature, an
 * MP3's "ID3") make it throw instead of answering "unknown": what they are cannot be told from them.
 */
async function magicType(bytes: Buffer): Promise<Awaited<ReturnType<typeof fromBuffer>>> {
  try {
    return await fromBuffer(bytes);
  } catch {
    return undefined;
  }
}

/** The text of bytes in UTF-16 that begin with its byte-order mark (which is left out); null for any other bytes. */
function utf16Text(bytes: Buffer): string | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decoded(bytes, 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decoded(bytes, 'utf-16be');
  return null;
}

function decoded(bytes: Buffer, encoding: 'utf-8' | 'utf-16le' | 'utf-16be'): string | null {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

export function extensionFits(mime: string, ext: string, detectedExt: string): boolean {
  return (EXTENSIONS[mime] ?? [detectedExt]).includes(ext.toLowerCase());
}
