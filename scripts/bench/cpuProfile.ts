import fs from 'node:fs';

/** The parts of a V8 `.cpuprofile` (node --cpu-prof) this summary reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a function lives: a package under node_modules, Node's own code, V8's pseudo-frames, or the project. */
function area(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1] ?? url;
  const project = /\/dist\/([^/]+)\//.exec(url);
  return project ? `project: ${project[1]}/` : url;
}

const frameName = (frame: CpuProfile['nodes'][number]['callFrame']): string => {
  const file = frame.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, '');
  return `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
};

/**
 * Self time by area (package / project folder / GC / idle) and the top functions by self time, as text.
 * Busy = everything but (idle); shares are of the busy time.
 */
export function summarizeProfile(file: string, top = 20): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const where = area(node.callFrame.url, node.callFrame.functionName);
    if (where === '(idle)') {
      idle += us;
      continue;
    }
    areas.set(where, (areas.get(where) ?? 0) + us);
    const name = frameName(node.callFrame);
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const busy = total - idle;

  // Inclusive time of the project's own functions: each sample counts once for every distinct one on its stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (!node || !/\/dist\//.test(node.callFrame.url) || node.callFrame.url.includes('node_modules')) continue;
      seen.add(frameName(node.callFrame));
    }
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });

  const pct = (us: number): string => `${((us / Math.max(busy, 1)) * 100).toFixed(1).padStart(5)}%`;
  const msText = (us: number): string => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const lines = [
    `profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle`,
    'self time by area (share of busy time):',
    ...[...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 16)
      .map(([name, us]) => `  ${pct(us)} ${msText(us)}  ${name}`),
    `top ${top} functions by self time:`,
    ...[...functions.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `  ${pct(us)} ${msText(us)}  ${name}`),
    `top ${top} project functions by inclusive time (self + callees):`,
    ...[...inclusive.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `  ${pct(us)} ${msText(us)}  ${name}`),
  ];
  return lines.join('\n');
}
