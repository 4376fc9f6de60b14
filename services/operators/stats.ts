import type { Db } from '../../models/db';
import { firstResponseTimes } from '../../models/queries/assignments';
import { averageRatings, closedSince, countActive, countWaiting, recentWaits } from '../../models/queries/sessions';
import type { OperatorStats } from '../contract';

/** How many recent assignments (and assignments of the day) the averages are taken over. */
const SAMPLE = 5000;

const round1 = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10);
const average = (values: number[] | undefined): number | null => (values && values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : null);

/**
 * GET /api/operators/stats. The first response is per assignment (PROTOCOL.md invariant 6): each operator's is
 * measured from when they got the session to their own first message in it, so a transfer leaves the previous
 * operator's figure where it was and never makes one negative.
 */
export async function operatorStats(db: Db): Promise<OperatorStats> {
  const startOfDay = new Date();
  startOfDay.setUTCHours(0, 0, 0, 0);
  const [operators, closedToday, responses, ratings, waiting, active, waits] = await Promise.all([
    db.models.Operator.findAll({ attributes: ['id', 'name', 'status', 'activeSessions'], order: [['id', 'ASC']] }),
    closedSince(db, startOfDay),
    firstResponseTimes(db, SAMPLE),
    averageRatings(db),
    countWaiting(db),
    countActive(db),
    recentWaits(db, startOfDay, SAMPLE),
  ]);
  return {
    operators: operators.map((o) => ({
      operatorId: o.id,
      name: o.name,
      status: o.status,
      activeSessions: o.activeSessions,
      closedToday: closedToday.get(o.id) ?? 0,
      avgFirstResponseSeconds: round1(average(responses.get(o.id))),
      avgRating: round1(ratings.get(o.id) ?? null),
    })),
    overall: { waiting, active, avgWaitSeconds: round1(average(waits)) },
  };
}
