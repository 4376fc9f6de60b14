import fs from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { loadConfig, type Config } from '../../config';

/** .env.example documents every variable the server reads, with the real defaults and no secret. */

const ENV_EXAMPLE = path.join(__dirname, '..', '..', '.env.example');

describe('.env.example', () => {
  const text = fs.readFileSync(ENV_EXAMPLE, 'utf8');
  /** The commented `NAME=value` lines: the documented defaults. */
  const documented = parseDotenv(
    text
      .split('\n')
      .filter((line) => /^# [A-Z][A-Z0-9_]*=/.test(line))
      .map((line) => line.slice(2))
      .join('\n'),
  );

  /** Every variable name loadConfig looks up, recorded through a proxy over an empty environment. */
  function variablesRead(): Set<string> {
    const read = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get(_target, name) {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    });
    loadConfig(env);
    // Conditional reads (MySQL and Redis settings) happen only once their switch is on.
    loadConfig(
      new Proxy({ DB_HOST: 'h', DB_NAME: 'n', DB_USER: 'u', REDIS_HOST: 'r' } as Record<string, string | undefined>, {
        get(target, name) {
          if (typeof name === 'string') read.add(name);
          return typeof name === 'string' ? target[name] : undefined;
        },
      }),
    );
    return read;
  }

  it('documents every variable the server reads, and PM2_INSTANCES', () => {
    const missing = [...variablesRead(), 'PM2_INSTANCES'].filter((name) => !(name in documented));
    expect(missing).toEqual([]);
  });

  it('documents every variable of PROTOCOL.md, each with a comment line above it', () => {
    const protocolVariables = [
      'PORT', 'DB_DIALECT', 'DB_STORAGE', 'DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'DB_MIGRATE_ON_START',
      'REDIS_URL', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_DB', 'JWT_SECRET', 'ADMIN_EMAIL', 'ADMIN_PASSWORD',
      'ASSIGNMENT_STRATEGY', 'PREFER_PREVIOUS_OPERATOR', 'IDENTITY_SECRET', 'ASSIGNMENT_ACCEPT_TIMEOUT_SECONDS',
      'REQUEUE_ON_OFFLINE', 'OPERATOR_PRESENCE_GRACE_SECONDS', 'SESSION_IDLE_TIMEOUT_MINUTES', 'CORS_ORIGINS',
      'MAX_MESSAGE_LENGTH', 'RATE_LIMIT_SESSIONS_PER_MINUTE', 'RATE_LIMIT_LOGINS_PER_MINUTE',
      'RATE_LIMIT_MESSAGES_PER_10_SECONDS', 'MAX_CONNECTIONS_PER_IP', 'LOG_LEVEL',
      'MAX_UPLOAD_BYTES', 'UPLOAD_ALLOWED_TYPES', 'ATTACHMENT_STORAGE', 'ATTACHMENT_DIR', 'ATTACHMENT_URL_TTL_SECONDS',
    ];
    const lines = text.split('\n');
    for (const name of protocolVariables) {
      const at = lines.findIndex((line) => line.startsWith(`# ${name}=`));
      expect({ name, documented: at > 0 }).toEqual({ name, documented: true });
      expect({ name, comment: /^# \S/.test(lines[at - 1]) && !/^# [A-Z0-9_]+=/.test(lines[at - 1]) }).toEqual({ name, comment: true });
    }
  });

  it('documents no variable the server does not read (so it never goes stale)', () => {
    const read = variablesRead();
    const unknown = Object.keys(documented).filter((name) => !read.has(name) && name !== 'PM2_INSTANCES');
    expect(unknown).toEqual([]);
  });

  it('shows the real defaults: uncommenting every line changes nothing', () => {
    const fromFile = loadConfig(documented);
    const fromNothing = loadConfig({});
    // An empty DB_PASSWORD is kept as '' on purpose (a password-less MySQL user); it means the same as unset.
    const comparable = (config: Config) => ({ ...config, jwtSecret: undefined, db: { ...config.db, password: config.db.password || undefined } });
    expect(comparable(fromFile)).toEqual(comparable(fromNothing));
    expect(documented.PM2_INSTANCES).toBe('1');
  });

  it('holds no secret value', () => {
    for (const name of ['JWT_SECRET', 'ADMIN_PASSWORD', 'DB_PASSWORD', 'REDIS_PASSWORD', 'IDENTITY_SECRET']) {
      expect({ name, value: documented[name] }).toEqual({ name, value: '' });
    }
  });
});
