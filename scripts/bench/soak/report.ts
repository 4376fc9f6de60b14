import { formatMs, table, verdict } from '../harness';
import { violationsOf, type Invariants } from '../invariants';
import type { Verification } from '../storedCheck';
import type { Recorder } from './recorder';

/** bench:soak's figures: a line a minute while it runs, then the targets of issue 20 against what was measured. */

export interface Minute {
  minute: number;
  processes: Array<{ rss: number; heapUsed: number; heapTotal: number; external: number; loopDelayP99Ms: number; cpuShare: number }>;
  messages: number;
  messageP99: number;
  routingP99: number;
  errors: number;
  load: string;
}

export interface Fault {
  name: string;
  atMinute: number;
  run: () => Promise<void>;
  /** When it happened (ms since the run began). */
  at?: number;
}

export interface Outcome {
  minutes: Minute[];
  warmupMinutes: number;
  faults: Fault[];
  recorder: Recorder;
  refused: Map<string, number>;
  stored: Verification;
  invariants: Invariants;
  unfinished: number;
  minuteMs: number;
}

const RSS_GROWTH_MAX = 0.05;
const P99_DRIFT_MAX = 0.2;
const RECOVERY_SECONDS_MAX = 10;
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const median = (values: number[]): number => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
};
const percent = (ratio: number): string => `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)} %`;

let headerShown = false;

function minute(row: Minute): void {
  const perProcess = row.processes.map((p, i) => `P${i + 1} ${mb(p.rss)}/${mb(p.heapUsed)}/${mb(p.heapTotal)}/${mb(p.external)} MB loop ${formatMs(p.loopDelayP99Ms)} ms cpu ${(p.cpuShare * 100).toFixed(0)}%`).join(' | ');
  if (!headerShown) {
    console.log('minute  messages  msg p99  route p99  errors  per process: RSS/heap used/heap held/external, event-loop delay p99, CPU  (load average)');
    headerShown = true;
  }
  console.log(
    `${String(row.minute).padStart(6)}  ${String(row.messages).padStart(8)}  ${formatMs(row.messageP99).padStart(7)}  ${formatMs(row.routingP99).padStart(9)}  ${String(row.errors).padStart(6)}  ${perProcess}  (${row.load})`,
  );
}

/** The minutes after the warm-up that no fault touched (the fault's minute and the next), split in two halves. */
function steadyHalves(outcome: Outcome): [Minute[], Minute[]] {
  const faulted = new Set(outcome.faults.flatMap((f) => (f.at === undefined ? [] : [Math.floor(f.at / outcome.minuteMs) + 1, Math.floor(f.at / outcome.minuteMs) + 2])));
  const steady = outcome.minutes.filter((m) => m.minute > outcome.warmupMinutes && !faulted.has(m.minute));
  const half = Math.ceil(steady.length / 2);
  return [steady.slice(0, half), steady.slice(half)];
}

/**
 * After a fault: the message p99 of the minute before it, and how many seconds until a 5-second window's p99 is
 * back within 20 % of it (or 5 ms: a p99 of a few milliseconds moves by that on its own).
 */
function recovery(outcome: Outcome, fault: Fault): { baseline: number; seconds: number; worst: number; errors: number } {
  const at = fault.at ?? 0;
  const { messages } = outcome.recorder;
  const baseline = messages.p99(at - 60_000, at);
  const normal = Math.max(baseline * 1.2, baseline + 5);
  let seconds = Number.NaN;
  for (let s = 0; s <= 60; s++) {
    if (messages.p99(at + s * 1000, at + s * 1000 + 5000) <= normal) {
      seconds = s;
      break;
    }
  }
  let worst = 0;
  for (let s = 0; s < 30; s++) worst = Math.max(worst, messages.p99(at + s * 1000, at + (s + 1) * 1000) || 0);
  return { baseline, seconds, worst, errors: outcome.recorder.errorsBetween(at, at + 10_000) };
}

function final(outcome: Outcome): number {
  const { minutes, recorder, stored, invariants } = outcome;
  const rows: string[][] = [];
  const add = (what: string, target: string, figure: string, ok: boolean): void => void rows.push([what, target, figure, verdict(ok)]);

  const from = minutes.find((m) => m.minute === Math.max(1, outcome.warmupMinutes)) ?? minutes[0];
  const last = minutes[minutes.length - 1];
  if (from && last) {
    last.processes.forEach((p, i) => {
      const growth = p.rss / (from.processes[i]?.rss ?? p.rss) - 1;
      add(`process ${i + 1}: RSS, minute ${from.minute} → ${last.minute}`, `≤ ${percent(RSS_GROWTH_MAX)}`, `${mb(from.processes[i]?.rss ?? 0)} → ${mb(p.rss)} MB (${percent(growth)})`, growth <= RSS_GROWTH_MAX);
    });
  }
  const [early, late] = steadyHalves(outcome);
  for (const [label, pick] of [
    ['message ack p99', (m: Minute) => m.messageP99],
    ['create + route p99', (m: Minute) => m.routingP99],
  ] as const) {
    const before = median(early.map(pick));
    const after = median(late.map(pick));
    const drift = after / before - 1;
    add(`${label}, median minute: first half → second half of the steady minutes`, `within ±${(P99_DRIFT_MAX * 100).toFixed(0)} %`, `${formatMs(before)} → ${formatMs(after)} ms (${percent(drift)})`, Math.abs(drift) <= P99_DRIFT_MAX);
  }
  add('errors', '0', recorder.errors.length === 0 ? '0' : `${recorder.errors.length}: ${recorder.errorKinds()}`, recorder.errors.length === 0);
  const lost = stored.missing + stored.wrongId + stored.wrongSession + recorder.missingFromSync;
  add('messages lost (acked but not stored, or not in the customer’s read-back)', '0', `${lost} of ${stored.acked} acked`, lost === 0);
  add('messages stored twice', '0', String(stored.duplicates), stored.duplicates === 0);
  const violations = violationsOf(invariants);
  add(
    'database check (capacity, counters, one holder, closed = released)',
    '0',
    `${violations} (over capacity ${invariants.overCapacity}, counter drift ${invariants.counterDrift}, two holders ${invariants.twoHolders}, inconsistent ${invariants.inconsistent})`,
    violations === 0,
  );
  for (const fault of outcome.faults) {
    if (fault.at === undefined) continue;
    const r = recovery(outcome, fault);
    add(
      `${fault.name} at ${(fault.at / 1000).toFixed(0)} s: message p99 back to normal`,
      `≤ ${RECOVERY_SECONDS_MAX} s`,
      `${Number.isNaN(r.seconds) ? 'not within 60 s' : `${r.seconds} s`} (p99 before ${formatMs(r.baseline)} ms, worst second ${formatMs(r.worst)} ms, ${r.errors} errors in the 10 s after)`,
      r.seconds <= RECOVERY_SECONDS_MAX,
    );
  }
  console.log('');
  console.log(
    `customers served: ${recorder.customersDone} (${outcome.unfinished} still chatting at the end); messages acked: ${stored.acked} (notes ${recorder.notes}, uploads ${recorder.uploads}); transfers ${recorder.transfers}; console polls ${recorder.polls}`,
  );
  const refused = [...outcome.refused].map(([what, n]) => `${n}× ${what}`).join('; ');
  console.log(`refused by an honest race (not errors): ${refused || 'none'}`);
  console.log('');
  console.log(table(['target', 'wanted', 'measured', ''], rows, 1));
  return lost + stored.duplicates + violations === 0 ? 0 : 1;
}

export const report = { minute, final };
