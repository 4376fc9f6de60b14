import { formatMs, percentile, verdict } from '../harness';
import { RATE, SOCKETS, TARGET_HELD_RATIO, TARGET_KB_PER_CONNECTION, TARGET_STORM_RATIO, TARGET_P99_MS, TARGET_RATIO, TARGET_THROUGHPUT } from './config';
import { kbPer, type HeldResult } from './heldConnections';
import type { RunResult } from './messageRun';
import type { StormResult } from './reconnectStorm';
import type { Verification } from '../storedCheck';
import { keptUp, sustained } from './sustainedSearch';

/** bench:realtime's summary: each scenario's figures against its targets, and whether the run must exit with 1. */

export interface Summary {
  lines: string[];
  failed: boolean;
}

export function connectionsSummary({ ours, bare }: { ours: HeldResult; bare: HeldResult }): Summary {
  const oursKb = kbPer(ours.after.rss - ours.before.rss, ours.connected);
  const bareKb = kbPer(bare.after.rss - bare.before.rss, bare.connected);
  return {
    lines: [
      `held connections: ${ours.connected}/${SOCKETS} connected in ${ours.seconds.toFixed(1)} s (bare ${bare.seconds.toFixed(1)} s, ${(ours.seconds / bare.seconds).toFixed(2)}×)`,
      `RSS per connection: ours ${oursKb.toFixed(1)} KB, bare ${bareKb.toFixed(1)} KB (${(oursKb / Math.max(bareKb, 0.001)).toFixed(2)}×; target ours ≤ ${TARGET_KB_PER_CONNECTION} KB)  ${verdict(oursKb <= TARGET_KB_PER_CONNECTION && ours.connected === SOCKETS)}`,
      `RSS per connection, ours ÷ bare: ${(oursKb / Math.max(bareKb, 0.001)).toFixed(2)}× (target ≤ ${TARGET_HELD_RATIO}×)  ${verdict(oursKb <= bareKb * TARGET_HELD_RATIO && ours.connected === SOCKETS)}`,
    ],
    failed: ours.connected !== SOCKETS || ours.dropped > 0,
  };
}

export function messagesSummary({ ours, bare, verification }: { ours: RunResult[]; bare: RunResult[]; verification: Verification }): Summary {
  const [oursFixed, ...oursMax] = ours;
  const [, ...bareMax] = bare;
  const oursBest = sustained(ours);
  const bareBest = sustained(bare);
  const bareSaturated = bare.some((r) => !keptUp(r));
  const p99Deliver = percentile(oursFixed?.deliver ?? [], 99) ?? Number.POSITIVE_INFINITY;
  const p99Ack = percentile(oursFixed?.ack ?? [], 99) ?? Number.POSITIVE_INFINITY;
  const fixedClean = oursFixed !== undefined && oursFixed.errors.size === 0 && oursFixed.unanswered + oursFixed.undelivered === 0;
  const ratio = oursBest / Math.max(bareBest, 1);
  const completed = (runs: RunResult[]): number => Math.max(0, ...runs.map((r) => r.completedPerSecond));
  const completedRatio = completed(oursMax) / Math.max(completed(bareMax), 1);
  const mismatches = verification.missing + verification.wrongId + verification.wrongSession + verification.duplicates;
  return {
    lines: [
      `sustained stored-and-delivered: ours ${oursBest.toFixed(0)} msg/s (target ≥ ${TARGET_THROUGHPUT})  ${verdict(oursBest >= TARGET_THROUGHPUT)}`,
      `p99 at ${RATE} msg/s: emit→delivered ${formatMs(p99Deliver)} ms, emit→ack ${formatMs(p99Ack)} ms (target ≤ ${TARGET_P99_MS} ms, every message answered)  ${verdict(p99Deliver <= TARGET_P99_MS && p99Ack <= TARGET_P99_MS && fixedClean)}`,
      `throughput vs bare relay: ${oursBest.toFixed(0)} ÷ ${bareBest.toFixed(0)}${bareSaturated ? '' : ' (bare not saturated: its maximum is higher)'} = ${(ratio * 100).toFixed(1)}% (target ≥ ${TARGET_RATIO * 100}%)  ${verdict(ratio >= TARGET_RATIO)}`,
      `processing rate over all runs, backlog included (completed/s, best): ours ${completed(oursMax).toFixed(0)}, bare ${completed(bareMax).toFixed(0)} = ${(completedRatio * 100).toFixed(1)}% (for information)`,
      `server CPU per message at ${RATE} msg/s: ours ${oursFixed?.serverCpuPerMessage.toFixed(3)} ms` +
        (bare[0] ? `, bare ${bare[0].serverCpuPerMessage.toFixed(3)} ms (${((oursFixed?.serverCpuPerMessage ?? 0) / Math.max(bare[0].serverCpuPerMessage, 0.0001)).toFixed(1)}×)` : ' (bare relay not run)'),
      `database check: ${verification.acked} acked, ${verification.rows} rows; missing ${verification.missing}, wrong id ${verification.wrongId}, wrong session ${verification.wrongSession}, duplicated ${verification.duplicates}; ` +
        `stored but never acked ${verification.storedUnacked}  → mismatches ${mismatches}  ${verdict(mismatches === 0)}`,
    ],
    failed: mismatches > 0,
  };
}

/** Issue 20's reconnect storm: ours back and synced within TARGET_STORM_RATIO × the bare relay's time, nothing lost, no refusal while up. */
export function stormSummary(results: StormResult[]): Summary {
  const lines: string[] = [];
  let failed = false;
  for (const mode of ['graceful', 'killed'] as const) {
    const ours = results.find((r) => r.server === 'ours' && r.mode === mode);
    const bare = results.find((r) => r.server !== 'ours' && r.mode === mode);
    if (!ours || !bare) continue;
    const ratio = ours.syncedSeconds / bare.syncedSeconds;
    const refused = [...ours.refusedWhileUp.values()].reduce((a, b) => a + b, 0);
    const ok = ratio <= TARGET_STORM_RATIO && ours.lost === 0 && refused === 0 && ours.notBack === 0 && ours.notSynced === 0;
    lines.push(
      `reconnect storm (${mode === 'graceful' ? 'SIGTERM' : 'SIGKILL'}, ${ours.clients} clients): ours all back and synced in ${ours.syncedSeconds.toFixed(2)} s, bare ${bare.syncedSeconds.toFixed(2)} s = ${ratio.toFixed(2)}× ` +
        `(target ≤ ${TARGET_STORM_RATIO}×); lost ${ours.lost} of ${ours.acked} acked; refused while listening ${refused}; not back ${ours.notBack}, not synced ${ours.notSynced}; ${ours.dbStatements} database statements  ${verdict(ok)}`,
    );
    if (ours.lost > 0) failed = true;
  }
  return { lines, failed };
}
