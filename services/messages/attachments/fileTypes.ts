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

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The type from the bytes alone (never the name or the declared type): file-type's magic numbers, or plain text
 * when the bytes are UTF-8 without control characters other than tab, line and page breaks. null: unknown.
 */
export async function detectType(bytes: Buffer): Promise<Detected | null> {
  const found = await magicType(bytes);
  if (found) {
    // An animated PNG is a PNG to everyone who shows it.
    return found.mime === 'image/apng' ? { mime: 'image/png', ext: 'png' } : { mime: found.mime, ext: found.ext };
  }
  return isPlainText(bytes) ? { mime: 'text/plain', ext: 'txt' } : null;
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

function isPlainText(bytes: Buffer): boolean {
  for (const byte of bytes) {
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) || byte === 0x7f) return false;
  }
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function extensionFits(mime: string, ext: string, detectedExt: string): boolean {
  return (EXTENSIONS[mime] ?? [detectedExt]).includes(ext.toLowerCase());
}
