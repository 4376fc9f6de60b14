import { MessageList } from '../shared/messageList';
import { Outbox } from '../shared/outbox';
import type { Message, Session } from '../shared/protocol';

/** The longest message preview (queue rows, live chats). */
const PREVIEW_CHARS = 120;

/** One session the operator holds: its conversation (kept while other tabs are shown) and its counters. */
export interface Chat {
  session: Session;
  list: MessageList;
  unread: number;
  /** Older messages exist on the server than the oldest shown. */
  hasOlder: boolean;
  customerTyping: boolean;
  /** The highest customer message id already reported read. */
  readSent: number;
  /** Replies typed but not yet acknowledged. */
  outbox: Outbox;
  /** Colleagues who have this chat open or are typing in it (session:viewers), this operator left out. */
  colleagues: Array<{ id: number; name: string; typing: boolean }>;
}

/** A chat of the operator `meId`: their own messages on their side, a colleague's (before a transfer) named. */
export function newChat(session: Session, meId: number): Chat {
  const list = new MessageList(
    'operator',
    (message) => message.senderType === 'operator' && message.senderId === String(meId),
    (message) => message.senderName ?? (message.senderType === 'customer' ? customerName(session) : 'Operator'),
    `Conversation with ${customerName(session)}`,
  );
  return { session, list, unread: 0, hasOlder: false, customerTyping: false, readSent: 0, outbox: new Outbox(), colleagues: [] };
}

/** "Dana is viewing", "Dana is typing", "Dana and Sam are viewing"; '' when nobody else is there. */
export function colleaguesLine(colleagues: Chat['colleagues']): string {
  const names = (list: Chat['colleagues']): string => list.map((c) => c.name).join(' and ');
  const typing = colleagues.filter((c) => c.typing);
  const viewing = colleagues.filter((c) => !c.typing);
  return [
    typing.length > 0 ? `${names(typing)} ${typing.length === 1 ? 'is' : 'are'} typing` : '',
    viewing.length > 0 ? `${names(viewing)} ${viewing.length === 1 ? 'is' : 'are'} viewing` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

export function customerName(session: Session): string {
  return session.customerName ?? 'Visitor';
}

/** Where a chat that left this operator went. */
export function movedNote(session: Session): string {
  const name = customerName(session);
  if (session.operator) return `${name}'s chat was transferred to ${session.operator.name}.`;
  if (session.status === 'waiting') return `${name}'s chat went back to the queue${session.department ? ` (${session.department})` : ''}.`;
  return `${name}'s chat was moved away from you.`;
}

/** A message as one short line. */
export function preview(message: Message | undefined): string {
  if (!message) return '';
  const text = `${message.internal ? 'Note: ' : ''}${message.attachment ? `File: ${message.attachment.fileName}` : message.content}`;
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line;
}
