import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { insertAttachment } from '../../models/queries/attachments';
import { DatabaseFileStore } from '../../services/messages/attachments/DatabaseFileStore';
import { DiskFileStore } from '../../services/messages/attachments/DiskFileStore';
import type { FileRef, FileStore } from '../../services/messages/attachments/FileStore';
import { describeEachBackend } from '../helpers/backends';
import { databasePerFile, sessionRow, type TestDatabase } from '../helpers/database';
import { tempDir } from '../helpers/files';

/** The file stores behind attachments (DESIGN.md decision 13): the same contract, passed by each. */

async function read(stream: Readable | null): Promise<Buffer | null> {
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describeEachBackend('file stores', (backend) => {
  let t: TestDatabase;
  databasePerFile(backend, (database) => (t = database));

  const stores: Array<[string, () => FileStore]> = [
    ['database', () => new DatabaseFileStore(t.db)],
    ['disk', () => new DiskFileStore(tempDir())],
  ];

  for (const [kind, make] of stores) {
    describe(kind, () => {
      /** A file row as AttachmentFiles writes it before the bytes (the database store's chunks refer to it). */
      const newFile = async (sessionId?: string): Promise<FileRef> => {
        const session = sessionId ?? (await t.db.models.ChatSession.create(sessionRow())).id;
        const ref = { id: randomUUID(), sessionId: session };
        await insertAttachment(t.db, { ...ref, fileName: 'f.bin', contentType: 'application/pdf', size: 1, width: null, height: null, thumbnailType: null, storage: kind as 'database' | 'disk', createdAt: new Date() });
        return ref;
      };

      it('gives back what it was given, byte for byte, in any size (empty, one chunk, many), each variant apart', async () => {
        const store = make();
        for (const size of [0, 1, 256 * 1024, 256 * 1024 + 1, 3 * 1024 * 1024 + 17]) {
          const file = await newFile();
          const bytes = randomBytes(size);
          const thumbnail = randomBytes(1000);
          await store.put(file, 'original', bytes);
          await store.put(file, 'thumbnail', thumbnail);
          expect(Buffer.compare((await read(await store.open(file, 'original'))) as Buffer, bytes)).toBe(0);
          expect(Buffer.compare((await read(await store.open(file, 'thumbnail'))) as Buffer, thumbnail)).toBe(0);
        }
      });

      it('has nothing for a file it never stored, or a variant it never got', async () => {
        const store = make();
        const file = await newFile();
        expect(await store.open(file, 'original')).toBeNull();
        await store.put(file, 'original', Buffer.from('only the original'));
        expect(await store.open(file, 'thumbnail')).toBeNull();
      });

      it('removes files one by one, and a whole session at once, leaving other sessions alone', async () => {
        const store = make();
        const [a, b] = [await newFile(), await newFile()];
        const sameSession = await newFile(a.sessionId);
        for (const file of [a, b, sameSession]) await store.put(file, 'original', Buffer.from(file.id));
        await store.remove([b]);
        expect(await store.open(b, 'original')).toBeNull();
        // Removing what is gone already is no error.
        await store.remove([b]);
        await store.removeSession(a.sessionId);
        expect(await store.open(a, 'original')).toBeNull();
        expect(await store.open(sameSession, 'original')).toBeNull();
        const survivor = await newFile();
        await store.put(survivor, 'original', Buffer.from('still here'));
        await store.removeSession(b.sessionId);
        expect((await read(await store.open(survivor, 'original')))?.toString()).toBe('still here');
      });
    });
  }

  it('the disk store never builds a path from anything but its own ids', async () => {
    const store = new DiskFileStore(tempDir());
    await expect(store.put({ id: '../../etc/passwd', sessionId: randomUUID() }, 'original', Buffer.from('x'))).rejects.toThrow(/not a file id/);
    await expect(store.removeSession('..')).rejects.toThrow(/not a session id/);
  });
});
