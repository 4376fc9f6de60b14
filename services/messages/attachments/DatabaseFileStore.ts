import { Readable } from 'node:stream';
import type { Db } from '../../../models/db';
import { deleteChunks, insertChunk, selectChunk, selectSessionAttachmentIds } from '../../../models/queries/attachments';
import type { FileRef, FileStore, Variant } from './FileStore';

/**
 * Small enough that a chunk's statement stays far below MySQL's max_allowed_packet (16 MB on MariaDB 10.11,
 * 4 MB on older servers) however large the file, and that a download holds one chunk in memory at a time.
 */
const CHUNK_BYTES = 256 * 1024;

/** Files in the database (the default): every process and host that shares the database reads them. */
export class DatabaseFileStore implements FileStore {
  readonly kind = 'database';

  constructor(private readonly db: Db) {}

  async put(file: FileRef, variant: Variant, bytes: Buffer): Promise<void> {
    await this.db.transaction(async (transaction) => {
      // An empty variant still gets its one (empty) chunk, so that open() can tell it from a missing one.
      for (let seq = 0, offset = 0; seq === 0 || offset < bytes.length; seq++, offset += CHUNK_BYTES) {
        await insertChunk(this.db, file.id, variant, seq, bytes.subarray(offset, offset + CHUNK_BYTES), transaction);
      }
    });
  }

  async open(file: FileRef, variant: Variant): Promise<Readable | null> {
    const first = await selectChunk(this.db, file.id, variant, 0);
    if (first === null) return null;
    const { db } = this;
    async function* chunks(): AsyncGenerator<Buffer> {
      yield first as Buffer;
      for (let seq = 1; ; seq++) {
        const next = await selectChunk(db, file.id, variant, seq);
        if (next === null) return;
        yield next;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async remove(files: FileRef[]): Promise<void> {
    await deleteChunks(
      this.db,
      files.map((file) => file.id),
    );
  }

  async removeSession(sessionId: string): Promise<void> {
    await deleteChunks(this.db, await selectSessionAttachmentIds(this.db, sessionId));
  }
}
