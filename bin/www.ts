import 'dotenv/config';
import { ConfigError, loadConfig, type Config } from '../config';
import { createServer, type ChatServer } from '../src/server';

/** Start-up problems are for a person: one line each, no stack trace. */
function fail(lines: string[]): never {
  for (const line of lines) process.stderr.write(`error: ${line}\n`);
  process.exit(1);
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.problems);
    throw error;
  }
}

/** The one line a start-up failure is told in. */
const startFailure = (error: unknown): string => `could not start: ${error instanceof Error ? error.message : String(error)}`;

async function main(): Promise<void> {
  const config = readConfig();
  let server: ChatServer;
  try {
    server = createServer(config);
  } catch (error) {
    // Before anything runs: the SQLite file's folder cannot be made, say.
    fail([startFailure(error)]);
  }
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    server.logger.info({ signal }, 'shutting down');
    const hardDeadline = setTimeout(() => process.exit(1), 10_000);
    hardDeadline.unref();
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        server.logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    await server.start();
  } catch (error) {
    // Stopping what never fully started may not settle (nothing left to wait on, the process would end with 0
    // and no word): it is given a moment, and the failure is told whatever it does.
    await Promise.race([server.stop().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2_000))]);
    fail([startFailure(error)]);
  }
  // Under pm2 (wait_ready), `pm2 reload` stops an old process only once its replacement says it is ready: not
  // before the database and, when configured, Redis answer, or the new process would serve a half deployment.
  if (process.send) {
    await untilDependenciesAnswer(server);
    process.send('ready');
  }
}

async function untilDependenciesAnswer(server: ChatServer): Promise<void> {
  for (;;) {
    const [database, cache] = await Promise.all([server.db.ping().then(() => true, () => false), server.cache.ping()]);
    if (database && (cache !== null || server.cache.kind === 'memory')) return;
    server.logger.warn({ database, cache: cache !== null }, 'waiting for the database and Redis before telling pm2 this process is ready');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

main().catch((error: unknown) => fail([startFailure(error)]));
