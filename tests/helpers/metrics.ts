import request from 'supertest';
import { expectStatus } from './api';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key as string] = value as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** GET /metrics, parsed; `value(name, labels)` adds up the samples of that name carrying those labels (0 when none). */
export async function scrape(url: string, headers: Record<string, string> = {}): Promise<{ text: string; samples: Sample[]; value(name: string, labels?: Record<string, string>): number }> {
  const res = await request(url).get('/metrics').set(headers);
  expectStatus(res, 200);
  const samples = parseMetrics(res.text);
  return {
    text: res.text,
    samples,
    value(name, labels = {}) {
      const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      return found.reduce((sum, s) => sum + s.value, 0);
    },
  };
}
