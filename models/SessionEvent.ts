import {
  DataTypes,
  Model,
  type CreationOptional,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { jsonText } from './jsonText';

export type SessionEventType =
  | 'created'
  | 'queued'
  | 'assigned'
  | 'transferred'
  | 'requeued'
  | 'unassigned'
  | 'closed'
  | 'rated'
  | 'labelled'
  | 'mailed'
  | 'mail_failed'
  | 'transcript'
  | 'erased';

/** One line of a session's audit trail (PROTOCOL.md: GET /sessions/:id/events). */
export class SessionEvent extends Model<InferAttributes<SessionEvent>, InferCreationAttributes<SessionEvent>> {
  declare id: CreationOptional<number>;
  declare sessionId: ForeignKey<string>;
  declare type: SessionEventType;
  declare operatorId: CreationOptional<number | null>;
  declare detail: CreationOptional<Record<string, unknown> | null>;
  declare createdAt: CreationOptional<Date>;

  /**
   * Binds a fresh subclass to this Sequelize instance, so that two servers in one process (tests, benchmarks)
   * never share model state.
   */
  static define(sequelize: Sequelize): typeof SessionEvent {
    const Bound = class extends SessionEvent {};
    Bound.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        type: { type: DataTypes.STRING(32), allowNull: false },
        operatorId: { type: DataTypes.INTEGER, allowNull: true },
        detail: { type: DataTypes.TEXT, allowNull: true, ...jsonText<Record<string, unknown> | null>('detail', null) },
        createdAt: DataTypes.DATE(3),
      },
      { sequelize, modelName: 'SessionEvent', tableName: 'session_events', underscored: true, updatedAt: false },
    );
    return Bound;
  }
}
