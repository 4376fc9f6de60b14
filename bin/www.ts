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

async function main(): Promise<void> {
  const config = readConfig();
  const server = createServer(config);
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
    const message = error instanceof Error ? error.message : String(error);
    await server.stop().catch(() => undefined);
    fail([`could not start: ${message}`]);
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

void main();
