import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { AttachmentConfig } from '../../../config/attachments';
import type { Db } from '../../../models/db';
import { deleteAttachmentRows, insertAttachment, selectAttachments, selectSessionAttachmentIds, type AttachmentRow } from '../../../models/queries/attachments';
import type { Actor } from '../../access';
import type { AttachmentDTO } from '../../contract';
import { NotFoundError, ValidationError } from '../../errors';
import { cleanFileName } from './fileNames';
import type { FileStore, Variant } from './FileStore';
import { detectType, IMAGE_TYPES, utf8Text } from './fileTypes';
import { processImage, UnreadableImageError } from './images';
import type { AttachmentLinks } from './links';

/** A file as the transport read it: bounded by MAX_UPLOAD_BYTES before it gets here. */
export interface Upload {
  fileName?: string;
  bytes: Buffer;
}

/** A file checked and made ready to store: its row's fields and its bytes. */
export interface PreparedFile {
  fileName: string;
  contentType: string;
  width: number | null;
  height: number | null;
  original: Buffer;
  thumbnail: { bytes: Buffer; type: string } | null;
}

/** A file ready to be sent: what its row says, and its bytes. */
export interface OpenedFile {
  attachment: AttachmentRow;
  variant: Variant;
  contentType: string;
  /** Known for the original only (thumbnails' sizes are not kept). */
  size: number | null;
  stream: Readable;
}

const fileError = (message: string): ValidationError => new ValidationError(message, [{ field: 'file', message }]);

/**
 * Attachments (PROTOCOL.md "Files and images", DESIGN.md decision 13): checks an upload (type from its bytes,
 * images re-encoded), stores it in the configured FileStore under a row of its own, describes stored ones with
 * fresh signed links, serves them to whoever holds a link or may read the session, and deletes them.
 */
export class AttachmentFiles {
  constructor(
    private readonly db: Db,
    private readonly stores: Record<FileStore['kind'], FileStore>,
    private readonly config: AttachmentConfig,
    private readonly links: AttachmentLinks,
    private readonly logger: Logger,
  ) {}

  /** Refuses what may not be stored (400, field `file`); re-encodes an image. Stores nothing. */
  async prepare(upload: Upload): Promise<PreparedFile> {
    if (upload.bytes.length === 0) throw fileError('the file is empty');
    const type = await detectType(upload.bytes);
    if (!type || !this.config.allowedTypes.includes(type.mime)) {
      throw fileError(`this type of file is not accepted${type ? ` (${type.mime})` : ''}; accepted: ${this.config.allowedTypes.join(', ')}`);
    }
    const fileName = cleanFileName(upload.fileName, type);
    if (!IMAGE_TYPES.has(type.mime)) {
      const original = type.mime === 'text/plain' ? utf8Text(upload.bytes) : upload.bytes;
      return { fileName, contentType: type.mime, width: null, height: null, original, thumbnail: null };
    }
    try {
      const image = await processImage(upload.bytes, type.mime);
      return { fileName, contentType: type.mime, width: image.width, height: image.height, original: image.bytes, thumbnail: { bytes: image.thumbnail, type: image.thumbnailType } };
    } catch (error) {
      if (error instanceof UnreadableImageError) throw fileError(`the file looks like ${type.mime} but cannot be read as an image`);
      throw error;
    }
  }

  /** Stores a prepared file for a session: the row, then its bytes; on failure neither remains. */
  async store(sessionId: string, file: PreparedFile): Promise<AttachmentRow> {
    const store = this.stores[this.config.storage];
    const row: AttachmentRow = {
      id: randomUUID(),
      sessionId,
      fileName: file.fileName,
      contentType: file.contentType,
      size: file.original.length,
      width: file.width,
      height: file.height,
      thumbnailType: file.thumbnail?.type ?? null,
      storage: store.kind,
      createdAt: new Date(),
    };
    await insertAttachment(this.db, row);
    try {
      await store.put(row, 'original', file.original);
      if (file.thumbnail) await store.put(row, 'thumbnail', file.thumbnail.bytes);
    } catch (error) {
      await this.discard([row]);
      throw error;
    }
    return row;
  }

  /** Deletes stored files and their rows (an upload whose message was refused, or a retry's second copy). */
  async discard(rows: AttachmentRow[]): Promise<void> {
    try {
      for (const kind of ['database', 'disk'] as const) await this.stores[kind].remove(rows.filter((row) => row.storage === kind));
      await deleteAttachmentRows(
        this.db,
        rows.map((row) => row.id),
      );
    } catch (error) {
      // Left behind, unreferenced: no message links to it, so no one is ever shown it.
      this.logger.warn({ err: error, attachments: rows.map((row) => row.id) }, 'could not delete an unused attachment');
    }
  }

  toDTO(row: AttachmentRow): AttachmentDTO {
    return {
      id: row.id,
      fileName: row.fileName,
      contentType: row.contentType,
      size: row.size,
      width: row.width,
      height: row.height,
      url: this.links.url(row.id, 'original'),
      thumbnailUrl: row.thumbnailType === null ? null : this.links.url(row.id, 'thumbnail'),
    };
  }

  /** The stored attachments with these ids, with fresh links, by id. */
  async describe(ids: string[]): Promise<Map<string, AttachmentDTO>> {
    const rows = await selectAttachments(this.db, [...new Set(ids)]);
    return new Map(rows.map((row) => [row.id, this.toDTO(row)]));
  }

  /**
   * A file for whoever holds a valid link, or a token that may read its session (a customer's own, any
   * operator's). Anything else learns nothing: 404, as for a file that does not exist.
   */
  async open(actor: Actor, id: string, variant: Variant, signature: { exp?: unknown; sig?: unknown }): Promise<OpenedFile> {
    const [row] = await selectAttachments(this.db, [id]);
    const allowed =
      row !== undefined &&
      (this.links.verify(id, variant, signature.exp, signature.sig) || actor.kind === 'operator' || (actor.kind === 'customer' && actor.sessionId === row.sessionId));
    if (!row || !allowed) throw new NotFoundError('Attachment not found');
    const contentType = variant === 'thumbnail' ? row.thumbnailType : row.contentType;
    const stream = contentType === null ? null : await this.stores[row.storage].open(row, variant);
    if (!stream || contentType === null) throw new NotFoundError('Attachment not found');
    return { attachment: row, variant, contentType, size: variant === 'original' ? row.size : null, stream };
  }

  /** Deletes the bytes of every file of a session, from every store; their rows stay (erasure, first step). */
  async removeSessionBytes(sessionId: string): Promise<void> {
    for (const store of Object.values(this.stores)) await store.removeSession(sessionId);
  }

  /** Deletes every file of a session, from every store, and their rows (erasure and retention). */
  async removeSession(sessionId: string): Promise<void> {
    await this.removeSessionBytes(sessionId);
    await deleteAttachmentRows(this.db, await selectSessionAttachmentIds(this.db, sessionId));
  }
}
