import { loadConfig } from '../../config';
import { problemsOf } from '../helpers/configProblems';

/** loadConfig refuses bad values: one line per problem, naming the variable, never echoing a secret. */

/** Asserts exactly one problem, one line long, naming the variable. */
function expectOneProblemNaming(env: Record<string, string>, variable: string): string {
  const problems = problemsOf(env);
  expect(problems).toHaveLength(1);
  expect(problems[0]).toContain(variable);
  expect(problems[0]).not.toMatch(/\n/);
  return problems[0];
}

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

  it('mail: SMTP_URL without MAIL_FROM or JWT_SECRET, a URL that is not smtp(s), bad addresses; the password never echoed', () => {
    const secret = { JWT_SECRET: 'j'.repeat(40) };
    expectOneProblemNaming({ ...secret, SMTP_URL: 'smtp://u:pw@mail.example.com:587' }, 'MAIL_FROM');
    expectOneProblemNaming({ SMTP_URL: 'smtp://u:pw@mail.example.com:587', MAIL_FROM: 'chat@example.com' }, 'JWT_SECRET');
    expect(expectOneProblemNaming({ ...secret, SMTP_URL: 'http://u:hunter2@mail.example.com', MAIL_FROM: 'chat@example.com' }, 'SMTP_URL')).not.toContain('hunter2');
    expectOneProblemNaming({ MAIL_FROM: 'not an address' }, 'MAIL_FROM');
    expectOneProblemNaming({ MAIL_FROM: 'Acme Support <not an address>' }, 'MAIL_FROM');
    // A name for mail programs to show is fine.
    expect(loadConfig({ ...secret, SMTP_URL: 'smtp://mail.example.com:25', MAIL_FROM: 'Acme Support <chat@example.com>' }).mail?.from).toBe('Acme Support <chat@example.com>');
    expectOneProblemNaming({ OFFLINE_NOTIFY_EMAILS: 'team@example.com, nobody' }, 'OFFLINE_NOTIFY_EMAILS');
    expectOneProblemNaming({ PUBLIC_URL: 'chat.example.com' }, 'PUBLIC_URL');
    expectOneProblemNaming({ EMAIL_REPLY_DELAY_SECONDS: '-5' }, 'EMAIL_REPLY_DELAY_SECONDS');
    expectOneProblemNaming({ INBOUND_EMAIL_SECRET: 'short' }, 'INBOUND_EMAIL_SECRET');
  });

  it('TRUST_PROXY: not a hop count from 1 to 10, nor addresses, CIDRs or the named ranges', () => {
    for (const value of ['abc', '0', '11', '10.0.0.0/33', '10.0.0.0/8/1', 'loopback, 300.1.1.1', 'fd00::/129']) expectOneProblemNaming({ TRUST_PROXY: value }, 'TRUST_PROXY');
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'none' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toEqual(['loopback']);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,fd00::/8,uniquelocal' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'uniquelocal']);
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

  it('an ADMIN_EMAIL that is no email address', () => {
    expectOneProblemNaming({ ADMIN_EMAIL: 'not an email', ADMIN_PASSWORD: 'long enough password' }, 'ADMIN_EMAIL');
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
    ['MAX_UPLOAD_BYTES', '0'],
    ['MAX_UPLOAD_BYTES', '10MB'],
    ['UPLOAD_ALLOWED_TYPES', 'image/png,application/x-made-up'],
    ['UPLOAD_ALLOWED_TYPES', ' , '],
    ['ATTACHMENT_STORAGE', 's3'],
    ['ATTACHMENT_URL_TTL_SECONDS', '0'],
    ['ATTACHMENT_URL_TTL_SECONDS', 'an hour'],
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
