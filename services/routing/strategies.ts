import type { StrategyName } from '../../config';

/** An operator who could take a session now (online, enabled, below capacity, right department). */
export interface Candidate {
  id: number;
  activeSessions: number;
  maxConcurrentSessions: number;
  lastAssignedAt: Date | null;
}

export interface StrategyContext {
  /** Round-robin: the operator who got the previous assignment, shared by every process. */
  lastRoundRobinId: number | null;
}

/** A strategy orders the candidates by preference; the first whose seat can be claimed gets the session. */
export type Strategy = (candidates: readonly Candidate[], context: StrategyContext) => Candidate[];

const idleSince = (c: Candidate): number => (c.lastAssignedAt ? c.lastAssignedAt.getTime() : 0);
const byIdleLongest = (a: Candidate, b: Candidate): number => idleSince(a) - idleSince(b) || a.id - b.id;
const load = (c: Candidate): number => c.activeSessions / Math.max(c.maxConcurrentSessions, 1);

/** Fewest open sessions relative to capacity; ties go to the one idle longest. */
export const leastBusy: Strategy = (candidates) => [...candidates].sort((a, b) => load(a) - load(b) || byIdleLongest(a, b));

/** The operator whose last assignment is oldest (never assigned counts as oldest). */
export const longestIdle: Strategy = (candidates) => [...candidates].sort(byIdleLongest);

/** Stable order by id, starting after the operator who got the previous assignment. */
export const roundRobin: Strategy = (candidates, { lastRoundRobinId }) => {
  const ordered = [...candidates].sort((a, b) => a.id - b.id);
  if (lastRoundRobinId === null) return ordered;
  const next = ordered.findIndex((c) => c.id > lastRoundRobinId);
  return next <= 0 ? ordered : [...ordered.slice(next), ...ordered.slice(0, next)];
};

/** Nothing is assigned automatically; operators take sessions from the queue themselves. */
export const manual: Strategy = () => [];

export const STRATEGY_FUNCTIONS: Record<StrategyName, Strategy> = {
  'least-busy': leastBusy,
  'round-robin': roundRobin,
  'longest-idle': longestIdle,
  manual,
};

/** The reason recorded with an assignment, e.g. `least-busy: 1/3 active`. */
export function describeChoice(strategy: StrategyName, chosen: Candidate): string {
  switch (strategy) {
    case 'least-busy':
      return `least-busy: ${chosen.activeSessions}/${chosen.maxConcurrentSessions} active`;
    case 'longest-idle':
      return `longest-idle: last assigned ${chosen.lastAssignedAt ? chosen.lastAssignedAt.toISOString() : 'never'}`;
    case 'round-robin':
      return 'round-robin: next in rotation';
    case 'manual':
      return 'manual';
  }
}
