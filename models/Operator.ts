import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { jsonText } from './jsonText';

export type OperatorRole = 'operator' | 'admin';
export type OperatorStatus = 'online' | 'busy' | 'offline';
export const OPERATOR_ROLES: readonly OperatorRole[] = ['operator', 'admin'];
export const OPERATOR_STATUSES: readonly OperatorStatus[] = ['online', 'busy', 'offline'];

export class Operator extends Model<InferAttributes<Operator>, InferCreationAttributes<Operator>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare email: string;
  declare passwordHash: string;
  declare role: CreationOptional<OperatorRole>;
  declare status: CreationOptional<OperatorStatus>;
  declare maxConcurrentSessions: CreationOptional<number>;
  declare departments: CreationOptional<string[]>;
  declare activeSessions: CreationOptional<number>;
  declare tokenVersion: CreationOptional<number>;
  /** Bumped by every UPDATE of the row, so a cache never lets an older copy overwrite a newer one. */
  declare version: CreationOptional<number>;
  declare disabled: CreationOptional<boolean>;
  declare lastAssignedAt: CreationOptional<Date | null>;
  declare lastSeenAt: CreationOptional<Date | null>;
  /** Presence lease: the operator counts as connected until this time (plus the grace period). */
  declare presentUntil: CreationOptional<Date | null>;
  /** When the operator's last connection dropped; null while one is open, or if they never had one (migration 013). */
  declare disconnectedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  /**
   * Binds a fresh subclass to this Sequelize instance, so that two servers in one process (tests, benchmarks)
   * never share model state.
   */
  static define(sequelize: Sequelize): typeof Operator {
    const Bound = class extends Operator {};
    Bound.init(
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        name: { type: DataTypes.STRING(120), allowNull: false },
        email: { type: DataTypes.STRING(191), allowNull: false, unique: true },
        passwordHash: { type: DataTypes.STRING(255), allowNull: false },
        role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'operator' },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'offline' },
        maxConcurrentSessions: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 5 },
        departments: { type: DataTypes.TEXT, allowNull: false, defaultValue: '[]', ...jsonText<string[]>('departments', []) },
        activeSessions: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        tokenVersion: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        disabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        lastAssignedAt: { type: DataTypes.DATE(3), allowNull: true },
        lastSeenAt: { type: DataTypes.DATE(3), allowNull: true },
        presentUntil: { type: DataTypes.DATE(3), allowNull: true },
        disconnectedAt: { type: DataTypes.DATE(3), allowNull: true },
        createdAt: DataTypes.DATE(3),
        updatedAt: DataTypes.DATE(3),
      },
      { sequelize, modelName: 'Operator', tableName: 'operators', underscored: true },
    );
    return Bound;
  }
}
