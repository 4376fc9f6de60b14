import { formatMs, percentile } from '../harness';
import { DURATION, MAX_RATE, MAX_STEPS, RATE, SUSTAIN_ACK_P99_MS, WARMUP } from './config';
import { runAtRate, type Rig, type RunResult, type Sample } from './messageRun';
import { describeFailures } from './sockets';

/** bench:realtime scenario 2's runs on one server: the fixed rate, then the search for the sustained maximum. */

/** Whether the server kept up with a run's offer (see the search in the header of scripts/bench/realtime.ts). */
export function keptUp(run: RunResult): boolean {
  const ackP99 = percentile(run.ack, 99) ?? Number.POSITIVE_INFINITY;
  return run.errors.size === 0 && run.unanswered + run.undelivered === 0 && run.deliveredPerSecond >= 0.95 * run.offered && ackP99 <= SUSTAIN_ACK_P99_MS;
}

/** The highest offer kept up with among the runs, as delivered per second (0: none). */
export const sustained = (runs: RunResult[]): number => Math.max(0, ...runs.filter(keptUp).map((r) => r.deliveredPerSecond));

/** Warm-up, the fixed rate, then the search for the highest rate kept up with. */
export async function exercise(rig: Rig, keep: Map<string, Sample> | null): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const run = async (offered: number, label: string): Promise<RunResult> => {
    const result = await runAtRate(rig, label, offered, DURATION, keep);
    results.push(result);
    console.log(
      `  ${rig.server} ${result.label}: ${result.deliveredPerSecond.toFixed(0)} delivered/s, deliver p99 ${formatMs(percentile(result.deliver, 99))} ms, ack p99 ${formatMs(percentile(result.ack, 99))} ms` +
        (result.errors.size > 0 ? `, ack errors ${describeFailures(result.errors)}` : '') +
        (keptUp(result) ? '' : ' (not kept up)'),
    );
    return result;
  };
  if (WARMUP > 0) await runAtRate(rig, 'warm-up', RATE, WARMUP, keep);
  let best = keptUp(await run(RATE, `${RATE}/s`)) ? RATE : 0;
  let missed = best === 0 ? RATE : Number.POSITIVE_INFINITY;
  for (let step = 0; step < MAX_STEPS; step++) {
    const offered = Math.round(Number.isFinite(missed) ? (best + missed) / 2 : best * 1.5);
    // Within 5 % of the answer, or past the cap: another run would not tell more.
    if (offered > MAX_RATE || (Number.isFinite(missed) && missed - best <= 0.05 * missed)) break;
    if (keptUp(await run(offered, `${offered}/s offered`))) best = offered;
    else missed = offered;
  }
  return results;
}
