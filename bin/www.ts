import 'dotenv/config';
import { ConfigError, loadConfig, type Config } from '../config';
import { createServer } from '../src/server';

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
}

void main();
