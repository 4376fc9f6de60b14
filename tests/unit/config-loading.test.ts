import path from 'node:path';
import { loadConfig, type Config } from '../../config';
import { problemsOf } from '../helpers/configProblems';

/** loadConfig: the defaults of a bare machine, and the values it is given. */

const STRONG_SECRET = 'a-jwt-secret-that-is-certainly-long-enough';

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
      requeueOnOffline: true,
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
