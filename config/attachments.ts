import path from 'node:path';
import { mimeTypes } from 'file-type';

/** Files and images in chats (PROTOCOL.md "Files and images"). */
export interface AttachmentConfig {
  /** The largest upload; a body past it is cut off while it is read (413). */
  maxUploadBytes: number;
  /** Types an upload may have, as decided from its bytes. */
  allowedTypes: string[];
  /** `database`: a blob table of the same database (every process and host reads it); `disk`: files under `dir`. */
  storage: 'database' | 'disk';
  /** The disk store's directory, relative to the working directory unless absolute. */
  dir: string;
  /** Life of a signed link to a file. */
  urlTtlSeconds: number;
}

/** Every type the server can recognise from a file's bytes: file-type's, and text (services/messages/attachments/fileTypes.ts). */
export const DETECTABLE_TYPES: ReadonlySet<string> = new Set([...mimeTypes, 'text/plain']);

const DEFAULT_TYPES = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain';

/** What config/index.ts's readers give this module: the raw value, and the checked integer and choice. */
export interface SettingReaders {
  raw(name: string): string | undefined;
  int(name: string, fallback: number, min: number, max: number): number;
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T;
  problems: string[];
}

export function readAttachmentConfig({ raw, int, oneOf, problems }: SettingReaders): AttachmentConfig {
  const allowedTypes = (raw('UPLOAD_ALLOWED_TYPES') ?? DEFAULT_TYPES)
    .split(',')
    .map((type) => type.trim().toLowerCase())
    .filter((type) => type !== '');
  for (const type of allowedTypes) {
    if (!DETECTABLE_TYPES.has(type)) {
      problems.push(`UPLOAD_ALLOWED_TYPES may hold only types the server recognises from a file's bytes (such as image/png, application/pdf, text/plain), got "${type}"`);
    }
  }
  if (allowedTypes.length === 0) problems.push('UPLOAD_ALLOWED_TYPES must name at least one type');
  const ttl = raw('ATTACHMENT_URL_TTL_SECONDS');
  let urlTtlSeconds = 3600;
  if (ttl !== undefined) {
    // "any positive number" (PROTOCOL.md): fractions allowed, so a test may let a link expire quickly.
    const n = Number(ttl);
    if (!Number.isFinite(n) || n <= 0 || n > 31_536_000) problems.push(`ATTACHMENT_URL_TTL_SECONDS must be a positive number of seconds up to a year, got "${ttl}"`);
    else urlTtlSeconds = n;
  }
  return {
    maxUploadBytes: int('MAX_UPLOAD_BYTES', 10 * 1024 * 1024, 1, 1024 * 1024 * 1024),
    allowedTypes: [...new Set(allowedTypes)],
    storage: oneOf('ATTACHMENT_STORAGE', ['database', 'disk'] as const, 'database'),
    dir: raw('ATTACHMENT_DIR') ?? path.join('data', 'attachments'),
    urlTtlSeconds,
  };
}
