import { Op } from 'sequelize';
import type { Db } from '../../models/db';
import { selectPage, type MessageFields } from '../../models/queries/messages';
import type { AttachmentDTO, MessageDTO } from '../contract';
import { toMessageDTO } from '../dto';

export interface MessagePage {
  messages: MessageDTO[];
  hasMore: boolean;
}

/** The stored attachments with these ids, with fresh links, by id (AttachmentFiles.describe). */
export type DescribeAttachments = (ids: string[]) => Promise<Map<string, AttachmentDTO>>;

/** A message and the file it came with, to be described. */
export interface FileOf {
  message: MessageDTO;
  attachmentId: string;
}

/** Gives each message its file with fresh links, in one read for the lot. */
export async function describeFiles(files: FileOf[], describe: DescribeAttachments): Promise<void> {
  if (files.length === 0) return;
  const attachments = await describe(files.map(({ attachmentId }) => attachmentId));
  for (const { message, attachmentId } of files) message.attachment = attachments.get(attachmentId) ?? null;
}

/** Messages as the contract shows them; most pages hold no file and cost no second read. */
export async function withAttachments(rows: MessageFields[], describe: DescribeAttachments): Promise<MessageDTO[]> {
  const messages = rows.map((row) => toMessageDTO(row));
  await describeFiles(
    rows.flatMap((row, index) => (row.attachmentId ? [{ message: messages[index] as MessageDTO, attachmentId: row.attachmentId }] : [])),
    describe,
  );
  return messages;
}

/** Reads a session's messages, and marks them read. (Writing is MessageWriter's: grouped, idempotent.) */
export class MessageReader {
  constructor(
    private readonly db: Db,
    private readonly describe: DescribeAttachments,
  ) {}

  /**
   * Ascending by id. `after`: the next page newer than that id; `before`: the page just older than that id;
   * neither: the latest page. hasMore says whether more lie beyond the page in the direction read. `notes`:
   * whether the reader sees internal notes (operators do, customers never).
   */
  async list(sessionId: string, options: { after?: number; before?: number; limit: number; notes: boolean }): Promise<MessagePage> {
    const { after, before, limit, notes } = options;
    const rows = await selectPage(this.db, sessionId, { after, before, notes }, limit + 1);
    const page = await withAttachments(rows.slice(0, limit), this.describe);
    return { messages: after !== undefined ? page : page.reverse(), hasMore: rows.length > limit };
  }
  /** Everything newer than afterId (reconnect sync), read in pages so a long absence costs no huge query. */
  async since(sessionId: string, afterId: number, notes: boolean): Promise<MessageDTO[]> {
    const all: MessageDTO[] = [];
    let cursor = afterId;
    for (;;) {
      const page = await this.list(sessionId, { after: cursor, limit: 1000, notes });
      all.push(...page.messages);
      const last = page.messages[page.messages.length - 1];
      if (!page.hasMore || !last) return all;
      cursor = last.id;
    }
  }

  /** Marks the other side's messages up to an id as read (a customer never reads a note); returns how many changed. */
  async markRead(sessionId: string, reader: 'customer' | 'operator', upToId: number): Promise<number> {
    const sender = reader === 'customer' ? { senderType: { [Op.in]: ['operator', 'system'] }, internal: false } : { senderType: 'customer' };
    const [count] = await this.db.models.ChatMessage.update({ readAt: new Date() }, { where: { sessionId, id: { [Op.lte]: upToId }, readAt: null, ...sender } });
    return count;
  }
}
