import http from 'node:http';
import type autocannon from 'autocannon';
import { formatMs, openLoop, percentile, table } from '../harness';

/** bench:http's measuring: what one run measured, the paced load generator beside autocannon, and the table. */

/** What one run measured, whichever load generator made it. */
export interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Status code → count, for the failure report. */
  codes: Record<string, number>;
}

export interface Row {
  name: string;
  mode: string;
  ours: boolean;
  figures: Figures;
  /** Server CPU time per answered request, ms. */
  cpuPerRequest: number;
}

export const fromAutocannon = (r: autocannon.Result): Figures => ({
  requestsPerSecond: r.requests.average,
  p50: r.latency.p50,
  p99: r.latency.p99,
  max: r.latency.max,
  ok: r['2xx'],
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
  codes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, stats]) => [code, stats?.count ?? 0])),
});

/**
 * POSTs at a steady rate, open loop (harness openLoop), over up to `connections` keep-alive connections. Latency
 * runs from the moment each request was due, so a request that waited for a free connection counts its wait.
 * autocannon's own rate limit cannot do this: each connection sends its share of the second back to back and
 * then pauses until the next second, so "500 req/s" arrives as one burst of 500 at the start of every second.
 */
export async function pacedPosts(
  url: string,
  headers: Record<string, string>,
  body: () => string,
  rate: number,
  seconds: number,
  connections: number,
): Promise<Figures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let errors = 0;
  const answers: Array<Promise<void>> = [];
  const started = performance.now();
  await openLoop(rate, seconds, (_index, scheduledAt) => {
    answers.push(
      new Promise((resolve) => {
        const request = http.request(url, { method: 'POST', agent, headers }, (response) => {
          response.resume();
          response.on('error', () => {
            errors++;
            resolve();
          });
          response.on('end', () => {
            latencies.push(performance.now() - scheduledAt);
            const code = String(response.statusCode);
            codes[code] = (codes[code] ?? 0) + 1;
            resolve();
          });
        });
        request.on('error', () => {
          errors++;
          resolve();
        });
        request.end(body());
      }),
    );
  });
  await Promise.all(answers);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((x, y) => x - y);
  const ok = Object.entries(codes).reduce((sum, [code, count]) => (code.startsWith('2') ? sum + count : sum), 0);
  return {
    requestsPerSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50) ?? Number.NaN,
    p99: percentile(latencies, 99) ?? Number.NaN,
    max: latencies[latencies.length - 1] ?? Number.NaN,
    ok,
    non2xx: latencies.length - ok,
    errors,
    codes,
  };
}

export const failures = (f: Figures): number => f.non2xx + f.errors;

export function rowTable(rows: Row[]): string {
  const header = ['endpoint', 'load', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'server CPU ms/req', '2xx', 'non-2xx', 'errors'];
  const lines = rows.map(({ name, mode, figures: f, cpuPerRequest }) => [
    name,
    mode,
    f.requestsPerSecond.toFixed(0),
    formatMs(f.p50),
    formatMs(f.p99),
    formatMs(f.max),
    cpuPerRequest.toFixed(3),
    String(f.ok),
    String(f.non2xx),
    String(f.errors),
  ]);
  return table(header, lines, 2);
}
