import type { Readable } from 'node:stream';
import type { Variant } from '../../../models/queries/attachments';

export type { Variant };

/** Which file: its id, and the session it belongs to (a session's files are deleted together). */
export interface FileRef {
  id: string;
  sessionId: string;
}

/**
 * Where the bytes of attachments live (DESIGN.md decision 13). Two backends pass the same tests
 * (tests/integration/attachment-stores.test.ts): DatabaseFileStore, the default, and DiskFileStore.
 * What is said of a file (name, type, size) is the attachment row's, not the store's.
 */
export interface FileStore {
  readonly kind: 'database' | 'disk';
  /** Stores one variant of a file; stored whole or not at all. */
  put(file: FileRef, variant: Variant, bytes: Buffer): Promise<void>;
  /** The bytes, streamed; null when this store holds no such file. */
  open(file: FileRef, variant: Variant): Promise<Readable | null>;
  /** Deletes every variant of these files (those it does not hold are skipped). */
  remove(files: FileRef[]): Promise<void>;
  /** Deletes every file of a session (erasure and retention). */
  removeSession(sessionId: string): Promise<void>;
}
