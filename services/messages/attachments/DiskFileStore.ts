import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { FileRef, FileStore, Variant } from './FileStore';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Files under a directory (ATTACHMENT_DIR), one folder per session: `<dir>/<sessionId>/<fileId>.<variant>`.
 * One host, or several sharing the directory as a volume.
 */
export class DiskFileStore implements FileStore {
  readonly kind = 'disk';

  constructor(private readonly dir: string) {}

  async put(file: FileRef, variant: Variant, bytes: Buffer): Promise<void> {
    const target = this.pathOf(file, variant);
    await mkdir(path.dirname(target), { recursive: true });
    // Written beside its place and renamed into it: a reader never sees half a file, a crash leaves no file of that name.
    const partial = `${target}.${randomUUID()}.partial`;
    try {
      await writeFile(partial, bytes, { flag: 'wx' });
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async open(file: FileRef, variant: Variant): Promise<Readable | null> {
    const stream = createReadStream(this.pathOf(file, variant));
    // Opened before it is handed out, so a missing file is a null here, not an error half-way through an answer.
    return new Promise((resolve, reject) => {
      stream.once('open', () => resolve(stream));
      stream.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? resolve(null) : reject(error)));
    });
  }

  async remove(files: FileRef[]): Promise<void> {
    for (const file of files) {
      for (const variant of ['original', 'thumbnail'] as const) {
        await unlink(this.pathOf(file, variant)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
      }
    }
  }

  async removeSession(sessionId: string): Promise<void> {
    await rm(this.sessionDir(sessionId), { recursive: true, force: true });
  }

  /** Ids are the server's own UUIDs; anything else never reaches the file system. */
  private sessionDir(sessionId: string): string {
    if (!UUID.test(sessionId)) throw new Error(`not a session id: ${sessionId}`);
    return path.join(this.dir, sessionId);
  }

  private pathOf(file: FileRef, variant: Variant): string {
    if (!UUID.test(file.id)) throw new Error(`not a file id: ${file.id}`);
    return path.join(this.sessionDir(file.sessionId), `${file.id}.${variant}`);
  }
}
