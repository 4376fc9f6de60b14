import {
  DataTypes,
  Model,
  type CreationOptional,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/**
 * One time a session was given to an operator (migration 004): statistics are per assignment, so a transfer
 * never moves one operator's first response to another.
 */
export class SessionAssignment extends Model<InferAttributes<SessionAssignment>, InferCreationAttributes<SessionAssignment>> {
  declare id: CreationOptional<number>;
  declare sessionId: ForeignKey<string>;
  declare operatorId: number;
  declare assignedAt: Date;
  /** The operator's first message in the session during this assignment. */
  declare firstResponseAt: CreationOptional<Date | null>;
  /** When the session left them (transfer, requeue, close); null while they hold it. */
  declare endedAt: CreationOptional<Date | null>;

  /**
   * Binds a fresh subclass to this Sequelize instance, so that two servers in one process (tests, benchmarks)
   * never share model state.
   */
  static define(sequelize: Sequelize): typeof SessionAssignment {
    const Bound = class extends SessionAssignment {};
    Bound.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        operatorId: { type: DataTypes.INTEGER, allowNull: false },
        assignedAt: { type: DataTypes.DATE(3), allowNull: false },
        firstResponseAt: { type: DataTypes.DATE(3), allowNull: true },
        endedAt: { type: DataTypes.DATE(3), allowNull: true },
      },
      { sequelize, modelName: 'SessionAssignment', tableName: 'session_assignments', underscored: true, timestamps: false },
    );
    return Bound;
  }
}
