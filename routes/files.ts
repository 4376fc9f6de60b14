import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import type { OpenedFile } from '../services/messages/attachments/AttachmentFiles';

/**
 * Sends a stored file with the headers PROTOCOL.md names: its stored type, nosniff, inline for images and
 * `attachment` (a download under its name) for everything else, private caching only. The page it is shown in
 * may not run anything of it: a sandboxing policy of its own.
 */
export function sendFile(res: Response, file: OpenedFile): void {
  const { attachment, contentType } = file;
  const image = contentType.startsWith('image/');
  res.status(200);
  res.type(contentType === 'text/plain' ? 'text/plain; charset=utf-8' : contentType);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'private');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  if (file.size !== null) res.setHeader('Content-Length', String(file.size));
  res.setHeader('Content-Disposition', disposition(image ? 'inline' : 'attachment', file.variant === 'thumbnail' ? thumbnailName(attachment.fileName, contentType) : attachment.fileName));
  // A client that goes away half-way ends the stream; nothing is left to answer.
  pipeline(file.stream, res).catch(() => res.destroy());
}

/** A thumbnail under its image's name with its own type's extension: `holiday.jpg` as image/webp → `holiday.webp`. */
function thumbnailName(fileName: string, contentType: string): string {
  const dot = fileName.lastIndexOf('.');
  const ext = contentType === 'image/jpeg' ? 'jpg' : contentType.slice(contentType.indexOf('/') + 1);
  return `${dot > 0 ? fileName.slice(0, dot) : fileName}.${ext}`;
}

/**
 * RFC 6266: a plain-ASCII `filename` for old clients and the exact name as `filename*`. (res.attachment() would
 * also set the type from the name's extension, which is never what decides a file's type here.)
 */
function disposition(kind: 'inline' | 'attachment', fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
