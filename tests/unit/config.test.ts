import fs from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { loadConfig, type Config } from '../../config';
import { problemsOf } from '../helpers/configProblems';

const ENV_EXAMPLE = path.join(__dirname, '..', '..', '.env.example');
const STRONG_SECRET = 'a-jwt-secret-that-is-certainly-long-enough';

/** Asserts exactly one problem, one line long, naming the variable. */
function expectOneProblemNaming(env: Record<string, string>, variable: string): string {
  const problems = problemsOf(env);
  expect(problems).toHaveLength(1);
  expect(problems[0]).toContain(variable);
  expect(problems[0]).not.toMatch(/\n/);
  return problems[0];
}

describe('loadConfig defaults (an empty environment: npm start on a bare machine)', () => {
  let config: Config;
  beforeAll(() => {
    config = loadConfig({});
  });

  it('serves on 3001 from a SQLite file under data/, migrating at start, with the in-process cache', () => {
    expect(config.port).toBe(3001);
    expect(config.env).toBe('development');
    expect(config.db).toMatchObject({ dialect: 'sqlite', storage: path.join('data', 'chat.sqlite'), port: 3306, poolMax: 10, migrateOnStart: true });
    expect(config.db.host).toBeUndefined();
    expect(config.redis).toBeNull();
  });

  it('uses the documented defaults for routing, limits and logging', () => {
    expect(config).toMatchObject({
      assignmentStrategy: 'least-busy',
      preferPreviousOperator: true,
      assignmentAcceptTimeoutSeconds: 0,
      requeueOnOffline: false,
      operatorPresenceGraceSeconds: 30,
      sessionIdleTimeoutMinutes: 30,
      corsOrigins: null,
      maxMessageLength: 5000,
      bodyLimitBytes: 100 * 1024,
      rateLimitSessionsPerMinute: 30,
      rateLimitLoginsPerMinute: 10,
      rateLimitMessagesPer10Seconds: 30,
      maxConnectionsPerIp: 100,
      logLevel: 'info',
    });
    expect(config.adminEmail).toBeUndefined();
    expect(config.adminPassword).toBeUndefined();
    expect(config.identitySecret).toBeUndefined();
  });

  it('makes a strong random JWT secret per process when none is set, and says so', () => {
    const other = loadConfig({});
    expect(config.jwtSecretGenerated).toBe(true);
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(other.jwtSecret).not.toBe(config.jwtSecret);
    const given = loadConfig({ JWT_SECRET: STRONG_SECRET });
    expect(given).toMatchObject({ jwtSecret: STRONG_SECRET, jwtSecretGenerated: false });
  });

  it('treats empty and blank values as unset', () => {
    const blank = loadConfig({ PORT: '', DB_DIALECT: '  ', REDIS_URL: '', JWT_SECRET: '', ADMIN_EMAIL: ' ', ADMIN_PASSWORD: '' });
    expect(blank.port).toBe(3001);
    expect(blank.db.dialect).toBe('sqlite');
    expect(blank.redis).toBeNull();
    expect(blank.jwtSecretGenerated).toBe(true);
  });
});

describe('loadConfig reads the values it is given', () => {
  it('DB_HOST alone implies MySQL (with its name and user)', () => {
    const config = loadConfig({ DB_HOST: 'db.internal', DB_NAME: 'chat', DB_USER: 'chat', DB_PASSWORD: 's3cret', DB_PORT: '3307' });
    expect(config.db).toMatchObject({ dialect: 'mysql', host: 'db.internal', name: 'chat', user: 'chat', password: 's3cret', port: 3307 });
  });

  it('DB_HOST alone asks for the rest of the MySQL settings, not for a dialect', () => {
    const problems = problemsOf({ DB_HOST: 'db.internal' });
    expect(problems).toHaveLength(2);
    expect(problems.find((p) => p.includes('DB_NAME'))).toBeDefined();
    expect(problems.find((p) => p.includes('DB_USER'))).toBeDefined();
    expect(problems.join('\n')).not.toContain('DB_DIALECT must');
  });

  it('an explicit DB_DIALECT=sqlite wins over DB_HOST', () => {
    expect(loadConfig({ DB_DIALECT: 'sqlite', DB_HOST: 'db.internal' }).db.dialect).toBe('sqlite');
  });

  it('REDIS_HOST turns on Redis with its port, password, database and the default key prefix', () => {
    const config = loadConfig({ REDIS_HOST: 'cache.internal', REDIS_PORT: '6380', REDIS_PASSWORD: 'pw', REDIS_DB: '3' });
    expect(config.redis).toEqual({ url: undefined, host: 'cache.internal', port: 6380, password: 'pw', db: 3, keyPrefix: 'chat:' });
  });

  it('REDIS_URL turns on Redis too, with REDIS_KEY_PREFIX', () => {
    const config = loadConfig({ REDIS_URL: 'rediss://user:pw@cache.internal:6390/2', REDIS_KEY_PREFIX: 'shop1:' });
    expect(config.redis).toMatchObject({ url: 'rediss://user:pw@cache.internal:6390/2', keyPrefix: 'shop1:' });
  });

  it('Redis settings without REDIS_HOST or REDIS_URL leave the in-process cache', () => {
    expect(loadConfig({ REDIS_PORT: '6380' }).redis).toBeNull();
  });

  it('booleans accept true/false, 1/0, yes/no, on/off in any case', () => {
    for (const yes of ['true', 'TRUE', '1', 'yes', 'On']) expect(loadConfig({ REQUEUE_ON_OFFLINE: yes }).requeueOnOffline).toBe(true);
    for (const no of ['false', 'False', '0', 'no', 'OFF']) expect(loadConfig({ DB_MIGRATE_ON_START: no }).db.migrateOnStart).toBe(false);
  });

  it('CORS_ORIGINS is a comma-separated list of origins, or *', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://shop.example.com, http://localhost:8080' }).corsOrigins).toEqual([
      'https://shop.example.com',
      'http://localhost:8080',
    ]);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it('reads every strategy, the admin pair, the identity secret and the numeric limits', () => {
    for (const strategy of ['least-busy', 'round-robin', 'longest-idle', 'manual']) {
      expect(loadConfig({ ASSIGNMENT_STRATEGY: strategy }).assignmentStrategy).toBe(strategy);
    }
    const config = loadConfig({
      ADMIN_EMAIL: 'Admin@Example.com',
      ADMIN_PASSWORD: 'correct horse',
      IDENTITY_SECRET: 'hmac-key',
      PORT: '0',
      SESSION_IDLE_TIMEOUT_MINUTES: '0',
      MAX_CONNECTIONS_PER_IP: '0',
      LOG_LEVEL: 'silent',
    });
    expect(config).toMatchObject({
      adminEmail: 'Admin@Example.com',
      adminPassword: 'correct horse',
      identitySecret: 'hmac-key',
      port: 0,
      sessionIdleTimeoutMinutes: 0,
      maxConnectionsPerIp: 0,
      logLevel: 'silent',
    });
  });
});

describe('loadConfig refuses bad values with one line per problem, naming the variable', () => {
  it('PORT=abc', () => {
    expect(expectOneProblemNaming({ PORT: 'abc' }, 'PORT')).toContain('abc');
  });

  it('PORT out of range (70000, -1) and not a whole number (3.5, 3e3)', () => {
    expect(expectOneProblemNaming({ PORT: '70000' }, 'PORT')).toContain('70000');
    expectOneProblemNaming({ PORT: '-1' }, 'PORT');
    expectOneProblemNaming({ PORT: '3.5' }, 'PORT');
    expectOneProblemNaming({ PORT: '3e3' }, 'PORT');
  });

  it('an unknown DB_DIALECT (oracle)', () => {
    expect(expectOneProblemNaming({ DB_DIALECT: 'oracle' }, 'DB_DIALECT')).toContain('oracle');
  });

  it('DB_DIALECT=mysql without DB_HOST, DB_NAME, DB_USER: one line for each missing one', () => {
    const problems = problemsOf({ DB_DIALECT: 'mysql' });
    expect(problems).toHaveLength(3);
    for (const name of ['DB_HOST', 'DB_NAME', 'DB_USER']) {
      expect(problems.filter((p) => p.includes(name))).toHaveLength(1);
    }
  });

  it('half a MySQL config (host and user, no database name)', () => {
    expectOneProblemNaming({ DB_DIALECT: 'mysql', DB_HOST: '127.0.0.1', DB_USER: 'chat' }, 'DB_NAME');
  });

  it('bad port numbers for the database and Redis', () => {
    expectOneProblemNaming({ DB_HOST: 'h', DB_NAME: 'n', DB_USER: 'u', DB_PORT: '0' }, 'DB_PORT');
    expectOneProblemNaming({ REDIS_HOST: 'h', REDIS_PORT: 'six' }, 'REDIS_PORT');
    expectOneProblemNaming({ REDIS_HOST: 'h', REDIS_DB: '16' }, 'REDIS_DB');
  });

  it('a REDIS_URL that is not a redis:// URL', () => {
    expectOneProblemNaming({ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL');
    expectOneProblemNaming({ REDIS_URL: '127.0.0.1:6379' }, 'REDIS_URL');
  });

  it.each(['DB_MIGRATE_ON_START', 'PREFER_PREVIOUS_OPERATOR', 'REQUEUE_ON_OFFLINE'])('a boolean that is not one (%s=maybe)', (name) => {
    expect(expectOneProblemNaming({ [name]: 'maybe' }, name)).toContain('maybe');
  });

  it('an unknown ASSIGNMENT_STRATEGY', () => {
    const problem = expectOneProblemNaming({ ASSIGNMENT_STRATEGY: 'random' }, 'ASSIGNMENT_STRATEGY');
    expect(problem).toContain('least-busy');
  });

  it('an unknown LOG_LEVEL', () => {
    expectOneProblemNaming({ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL');
  });

  it('ADMIN_EMAIL without ADMIN_PASSWORD, and the other way round', () => {
    expect(expectOneProblemNaming({ ADMIN_EMAIL: 'admin@example.com' }, 'ADMIN_PASSWORD')).toContain('ADMIN_EMAIL');
    expect(expectOneProblemNaming({ ADMIN_PASSWORD: 'long enough' }, 'ADMIN_EMAIL')).toContain('ADMIN_PASSWORD');
  });

  it('a bootstrap admin password shorter than 8 characters', () => {
    expectOneProblemNaming({ ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD');
  });

  it('a JWT_SECRET shorter than 32 characters', () => {
    expectOneProblemNaming({ JWT_SECRET: 'x'.repeat(31) }, 'JWT_SECRET');
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(32) }).jwtSecret).toBe('x'.repeat(32));
  });

  it.each(['example.com', 'https://example.com/', 'https://example.com/path', 'ftp://example.com'])('a CORS origin that is not one (%s)', (origin) => {
    expect(expectOneProblemNaming({ CORS_ORIGINS: `https://ok.example.com,${origin}` }, 'CORS_ORIGINS')).toContain(origin);
  });

  it.each([
    ['MAX_MESSAGE_LENGTH', '0'],
    ['BODY_LIMIT_BYTES', '10'],
    ['DB_POOL_MAX', '0'],
    ['RATE_LIMIT_SESSIONS_PER_MINUTE', '-5'],
    ['RATE_LIMIT_LOGINS_PER_MINUTE', 'ten'],
    ['RATE_LIMIT_MESSAGES_PER_10_SECONDS', '1.5'],
    ['MAX_CONNECTIONS_PER_IP', '-1'],
    ['OPERATOR_PRESENCE_GRACE_SECONDS', 'soon'],
    ['SESSION_IDLE_TIMEOUT_MINUTES', '-1'],
    ['ASSIGNMENT_ACCEPT_TIMEOUT_SECONDS', '1e2'],
  ])('an out-of-range or non-integer %s=%s', (name, value) => {
    expectOneProblemNaming({ [name]: value }, name);
  });

  it('several problems at once are all reported, one line each, in one error', () => {
    const env = {
      PORT: '70000',
      DB_DIALECT: 'oracle',
      REQUEUE_ON_OFFLINE: 'sometimes',
      ASSIGNMENT_STRATEGY: 'random',
      ADMIN_EMAIL: 'admin@example.com',
      JWT_SECRET: 'short',
      CORS_ORIGINS: 'example.com',
    };
    const problems = problemsOf(env);
    expect(problems).toHaveLength(Object.keys(env).length);
    for (const name of Object.keys(env)) {
      expect(problems.filter((p) => p.includes(name)).length).toBeGreaterThanOrEqual(1);
    }
    for (const problem of problems) expect(problem).not.toMatch(/\n/);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as Error).message).toContain('PORT');
      expect((error as Error).message).toContain('CORS_ORIGINS');
    }
  });

  it('never echoes a secret in a problem line', () => {
    const problems = problemsOf({ JWT_SECRET: 'tiny-secret-value', ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'pw-123' });
    expect(problems.join('\n')).not.toContain('tiny-secret-value');
    expect(problems.join('\n')).not.toContain('pw-123');
  });
});

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
