import type { Config, StrategyName } from '../../config';
import type { ChatSession, Operator } from '../../models';
import { lockAvailable } from '../../models/queries/operators';
import { assignMany, lockWaiting, previousOperators, queueHead } from '../../models/queries/sessions';
import type { StateCache } from '../cache/StateCache';
import type { SessionDTO } from '../contract';
import { assignedView } from '../dto';
import type { CommitStep } from '../sessions/transitions/CommitStep';
import { joinedLine } from '../sessions/transitions/lines';
import { planAssignments, type PlannedAssignment } from './plan';

/** How many sessions from the head of the queue one routing pass considers. */
export const PASS_SIZE = 100;

/** Which waiting sessions a routing pass plans for, and by which strategy. */
export interface PassScope {
  strategy: StrategyName;
  /** Only this session, wherever it stands in the queue (an explicit routing); else the head of the queue. */
  sessionId?: string;
}

/** One session a pass assigned. */
export interface PassAssignment {
  session: SessionDTO;
  operatorId: number;
  strategy: string;
  reason: string;
}

export interface PassResult {
  /** How many sessions from the head of the queue it looked at. */
  considered: number;
  /** In queue order. */
  assignments: PassAssignment[];
}

/**
 * One routing pass, the commit step of a transition over many sessions (DESIGN.md decisions 4 and 10): locks
 * the operators with a free seat (so passes of every process take turns and never plan over the same seat),
 * then the sessions in scope that still wait; plans as if they were routed one by one in FIFO order
 * (plan.ts); writes every seat and every session with one conditional statement each, checked by row count.
 * (A claim locks its session, then the operator: the opposite order. When the two meet on the same rows,
 * the database picks one to roll back and Db.transaction runs it again.)
 */
export async function routingPass(step: CommitStep, cache: StateCache, config: Config, scope: PassScope): Promise<PassResult> {
  const { db, transaction, now } = step;
  if (scope.strategy === 'manual') return { considered: 0, assignments: [] };
  const seats = await lockAvailable(db, transaction);
  if (seats.length === 0) return { considered: 0, assignments: [] };
  const head = scope.sessionId === undefined ? await queueHead(db, [...new Set(seats.flatMap((o) => o.departments))], PASS_SIZE, transaction) : [scope.sessionId];
  if (head.length === 0) return { considered: 0, assignments: [] };
  const sessions = await lockWaiting(db, head, transaction);
  // Read under the operator locks: the previous pass, whichever process ran it, has set it by now.
  const rotation = scope.strategy === 'round-robin' ? await cache.getRotation() : null;
  const customers = [...new Set(sessions.flatMap((s) => (s.customerId === null ? [] : [s.customerId])))];
  const plan = planAssignments({
    strategy: scope.strategy,
    sessions: sessions.map((s) => ({ id: s.id, department: s.department, customerId: s.customerId, requeuedFrom: s.requeuedFrom === null ? null : Number(s.requeuedFrom) })),
    seats: seats.map((o) => ({ id: o.id, activeSessions: o.activeSessions, maxConcurrentSessions: o.maxConcurrentSessions, lastAssignedAt: o.lastAssignedAt, departments: o.departments })),
    previousOperators: config.preferPreviousOperator ? await previousOperators(db, customers, transaction) : new Map(),
    lastRoundRobinId: rotation,
    now,
  });
  if (plan.assignments.length === 0) return { considered: head.length, assignments: [] };
  const assignments = await writePlan(step, plan.assignments, sessions, new Map(seats.map((o) => [o.id, o])));
  // Before the commit: the next pass, on any process, reads it under the same operator locks.
  if (plan.lastRoundRobinId !== null && plan.lastRoundRobinId !== rotation) await cache.setRotation(plan.lastRoundRobinId);
  return { considered: head.length, assignments };
}

/** The plan's seats, sessions, assignment history, audit events and "joined" lines, and the news of each. */
async function writePlan(step: CommitStep, plan: PlannedAssignment[], locked: ChatSession[], operators: Map<number, Operator>): Promise<PassAssignment[]> {
  const { db, transaction, now } = step;
  const seats = new Map<number, number>();
  for (const { operatorId } of plan) seats.set(operatorId, (seats.get(operatorId) ?? 0) + 1);
  await step.takeSeats(seats, operators);
  // The rows are locked, so a mismatch is a bug: the transaction rolls back.
  if ((await assignMany(db, plan, now, transaction)) !== plan.length) throw new Error('routing pass: sessions changed under lock');
  await step.hold(plan);
  step.logMany(plan.map((a) => ({ sessionId: a.sessionId, type: 'assigned' as const, operatorId: a.operatorId, detail: { strategy: a.strategy, reason: a.reason } })));
  const lines = await step.lines(plan.map((a) => ({ sessionId: a.sessionId, content: joinedLine(operators.get(a.operatorId)?.name) })));
  // As assignMany left them: the rows are locked, so nothing else changed them (no read back needed).
  const rows = new Map(locked.map((row) => [row.id, row]));
  const assignments = plan.flatMap(({ sessionId, operatorId, strategy, reason }) => {
    const row = rows.get(sessionId);
    // Every planned operator is one of the locked seats, so its name is known.
    return row ? [{ session: assignedView(row, { id: operatorId, name: (operators.get(operatorId) as Operator).name }, now), operatorId, strategy, reason }] : [];
  });
  for (const { session, operatorId, strategy, reason } of assignments) {
    step.emit('session.assigned', { session, operatorId, strategy, reason });
    const line = lines.get(session.id);
    if (line) step.emit('message.created', { message: line, session });
  }
  step.queueChanged();
  return assignments;
}
