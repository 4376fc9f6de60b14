import type http from 'node:http';
import type { Logger } from 'pino';

/** One step of a graceful stop: what it is called in the log, what it does, and how long it may take. */
export interface ShutdownStep {
  name: string;
  run: () => unknown;
  deadlineMs: number;
}

/**
 * Runs the steps in order, each to its end or its deadline, whichever comes first; a step that fails or runs
 * out of time is logged and the next one runs all the same (a Redis that hangs must not keep the database open,
 * nor the process alive). Resolves with the names of the steps that did not finish cleanly.
 */
export async function runShutdown(steps: readonly ShutdownStep[], logger: Logger): Promise<string[]> {
  const unclean: string[] = [];
  for (const step of steps) {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), step.deadlineMs);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(step.run), deadline]);
      if (outcome === 'timeout') {
        unclean.push(step.name);
        logger.warn({ step: step.name, deadlineMs: step.deadlineMs }, 'shutdown step ran out of time; going on');
      }
    } catch (error) {
      unclean.push(step.name);
      logger.error({ err: error, step: step.name }, 'shutdown step failed; going on');
    } finally {
      clearTimeout(timer);
    }
  }
  return unclean;
}

const stopping = new WeakMap<http.Server, Promise<void>>();

/**
 * Stops accepting connections (once, however often asked); resolves when every connection has ended. A client
 * reconnecting to a process that is stopping is refused at once and goes elsewhere (or comes back to the restarted
 * process) instead of waiting on a listener nobody serves any more.
 */
export function stopAccepting(server: http.Server): Promise<void> {
  const closing = stopping.get(server) ?? new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  stopping.set(server, closing);
  return closing;
}

/** Stops accepting connections, lets in-flight requests finish, then cuts whatever is left at the deadline. */
export async function drainHttp(server: http.Server, timeoutMs: number): Promise<void> {
  const closed = stopAccepting(server);
  // Keep-alive connections turn idle as their last request is answered; close each as soon as it does.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
  await closed;
  clearInterval(sweep);
  clearTimeout(deadline);
}
