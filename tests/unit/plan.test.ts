import type { StrategyName } from '../../config';
import { planAssignments, type QueuedSession, type Seat } from '../../services/routing/plan';

const now = new Date('2026-11-25T12:00:00Z');
const seat = (id: number, active: number, max: number, departments: string[] = [], lastAssigned: string | null = null): Seat => ({
  id,
  activeSessions: active,
  maxConcurrentSessions: max,
  lastAssignedAt: lastAssigned ? new Date(lastAssigned) : null,
  departments,
});
const waiting = (id: string, extra: Partial<QueuedSession> = {}): QueuedSession => ({ id, department: null, customerId: null, requeuedFrom: null, ...extra });

function plan(sessions: QueuedSession[], seats: Seat[], strategy: StrategyName = 'least-busy', options: { previous?: Map<string, number>; rotation?: number | null } = {}) {
  return planAssignments({ strategy, sessions, seats, previousOperators: options.previous ?? new Map(), lastRoundRobinId: options.rotation ?? null, now });
}
const pairs = (result: ReturnType<typeof plan>): Array<[string, number]> => result.assignments.map((a) => [a.sessionId, a.operatorId]);

describe('a routing pass plan', () => {
  it('fills free seats in queue order and never beyond capacity', () => {
    const result = plan([waiting('s1'), waiting('s2'), waiting('s3'), waiting('s4')], [seat(1, 1, 2), seat(2, 0, 1)]);
    // s1 and s2 take the two free seats, least loaded first; s3 and s4 find none.
    expect(pairs(result)).toEqual([
      ['s1', 2],
      ['s2', 1],
    ]);
  });

  it('sees the load left by the earlier choices: least-busy spreads a burst over everyone', () => {
    const result = plan(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => waiting(id)), [seat(1, 0, 3), seat(2, 0, 3), seat(3, 0, 3)]);
    const perOperator = new Map<number, number>();
    for (const [, operator] of pairs(result)) perOperator.set(operator, (perOperator.get(operator) ?? 0) + 1);
    expect([...perOperator.values()]).toEqual([2, 2, 2]);
  });

  it('records the reason with the load the operator had when chosen', () => {
    const [first, second] = plan([waiting('s1'), waiting('s2')], [seat(1, 1, 3)]).assignments;
    expect(first?.reason).toBe('least-busy: 1/3 active');
    expect(second?.reason).toBe('least-busy: 2/3 active');
  });

  it('sends a department session only to operators of that department, and lets it wait without blocking others', () => {
    const result = plan([waiting('billing', { department: 'billing' }), waiting('any')], [seat(1, 0, 1, ['sales'])]);
    expect(pairs(result)).toEqual([['any', 1]]);
  });

  it('never lets a later session jump an earlier one that could use the same seat', () => {
    // s1 (sales) finds no seat; s2 (sales) must not get one either, while s3 (support) still may.
    const result = plan(
      [waiting('s1', { department: 'sales' }), waiting('s2', { department: 'sales' }), waiting('s3', { department: 'support' })],
      [seat(1, 0, 1, ['support'])],
    );
    expect(pairs(result)).toEqual([['s3', 1]]);
    // Without a department, a session that finds no seat blocks everyone behind it.
    expect(pairs(plan([waiting('x'), waiting('y', { department: 'sales' })], [seat(1, 1, 1, ['sales'])]))).toEqual([]);
  });

  it('never hands a requeued session straight back to the operator it was taken from', () => {
    const result = plan([waiting('s1', { requeuedFrom: 1 })], [seat(1, 0, 3), seat(2, 2, 3)]);
    expect(pairs(result)).toEqual([['s1', 2]]);
    expect(plan([waiting('s1', { requeuedFrom: 1 })], [seat(1, 0, 3)]).assignments).toEqual([]);
    // It waits for someone else without holding back the sessions behind it, which that operator may take.
    expect(pairs(plan([waiting('s1', { requeuedFrom: 1 }), waiting('s2'), waiting('s3', { department: 'sales' })], [seat(1, 0, 3, ['sales'])]))).toEqual([
      ['s2', 1],
      ['s3', 1],
    ]);
  });

  it('returns a customer to their previous operator when that one has a seat', () => {
    const previous = new Map([['cust-7', 2]]);
    const [assignment] = plan([waiting('s1', { customerId: 'cust-7' })], [seat(1, 0, 3), seat(2, 2, 3)], 'least-busy', { previous }).assignments;
    expect(assignment).toMatchObject({ operatorId: 2, strategy: 'previous-operator', reason: 'previous operator' });
    // Full previous operator: the strategy decides.
    const [fallback] = plan([waiting('s1', { customerId: 'cust-7' })], [seat(1, 0, 3), seat(2, 3, 3)], 'least-busy', { previous }).assignments;
    expect(fallback).toMatchObject({ operatorId: 1, strategy: 'least-busy' });
  });

  it('moves the round-robin rotation on with each choice and reports where it stopped', () => {
    const result = plan([waiting('a'), waiting('b'), waiting('c')], [seat(1, 0, 5), seat(2, 0, 5), seat(3, 0, 5)], 'round-robin', { rotation: 1 });
    expect(pairs(result)).toEqual([
      ['a', 2],
      ['b', 3],
      ['c', 1],
    ]);
    expect(result.lastRoundRobinId).toBe(1);
  });

  it('longest-idle: the operator assigned longest ago (never counts as oldest), with when in the reason', () => {
    const seats = [seat(1, 0, 3, [], '2026-11-25T11:00:00Z'), seat(2, 2, 3, [], '2026-11-25T10:00:00Z'), seat(3, 0, 3, [], '2026-11-25T11:30:00Z')];
    const [first, second] = plan([waiting('s1'), waiting('s2')], seats, 'longest-idle').assignments;
    expect(first).toMatchObject({ operatorId: 2, strategy: 'longest-idle', reason: 'longest-idle: last assigned 2026-11-25T10:00:00.000Z' });
    // s1's choice counts as an assignment now: operator 1 has waited longest after it.
    expect(second).toMatchObject({ operatorId: 1, reason: 'longest-idle: last assigned 2026-11-25T11:00:00.000Z' });
    const [never] = plan([waiting('s1')], [seat(1, 0, 3, [], '2026-11-25T11:00:00Z'), seat(2, 0, 3)], 'longest-idle').assignments;
    expect(never).toMatchObject({ operatorId: 2, reason: 'longest-idle: last assigned never' });
  });

  it('assigns nothing under manual', () => {
    expect(plan([waiting('s1')], [seat(1, 0, 3)], 'manual').assignments).toEqual([]);
  });

  it('leaves its input untouched', () => {
    const seats = [seat(1, 0, 3)];
    plan([waiting('s1')], seats);
    expect(seats[0]?.activeSessions).toBe(0);
    expect(seats[0]?.lastAssignedAt).toBeNull();
  });
});
