import { ValidationError } from './errors';

/**
 * Page cursors (`meta.nextCursor`): a position, as opaque text. Each list reads its own back with `read`,
 * which answers null for anything it did not give out; such a cursor is the client's mistake (400).
 */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, read: (parsed: unknown) => T | null): T {
  const position = readSafely(cursor, read);
  if (position === null) throw new ValidationError('Invalid cursor', [{ field: 'cursor', message: 'not a cursor this server gave out' }]);
  return position;
}

function readSafely<T>(cursor: string, read: (parsed: unknown) => T | null): T | null {
  try {
    return read(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    return null;
  }
}
