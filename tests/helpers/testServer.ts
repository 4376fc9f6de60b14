import { loadConfig, type Config } from '../../config';
import { createServer, type ChatServer } from '../../src/server';
import { createLogger } from '../../src/observability/logger';
import type { Backend, ProvisionedBackend } from './backends';

export interface TestServer {
  server: ChatServer;
  config: Config;
  url: string;
  port: number;
  /** Stops the server and disposes of its database. */
  close(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  /** Reuse an already provisioned database (a second process of the same deployment). */
  provisioned?: ProvisionedBackend;
}

/** Starts a real server on a free port over a fresh database of the given backend. */
export async function startTestServer(backend: Backend, options: TestServerOptions = {}): Promise<TestServer> {
  const provisioned = options.provisioned ?? (await backend.provision());
  const ownsDatabase = options.provisioned === undefined;
  const config = loadConfig({
    PORT: '0',
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-signing',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
    RATE_LIMIT_LOGINS_PER_MINUTE: '0',
    LOGIN_LOCKOUT_FAILURES: '0',
    RATE_LIMIT_MESSAGES_PER_10_SECONDS: '0',
    ...provisioned.env,
    ...options.env,
  });
  const server = createServer(config, { logger: createLogger(config.logLevel, { pretty: false }), drainTimeoutMs: 2_000 });
  const port = await server.start();
  return {
    server,
    config,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await server.stop();
      if (ownsDatabase) await provisioned.dispose();
    },
  };
}
