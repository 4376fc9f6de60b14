import { describeChoice, leastBusy, longestIdle, manual, roundRobin, type Candidate } from '../../services/routing/strategies';

const at = (iso: string | null): Date | null => (iso ? new Date(iso) : null);
const op = (id: number, active: number, max: number, lastAssigned: string | null = null): Candidate => ({
  id,
  activeSessions: active,
  maxConcurrentSessions: max,
  lastAssignedAt: at(lastAssigned),
});
const ids = (list: Candidate[]): number[] => list.map((c) => c.id);

describe('least-busy', () => {
  it('prefers the lowest load relative to capacity, not the lowest count', () => {
    // 2/10 = 20% beats 1/2 = 50% even though 1 < 2.
    expect(ids(leastBusy([op(1, 1, 2), op(2, 2, 10), op(3, 3, 4)], { lastRoundRobinId: null }))).toEqual([2, 1, 3]);
  });

  it('breaks ties by who has been idle longest, then by id', () => {
    const candidates = [
      op(1, 1, 3, '2026-01-01T10:00:00Z'),
      op(2, 1, 3, '2026-01-01T09:00:00Z'),
      op(3, 1, 3, null),
      op(4, 1, 3, null),
    ];
    expect(ids(leastBusy(candidates, { lastRoundRobinId: null }))).toEqual([3, 4, 2, 1]);
  });

  it('does not reorder the input array', () => {
    const candidates = [op(2, 2, 3), op(1, 0, 3)];
    leastBusy(candidates, { lastRoundRobinId: null });
    expect(ids(candidates)).toEqual([2, 1]);
  });
});

describe('longest-idle', () => {
  it('never assigned first, then oldest assignment first, load ignored', () => {
    const candidates = [op(1, 0, 3, '2026-01-01T12:00:00Z'), op(2, 2, 3, '2026-01-01T08:00:00Z'), op(3, 1, 3, null)];
    expect(ids(longestIdle(candidates, { lastRoundRobinId: null }))).toEqual([3, 2, 1]);
  });
});

describe('round-robin', () => {
  const candidates = [op(5, 0, 3), op(2, 0, 3), op(9, 0, 3)];

  it('starts from the lowest id when there is no previous assignment', () => {
    expect(ids(roundRobin(candidates, { lastRoundRobinId: null }))).toEqual([2, 5, 9]);
  });

  it('continues after the operator who got the previous one, wrapping around', () => {
    expect(ids(roundRobin(candidates, { lastRoundRobinId: 2 }))).toEqual([5, 9, 2]);
    expect(ids(roundRobin(candidates, { lastRoundRobinId: 9 }))).toEqual([2, 5, 9]);
  });

  it('skips a previous operator who is no longer a candidate (full or offline)', () => {
    expect(ids(roundRobin(candidates, { lastRoundRobinId: 3 }))).toEqual([5, 9, 2]);
  });
});

describe('manual', () => {
  it('chooses nobody', () => {
    expect(manual([op(1, 0, 3)], { lastRoundRobinId: null })).toEqual([]);
  });
});

describe('recorded reasons', () => {
  it('say why the operator was chosen', () => {
    expect(describeChoice('least-busy', op(1, 1, 3))).toBe('least-busy: 1/3 active');
    expect(describeChoice('longest-idle', op(1, 0, 3))).toBe('longest-idle: last assigned never');
    expect(describeChoice('round-robin', op(1, 0, 3))).toBe('round-robin: next in rotation');
  });
});
