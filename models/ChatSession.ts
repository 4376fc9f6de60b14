import {
  DataTypes,
  Model,
  type CreationOptional,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import { jsonText } from './jsonText';
import type { Operator } from './Operator';

export type SessionStatus = 'waiting' | 'active' | 'closed';
export type ClosedBy = 'customer' | 'operator' | 'system';
export const SESSION_STATUSES: readonly SessionStatus[] = ['waiting', 'active', 'closed'];

export class ChatSession extends Model<InferAttributes<ChatSession>, InferCreationAttributes<ChatSession>> {
  declare id: string;
  declare status: CreationOptional<SessionStatus>;
  declare customerId: CreationOptional<string | null>;
  declare customerName: CreationOptional<string | null>;
  declare customerEmail: CreationOptional<string | null>;
  declare department: CreationOptional<string | null>;
  declare metadata: CreationOptional<Record<string, unknown> | null>;
  declare operatorId: ForeignKey<number | null>;
  declare customerTokenHash: string;
  declare queuedAt: CreationOptional<Date | null>;
  declare assignedAt: CreationOptional<Date | null>;
  declare closedAt: CreationOptional<Date | null>;
  declare closedBy: CreationOptional<ClosedBy | null>;
  declare closeReason: CreationOptional<string | null>;
  declare lastMessageAt: CreationOptional<Date | null>;
  declare firstResponseAt: CreationOptional<Date | null>;
  /** The operator who last let this session wait (accept timeout, going offline); skipped when it is routed again. */
  declare requeuedFrom: CreationOptional<number | null>;
  /** Created while no operator was online: the "leave a message" path, kept after someone picks it up. */
  declare offline: CreationOptional<boolean>;
  declare rating: CreationOptional<number | null>;
  declare ratingComment: CreationOptional<string | null>;
  /** Its labels' names (PROTOCOL.md "Labels"), kept with session_labels in one transaction (services/sessions/transitions/label.ts). */
  declare labels: CreationOptional<string[]>;
  /** When its content and its customer's details were erased (PROTOCOL.md "Customer data"); null: never. */
  declare erasedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  declare operator?: NonAttribute<Operator | null>;

  /**
   * Binds a fresh subclass to this Sequelize instance, so that two servers in one process (tests, benchmarks)
   * never share model state.
   */
  static define(sequelize: Sequelize): typeof ChatSession {
    const Bound = class extends ChatSession {};
    Bound.init(
      {
        id: { type: DataTypes.CHAR(36), primaryKey: true },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'waiting' },
        customerId: { type: DataTypes.STRING(191), allowNull: true },
        customerName: { type: DataTypes.STRING(120), allowNull: true },
        customerEmail: { type: DataTypes.STRING(191), allowNull: true },
        department: { type: DataTypes.STRING(64), allowNull: true },
        metadata: {
          type: DataTypes.TEXT,
          allowNull: true,
          ...jsonText<Record<string, unknown> | null>('metadata', null),
        },
        customerTokenHash: { type: DataTypes.STRING(64), allowNull: false },
        queuedAt: { type: DataTypes.DATE(3), allowNull: true },
        assignedAt: { type: DataTypes.DATE(3), allowNull: true },
        closedAt: { type: DataTypes.DATE(3), allowNull: true },
        closedBy: { type: DataTypes.STRING(16), allowNull: true },
        closeReason: { type: DataTypes.STRING(500), allowNull: true },
        lastMessageAt: { type: DataTypes.DATE(3), allowNull: true },
        firstResponseAt: { type: DataTypes.DATE(3), allowNull: true },
        requeuedFrom: { type: DataTypes.INTEGER, allowNull: true },
        offline: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        rating: { type: DataTypes.INTEGER, allowNull: true },
        ratingComment: { type: DataTypes.TEXT, allowNull: true },
        labels: { type: DataTypes.STRING(800), allowNull: false, defaultValue: '[]', ...jsonText<string[]>('labels', []) },
        erasedAt: { type: DataTypes.DATE(3), allowNull: true },
        createdAt: DataTypes.DATE(3),
        updatedAt: DataTypes.DATE(3),
      },
      { sequelize, modelName: 'ChatSession', tableName: 'chat_sessions', underscored: true },
    );
    return Bound;
  }
}
