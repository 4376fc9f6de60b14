import { percentile } from '../harness';

/** bench:search's load: `concurrency` clients, each asking again as soon as it is answered (a closed loop). */

export interface Latency {
  name: string;
  requests: number;
  perSecond: number;
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
  failures: number;
  /** Results on a first page, on average (a search that finds nothing would be fast for nothing). */
  averageResults: number;
}

export async function closedLoop(name: string, base: string, token: string, paths: string[], concurrency: number, seconds: number): Promise<Latency> {
  const times: number[] = [];
  let failures = 0;
  let results = 0;
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const path = paths[next++ % paths.length] as string;
        const started = performance.now();
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { data?: unknown };
        times.push(performance.now() - started);
        if (!res.ok) failures += 1;
        else results += Array.isArray(body.data) ? body.data.length : 1;
      }
    }),
  );
  times.sort((a, b) => a - b);
  return {
    name,
    requests: times.length,
    perSecond: times.length / seconds,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: times[times.length - 1],
    failures,
    averageResults: times.length > 0 ? results / (times.length - failures || 1) : 0,
  };
}
