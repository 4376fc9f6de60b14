import { QueryTypes } from 'sequelize';
import type { Db } from '../db';

/**
 * Job leases (migration 011): a periodic job that must run in one process at a time. A process takes the lease
 * when nobody holds it or the holder's time ran out, and keeps it by taking it again before it does; the
 * conditional UPDATE is the decision, so two processes never both get it.
 */
/** The jobs that hold leases: each has its row from migration 011 on. */
export type LeasedJob = 'retention';

export async function takeLease(db: Db, name: LeasedJob, holder: string, now: Date, until: Date): Promise<boolean> {
  await db.sequelize.query('UPDATE job_leases SET holder = ?, held_until = ? WHERE name = ? AND (held_until < ? OR holder = ?)', {
    replacements: [holder, until, name, now, holder],
  });
  // Read back rather than counted: MySQL counts a row whose values did not change (a renewal within the same
  // stored instant) as not affected. The UPDATE decided; whoever it left holding the lease holds it.
  const [row] = await db.sequelize.query<{ holder: string | null }>('SELECT holder FROM job_leases WHERE name = ?', { replacements: [name], type: QueryTypes.SELECT });
  return row?.holder === holder;
}

/** Gives the lease back, if this process still holds it. */
export async function releaseLease(db: Db, name: LeasedJob, holder: string): Promise<void> {
  await db.sequelize.query('UPDATE job_leases SET held_until = ? WHERE name = ? AND holder = ?', { replacements: [new Date(0), name, holder] });
}
