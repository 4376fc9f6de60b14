import type { Transaction } from 'sequelize';
import type { Db } from '../../models/db';
import type { SessionEventType } from '../../models';
import { toMessageDTO, type MessageDTO } from '../dto';

/** A system line in the conversation (assignment, transfer, close), stored in the caller's transaction. */
export async function addSystemMessage(db: Db, sessionId: string, content: string, transaction: Transaction): Promise<MessageDTO> {
  const message = await db.models.ChatMessage.create(
    { sessionId, senderType: 'system', senderId: null, type: 'system', content },
    { transaction },
  );
  return toMessageDTO(message);
}

/** One line of the session's audit trail, in the caller's transaction. */
export async function addSessionEvent(
  db: Db,
  sessionId: string,
  type: SessionEventType,
  transaction: Transaction,
  operatorId: number | null = null,
  detail: Record<string, unknown> | null = null,
): Promise<void> {
  await db.models.SessionEvent.create({ sessionId, type, operatorId, detail }, { transaction });
}
