import type { StrategyName } from '../../config';
import { STRATEGY_FUNCTIONS, describeChoice, type Candidate } from './strategies';

/** A waiting session, as a routing pass reads it: from the head of the queue, or the one session routed on demand. */
export interface QueuedSession {
  id: string;
  department: string | null;
  customerId: string | null;
  /** The operator it was taken from (no reply in time, gone): never handed straight back to them. */
  requeuedFrom: number | null;
}

/** An operator with a free seat, as the routing pass read (and locked) it. */
export interface Seat extends Candidate {
  departments: string[];
}

export interface PlannedAssignment {
  sessionId: string;
  operatorId: number;
  /** The strategy recorded with the assignment: the pass's (configured, or named for one session), or `previous-operator`. */
  strategy: string;
  reason: string;
}

export interface PlanInput {
  strategy: StrategyName;
  /** Queue order (FIFO). */
  sessions: readonly QueuedSession[];
  seats: readonly Seat[];
  /** A returning customer's previous operator, by customerId (empty when PREFER_PREVIOUS_OPERATOR is off). */
  previousOperators: ReadonlyMap<string, number>;
  lastRoundRobinId: number | null;
  now: Date;
}

export interface Plan {
  assignments: PlannedAssignment[];
  /** The rotation after this plan: the operator given the last round-robin assignment. */
  lastRoundRobinId: number | null;
}

/** Marks that a session able to take any seat found none: no later session may take one either. */
const ANY_SEAT = '\u0000any';

/**
 * Decides, in queue order, which operator each waiting session goes to, as if the sessions had been routed
 * one after another: each choice sees the loads left by the ones before it. A session that finds no free seat
 * blocks the later ones competing for the same seats (any seat without a department, that department's
 * otherwise), so a later session never jumps an earlier eligible one; one whose only free seat is its previous
 * holder's (requeued from them) blocks nobody. Pure: the caller holds the locks.
 */
export function planAssignments(input: PlanInput): Plan {
  const seats = input.seats.map((seat) => ({ ...seat }));
  const assignments: PlannedAssignment[] = [];
  const blocked = new Set<string>();
  let lastRoundRobinId = input.lastRoundRobinId;
  if (input.strategy === 'manual') return { assignments, lastRoundRobinId };

  for (const session of input.sessions) {
    if (blocked.has(ANY_SEAT) || (session.department && blocked.has(session.department))) continue;
    const open = seats.filter((seat) => seat.activeSessions < seat.maxConcurrentSessions && (!session.department || seat.departments.includes(session.department)));
    if (open.length === 0) {
      blocked.add(session.department ?? ANY_SEAT);
      continue;
    }
    // The one seat it may not take (the operator it was taken from) is still there for the sessions behind it.
    const candidates = open.filter((seat) => seat.id !== session.requeuedFrom);
    if (candidates.length === 0) continue;
    const previousId = session.customerId ? input.previousOperators.get(session.customerId) : undefined;
    const previous = candidates.find((seat) => seat.id === previousId);
    const chosen = previous ?? (STRATEGY_FUNCTIONS[input.strategy](candidates, { lastRoundRobinId })[0] as Seat);
    assignments.push({
      sessionId: session.id,
      operatorId: chosen.id,
      strategy: previous ? 'previous-operator' : input.strategy,
      reason: previous ? 'previous operator' : describeChoice(input.strategy, chosen),
    });
    if (!previous && input.strategy === 'round-robin') lastRoundRobinId = chosen.id;
    chosen.activeSessions += 1;
    chosen.lastAssignedAt = input.now;
  }
  return { assignments, lastRoundRobinId };
}
