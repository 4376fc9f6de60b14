import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpuMs, percentile } from '../harness';

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
  /** CPU per request of our server's process and of the database server's, in ms. */
  serverCpu: number;
  databaseCpu: number | null;
}

/** The database server's CPU time so far, in ms (null where its process cannot be read: another host). */
function databaseCpuMs(): number | null {
  try {
    const pid = execFileSync('pidof', ['mariadbd', 'mysqld'], { encoding: 'utf8' }).trim().split(/\s+/)[0];
    // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

export async function closedLoop(server: ChildProcess, name: string, base: string, token: string, paths: string[], concurrency: number, seconds: number): Promise<Latency> {
  const times: number[] = [];
  const [serverBefore, databaseBefore] = [await cpuMs(server), databaseCpuMs()];
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
  const [serverAfter, databaseAfter] = [await cpuMs(server), databaseCpuMs()];
  times.sort((a, b) => a - b);
  return {
    serverCpu: (serverAfter - serverBefore) / Math.max(times.length, 1),
    databaseCpu: databaseBefore === null || databaseAfter === null ? null : (databaseAfter - databaseBefore) / Math.max(times.length, 1),
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
