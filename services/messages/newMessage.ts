import type { MessageType, SenderType } from '../../models';
import type { SessionState } from '../../models/queries/messages';
import type { MessageDTO } from '../contract';

/* What the message writer (MessageWriter.ts) takes and gives back. */

/**
 * The sender's check, run against the session as the group read it (`null`: no such session): throws to refuse
 * this one message (the rest of the group is stored), or returns the sender id to store. `exists` is true
 * when the clientMessageId is already stored (a retry, answered with the first message).
 */
export type Admit = (session: SessionState | null, exists: boolean) => { senderId: string | null };

export interface NewMessage {
  sessionId: string;
  senderType: Exclude<SenderType, 'system'>;
  senderId: string | null;
  /** An operator sender's id (their first answer in an assignment is stamped). */
  operatorId?: number;
  /** An operator sender's name, stored with the message; a customer's is the session's customerName as the group reads it. */
  operatorName?: string;
  /** Whose clientMessageId this is (messageRows `senderKeyOf`): it must match the sender the check admits. */
  senderKey: string;
  type: MessageType;
  content: string;
  /** The client's id for retries; one is made up when the client sends none, so every row has a key. */
  clientMessageId: string | null;
  /** A file stored for this message (AttachmentFiles.store). */
  attachmentId?: string;
  /** A note: stored, shown to operators only, and neither a first answer nor the conversation's last message. */
  internal?: boolean;
  /**
   * Checked against the group's one read of its sessions, so the sender's hot path needs no read of its own.
   * Without it the message is stored unchecked.
   */
  admit?: Admit;
}

export interface StoredMessage {
  message: MessageDTO;
  /** False when the clientMessageId was already stored: the first message is returned, nothing is added. */
  created: boolean;
  /** The session as the group read it (who else is to hear of the message). */
  session: SessionState | null;
  /** On the message that was its operator's first answer in this assignment: seconds since they got the session. */
  firstResponseSeconds?: number;
}

