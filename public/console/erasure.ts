import type { Erasure } from '../shared/protocol';

/** What an erase took away (a customer, one chat, or the retention sweep): counts only, never the content. */
export type ErasedCounts = Pick<Erasure, 'sessions' | 'messages' | 'attachments'>;

/** "1 chat", "3 chats", "no files". */
export function counted(n: number, one: string, many: string): string {
  if (n === 0) return `no ${many}`;
  return n === 1 ? `1 ${one}` : `${n} ${many}`;
}

/** "3 chats: 42 messages, 2 files", the way the notice after an erase and the audit log both say it. */
export function erasedWords(counts: ErasedCounts): string {
  return `${counted(counts.sessions, 'chat', 'chats')}: ${counted(counts.messages, 'message', 'messages')}, ${counted(counts.attachments, 'file', 'files')}`;
}
