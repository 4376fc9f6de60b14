import type mysql from 'mysql2/promise';

/** The routing invariants of PROTOCOL.md, read from a benchmark's database afterwards (each count must be 0). */
export interface Invariants {
  /** Operators holding more sessions than their capacity. */
  overCapacity: number;
  /** Operators whose active_sessions counter differs from the active sessions they hold. */
  counterDrift: number;
  /** Sessions with more than one open assignment (two operators at once). */
  twoHolders: number;
  /** Closed sessions whose assignment was never ended, or active sessions without an operator. */
  inconsistent: number;
}

export async function checkInvariants(db: mysql.Connection): Promise<Invariants> {
  const count = async (sql: string): Promise<number> => {
    const [[row]] = (await db.query(sql)) as unknown as [[{ n: number | string }]];
    return Number(row.n);
  };
  return {
    overCapacity: await count('SELECT COUNT(*) AS n FROM operators WHERE active_sessions > max_concurrent_sessions'),
    counterDrift: await count(
      `SELECT COUNT(*) AS n FROM operators o
         WHERE o.active_sessions <> (SELECT COUNT(*) FROM chat_sessions s WHERE s.operator_id = o.id AND s.status = 'active')`,
    ),
    twoHolders: await count('SELECT COUNT(*) AS n FROM (SELECT session_id FROM session_assignments WHERE ended_at IS NULL GROUP BY session_id HAVING COUNT(*) > 1) d'),
    inconsistent:
      (await count("SELECT COUNT(*) AS n FROM session_assignments a JOIN chat_sessions s ON s.id = a.session_id WHERE a.ended_at IS NULL AND s.status = 'closed'")) +
      (await count("SELECT COUNT(*) AS n FROM chat_sessions WHERE status = 'active' AND operator_id IS NULL")),
  };
}

export const violationsOf = (i: Invariants): number => i.overCapacity + i.counterDrift + i.twoHolders + i.inconsistent;
