import { randomUUID } from 'node:crypto';
import type { MessageBody, OperatorBody, SessionBody } from './api';

/**
 * What the realtime suites send and read: the contract's event names, the payload shapes as the tests read
 * them, fresh clientMessageIds, and garbage no client should ever send.
 */

/** A fresh clientMessageId. */
export const cmid = (): string => `c-${randomUUID()}`;

/** PROTOCOL.md's events, as the suites walk them. */
export const CUSTOMER_EVENTS = ['message:send', 'messages:sync', 'typing', 'messages:read', 'session:close', 'session:rate'] as const;
export const OPERATOR_EVENTS = ['status:set', 'session:join', 'message:send', 'messages:sync', 'typing', 'messages:read', 'session:close', 'session:transfer'] as const;

/** The REST shapes with the fields the realtime suites read too. */
export type FullMessage = MessageBody & { readAt: string | null };
export type FullSession = SessionBody & { closeReason: string | null; ratingComment: string | null };

/** Server → client payloads, as the tests read them. */
export type MessageMsg = { message: FullMessage };
export type QueuedMsg = { position: number; waiting: number };
export type SessionMsg = { session: FullSession };

export type StatusMsg = { operatorId: number; status: OperatorBody['status'] };
export type TransferredMsg = { session: FullSession; operator: { id: number; name: string } | null };

/** Events an observer of a session could hear; after a refusal it hears none of them. */
export const SESSION_EVENTS = ['message:new', 'typing', 'messages:read', 'session:closed', 'session:assigned', 'session:unassigned', 'session:transferred'];

/** Something deep where each field a /customer or /operator event reads is expected. */
function deeplyNested(depth: number): Record<string, unknown> {
  let deep: unknown = 'bottom';
  for (let i = 0; i < depth; i++) deep = { a: deep };
  const fields = ['sessionId', 'content', 'clientMessageId', 'type', 'afterId', 'isTyping', 'upToId', 'reason', 'rating', 'comment', 'status', 'operatorId', 'department'];
  return Object.fromEntries(fields.map((field) => [field, deep]));
}

/** Payloads no client should send; each must be refused with VALIDATION_ERROR (or ignored), never crash. */
export const GARBAGE: Array<[string, unknown]> = [
  ['null', null],
  ['a string', 'hello there'],
  ['a number', 42],
  ['a boolean', true],
  ['an array', [{ content: 'in an array', clientMessageId: 'arr-1', isTyping: true, afterId: 0, upToId: 1, rating: 5 }]],
  ['a huge string', 'x'.repeat(20_000)],
  ['nested objects', deeplyNested(200)],
  [
    'wrong types in every field',
    { sessionId: 12, content: 42, clientMessageId: ['a'], type: 'system', afterId: '1', isTyping: 'true', upToId: -1, reason: 5, rating: '5', comment: {}, status: ['online'], operatorId: '2', department: {} },
  ],
  ['operator-style injection', { content: { $gt: '' }, clientMessageId: { $ne: null }, afterId: { $gt: 0 }, upToId: [1, 2], isTyping: 1, rating: 9, reason: ['x'] }],
];

