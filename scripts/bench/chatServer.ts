import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../config';
import { createServer } from '../../src/server';

/**
 * Benchmark child: our server, in its own process (like the bare server), configured only by the environment
 * the benchmark gives it. Tells the parent its port over IPC; stops cleanly when told or when the parent goes.
 */
const server = createServer(loadConfig(process.env));

let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  const deadline = setTimeout(() => process.exit(code), 10_000);
  deadline.unref();
  void server.stop().finally(() => process.exit(code));
}

process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.on('disconnect', () => stop(0));

server.start().then(
  (port) => process.send?.({ type: 'listening', port }),
  (error: unknown) => {
    process.stderr.write(`bench chat server failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    stop(1);
  },
);
// bench:soak asks every minute how this process is doing, without a GC first: the memory as it is, and the
// event loop's delay since the previous ask.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

// The parent asks for this process's CPU time around each run: CPU per request, whatever else loads the machine;
// for its memory (bench:realtime, after a full GC when the child runs with --expose-gc); and for what its retention
// job did (bench:retention).
process.on('message', (message: { type?: string }) => {
  if (message.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
  if (message.type === 'retention') process.send?.({ type: 'retention', usage: server.retention.counts });
  if (message.type === 'vitals') {
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    process.send?.({ type: 'vitals', usage: { rss, heapUsed, heapTotal, external, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, cpu: process.cpuUsage() } });
    loopDelay.reset();
  }
  if (message.type === 'memory') {
    global.gc?.();
    global.gc?.();
    process.send?.({ type: 'memory', usage: process.memoryUsage() });
  }
});
