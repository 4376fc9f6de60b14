import type { BenchRun } from './harness';

/** The benchmarks' database check of the messages our server acknowledged (bench:realtime, bench:search, bench:soak). */

export interface Verification {
  acked: number;
  rows: number;
  missing: number;
  wrongId: number;
  wrongSession: number;
  duplicates: number;
  storedUnacked: number;
}

/** What an ack said of a message: its id and session. */
export interface AckedMessage {
  id: number;
  sessionId: string;
}

/**
 * Every acknowledged message is in the database exactly once, with the id and session it was acked with. `acked`
 * is by clientMessageId; the run's clientMessageIds all start with `keyPrefix`, and no other message's do.
 */
export async function verifyStored(bench: BenchRun, keyPrefix: string, acked: Map<string, AckedMessage>): Promise<Verification> {
  const db = await bench.connectDatabase();
  try {
    const [rows] = (await db.query('SELECT id, session_id AS sessionId, client_message_id AS clientMessageId FROM chat_messages WHERE client_message_id LIKE ?', [
      `${keyPrefix}%`,
    ])) as unknown as [Array<{ id: number; sessionId: string; clientMessageId: string }>];
    const [[dup]] = (await db.query(
      'SELECT COUNT(*) AS n FROM (SELECT client_message_id FROM chat_messages WHERE client_message_id LIKE ? GROUP BY client_message_id HAVING COUNT(*) > 1) d',
      [`${keyPrefix}%`],
    )) as unknown as [[{ n: number }]];
    const byKey = new Map(rows.map((row) => [row.clientMessageId, row]));
    let missing = 0;
    let wrongId = 0;
    let wrongSession = 0;
    for (const [key, sample] of acked) {
      const row = byKey.get(key);
      if (!row) missing++;
      else if (Number(row.id) !== sample.id) wrongId++;
      else if (row.sessionId !== sample.sessionId) wrongSession++;
    }
    const storedUnacked = rows.filter((row) => !acked.has(row.clientMessageId)).length;
    return { acked: acked.size, rows: rows.length, missing, wrongId, wrongSession, duplicates: Number(dup.n), storedUnacked };
  } finally {
    await db.end();
  }
}
