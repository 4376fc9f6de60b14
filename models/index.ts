import type { Sequelize } from 'sequelize';
import { ChatMessage } from './ChatMessage';
import { ChatSession } from './ChatSession';
import { Operator } from './Operator';
import { SessionAssignment } from './SessionAssignment';
import { SessionEvent } from './SessionEvent';

export { ChatMessage, ChatSession, Operator, SessionAssignment, SessionEvent };
export type { OperatorRole, OperatorStatus } from './Operator';
export { OPERATOR_ROLES, OPERATOR_STATUSES } from './Operator';
export type { SessionStatus, ClosedBy } from './ChatSession';
export { SESSION_STATUSES } from './ChatSession';
export type { SenderType, MessageType } from './ChatMessage';
export { MESSAGE_TYPES } from './ChatMessage';
export type { SessionEventType } from './SessionEvent';

export interface Models {
  Operator: typeof Operator;
  ChatSession: typeof ChatSession;
  ChatMessage: typeof ChatMessage;
  SessionEvent: typeof SessionEvent;
  SessionAssignment: typeof SessionAssignment;
}

/** Defines every model and association on one Sequelize instance. */
export function defineModels(sequelize: Sequelize): Models {
  const models: Models = {
    Operator: Operator.define(sequelize),
    ChatSession: ChatSession.define(sequelize),
    ChatMessage: ChatMessage.define(sequelize),
    SessionEvent: SessionEvent.define(sequelize),
    SessionAssignment: SessionAssignment.define(sequelize),
  };
  const { Operator: Op, ChatSession: Session, ChatMessage: Message, SessionEvent: Event, SessionAssignment: Assignment } = models;
  Op.hasMany(Session, { foreignKey: 'operatorId', as: 'sessions' });
  Session.belongsTo(Op, { foreignKey: 'operatorId', as: 'operator' });
  Session.hasMany(Message, { foreignKey: 'sessionId', as: 'messages' });
  Message.belongsTo(Session, { foreignKey: 'sessionId', as: 'session' });
  Session.hasMany(Event, { foreignKey: 'sessionId', as: 'events' });
  Event.belongsTo(Session, { foreignKey: 'sessionId', as: 'session' });
  Session.hasMany(Assignment, { foreignKey: 'sessionId', as: 'assignments' });
  Assignment.belongsTo(Session, { foreignKey: 'sessionId', as: 'session' });
  return models;
}
