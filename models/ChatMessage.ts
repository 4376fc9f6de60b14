import {
  DataTypes,
  Model,
  type CreationOptional,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

export type SenderType = 'customer' | 'operator' | 'system';
export type MessageType = 'text' | 'image' | 'file' | 'system';
export const MESSAGE_TYPES: readonly MessageType[] = ['text', 'image', 'file', 'system'];

export class ChatMessage extends Model<InferAttributes<ChatMessage>, InferCreationAttributes<ChatMessage>> {
  declare id: CreationOptional<number>;
  declare sessionId: ForeignKey<string>;
  declare senderType: SenderType;
  declare senderId: CreationOptional<string | null>;
  /** The sender's name when the message was stored (null for system lines). */
  declare senderName: CreationOptional<string | null>;
  declare type: CreationOptional<MessageType>;
  declare content: string;
  declare clientMessageId: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare readAt: CreationOptional<Date | null>;
  /** An operators-only note (PROTOCOL.md "Internal notes"). */
  declare internal: CreationOptional<boolean>;

  /**
   * Binds a fresh subclass to this Sequelize instance, so that two servers in one process (tests, benchmarks)
   * never share model state.
   */
  static define(sequelize: Sequelize): typeof ChatMessage {
    const Bound = class extends ChatMessage {};
    Bound.init(
      {
        // mysql2 returns BIGINT as a number while it is below 2^53, which message ids stay under.
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        senderType: { type: DataTypes.STRING(16), allowNull: false },
        senderId: { type: DataTypes.STRING(191), allowNull: true },
        senderName: { type: DataTypes.STRING(120), allowNull: true },
        type: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'text' },
        content: { type: DataTypes.TEXT, allowNull: false },
        clientMessageId: { type: DataTypes.STRING(64), allowNull: true },
        createdAt: DataTypes.DATE(3),
        readAt: { type: DataTypes.DATE(3), allowNull: true },
        internal: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      },
      { sequelize, modelName: 'ChatMessage', tableName: 'chat_messages', underscored: true, updatedAt: false },
    );
    return Bound;
  }
}
