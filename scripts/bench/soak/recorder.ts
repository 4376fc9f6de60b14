import { percentile } from '../harness';
import type { AckedMessage } from '../storedCheck';

/** A latency series: when each sample was taken (ms since the run began) and how long it took. */
export class Series {
  readonly at: number[] = [];
  readonly ms: number[] = [];

  add(at: number, ms: number): void {
    this.at.push(at);
    this.ms.push(ms);
  }

  /** p99 of the samples taken in [from, to) (ms since the run began); NaN when there are none. */
  p99(from: number, to: number): number {
    const inside: number[] = [];
    for (let i = 0; i < this.at.length; i++) {
      const at = this.at[i] as number;
      if (at >= from && at < to) inside.push(this.ms[i] as number);
    }
    return percentile(inside.sort((a, b) => a - b), 99) ?? Number.NaN;
  }

  count(from: number, to: number): number {
    return this.at.filter((at) => at >= from && at < to).length;
  }
}

/** Everything the soak measures on its clients' side, kept for the whole run. */
export class Recorder {
  readonly startedAt = performance.now();
  /** Message acks (customers' and operators'). */
  readonly messages = new Series();
  /** Session creation + routing (the POST's time). */
  readonly routing = new Series();
  /** Every acknowledged message, by clientMessageId: the database check at the end. */
  readonly acked = new Map<string, AckedMessage>();
  /** What failed, and when. */
  readonly errors: Array<{ at: number; what: string }> = [];
  /** Acked messages a customer's final sync did not return (lost on the way back). */
  missingFromSync = 0;
  customersDone = 0;
  uploads = 0;
  notes = 0;
  transfers = 0;
  polls = 0;

  now(): number {
    return performance.now() - this.startedAt;
  }

  error(what: string): void {
    this.errors.push({ at: this.now(), what });
  }

  errorsBetween(from: number, to: number): number {
    return this.errors.filter((e) => e.at >= from && e.at < to).length;
  }

  /** The kinds of error and how often each happened. */
  errorKinds(): string {
    const kinds = new Map<string, number>();
    for (const { what } of this.errors) kinds.set(what, (kinds.get(what) ?? 0) + 1);
    return [...kinds].map(([what, n]) => `${n}× ${what}`).join('; ');
  }
}
