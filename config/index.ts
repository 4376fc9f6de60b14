import { isIP } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import validator from 'validator';
import { readAttachmentConfig, type AttachmentConfig } from './attachments';
import { readMailConfig, type MailConfig } from './mail';

export type Dialect = 'sqlite' | 'mysql';
export type StrategyName = 'least-busy' | 'round-robin' | 'longest-idle' | 'manual';
export const STRATEGIES: readonly StrategyName[] = ['least-busy', 'round-robin', 'longest-idle', 'manual'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DatabaseConfig {
  dialect: Dialect;
  storage: string;
  host?: string;
  port: number;
  name?: string;
  user?: string;
  password?: string;
  poolMax: number;
  migrateOnStart: boolean;
}

export interface RedisConfig {
  url?: string;
  host?: string;
  port: number;
  password?: string;
  db: number;
  keyPrefix: string;
}

/** Where domain events are posted (services/webhooks); present only when WEBHOOK_URL is set. */
export interface WebhookConfig {
  url: string;
  /** Signs every body: `X-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`. */
  secret: string;
  /** One attempt's deadline. */
  timeoutMs: number;
  /** Attempts per event before it is given up (logged and counted). */
  maxAttempts: number;
  /** The first retry's delay; each further retry waits twice as long. */
  retryBaseMs: number;
}

export interface Config {
  env: string;
  port: number;
  db: DatabaseConfig;
  /** null: no Redis configured, the in-process cache and adapter are used. */
  redis: RedisConfig | null;
  jwtSecret: string;
  /** true when JWT_SECRET was not set and a random one was made for this process. */
  jwtSecretGenerated: boolean;
  adminEmail?: string;
  adminPassword?: string;
  assignmentStrategy: StrategyName;
  preferPreviousOperator: boolean;
  identitySecret?: string;
  assignmentAcceptTimeoutSeconds: number;
  requeueOnOffline: boolean;
  operatorPresenceGraceSeconds: number;
  sessionIdleTimeoutMinutes: number;
  /** Closed sessions older than this many days are erased by the sweeper (0: kept). */
  messageRetentionDays: number;
  /** null: only the server's own origin (same-origin requests carry no CORS check). */
  corsOrigins: string[] | null;
  /**
   * Express's `trust proxy`: which peers' X-Forwarded-For names the client (every per-IP limit keys on it).
   * false (the default): nobody's, the socket's own address counts; a hop count; or addresses, CIDRs and the
   * names loopback, linklocal, uniquelocal.
   */
  trustProxy: false | number | string[];
  maxMessageLength: number;
  bodyLimitBytes: number;
  attachments: AttachmentConfig;
  rateLimitSessionsPerMinute: number;
  rateLimitLoginsPerMinute: number;
  /** Failed logins of one account (by email, whether it exists or not) in 15 minutes before it answers 429; 0: off. */
  loginLockoutFailures: number;
  rateLimitMessagesPer10Seconds: number;
  maxConnectionsPerIp: number;
  logLevel: LogLevel;
  /** null: no webhooks. */
  webhook: WebhookConfig | null;
  /** null: no mail is sent (SMTP_URL and MAIL_FROM unset). */
  mail: MailConfig | null;
  /** Set: GET /metrics answers only `Authorization: Bearer <metricsToken>`; unset: anyone who reaches it. */
  metricsToken?: string;
  /**
   * How many processes serve this deployment on this host (ecosystem.config.js sets it from PM2_INSTANCES).
   * Above 1, Socket.IO takes WebSocket only: pm2's cluster has no sticky sessions, and a long-polling client's
   * requests would land on processes that never saw its handshake.
   */
  clusterInstances: number;
}

/** Thrown with every problem found, so start-up can print one line per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads the environment once into a typed, validated Config; collects every problem before failing. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      problems.push(`${name} must be an integer, got "${value}"`);
      return fallback;
    }
    const n = Number(value);
    if (n < min || n > max) {
      problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
      return fallback;
    }
    return n;
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const value = raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    problems.push(`${name} must be true or false, got "${raw(name)}"`);
    return fallback;
  };

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
    return fallback;
  };

  const dbHost = raw('DB_HOST');
  const dialect = oneOf<Dialect>('DB_DIALECT', ['sqlite', 'mysql'], dbHost ? 'mysql' : 'sqlite');
  const db: DatabaseConfig = {
    dialect,
    storage: raw('DB_STORAGE') ?? path.join('data', 'chat.sqlite'),
    host: dbHost,
    port: int('DB_PORT', 3306, 1, 65535),
    name: raw('DB_NAME'),
    user: raw('DB_USER'),
    password: env.DB_PASSWORD,
    poolMax: int('DB_POOL_MAX', 10, 1, 1000),
    migrateOnStart: bool('DB_MIGRATE_ON_START', true),
  };
  if (dialect === 'mysql') {
    for (const name of ['DB_HOST', 'DB_NAME', 'DB_USER'] as const) {
      if (raw(name) === undefined) problems.push(`${name} is required when DB_DIALECT is mysql`);
    }
  }

  const redisUrl = raw('REDIS_URL');
  const redisHost = raw('REDIS_HOST');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(`REDIS_URL must start with redis:// or rediss://, got "${redisUrl}"`);
  }
  const redisPort = int('REDIS_PORT', 6379, 1, 65535);
  const redisDb = int('REDIS_DB', 0, 0, 15);
  const redis: RedisConfig | null =
    redisUrl || redisHost
      ? {
          url: redisUrl,
          host: redisHost,
          port: redisPort,
          password: env.REDIS_PASSWORD || undefined,
          db: redisDb,
          keyPrefix: raw('REDIS_KEY_PREFIX') ?? 'chat:',
        }
      : null;

  const adminEmail = raw('ADMIN_EMAIL');
  const adminPassword = env.ADMIN_PASSWORD || undefined;
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (adminEmail !== undefined && !validator.isEmail(adminEmail)) problems.push(`ADMIN_EMAIL must be an email address, got "${adminEmail}"`);
  if (adminPassword !== undefined && adminPassword.length < 8) {
    problems.push('ADMIN_PASSWORD must be at least 8 characters');
  }

  const jwtSecretRaw = env.JWT_SECRET || undefined;
  if (jwtSecretRaw !== undefined && jwtSecretRaw.length < 32) {
    problems.push('JWT_SECRET must be at least 32 characters');
  }

  let corsOrigins: string[] | null = null;
  const corsRaw = raw('CORS_ORIGINS');
  if (corsRaw !== undefined) {
    corsOrigins = corsRaw.split(',').map((o) => o.trim()).filter(Boolean);
    for (const origin of corsOrigins) {
      if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
        problems.push(`CORS_ORIGINS entries must be origins like https://example.com, got "${origin}"`);
      }
    }
  }

  const trustProxy = readTrustProxy(raw('TRUST_PROXY'), problems);

  const clusterInstances = int('CLUSTER_INSTANCES', 1, 1, 256);
  if (clusterInstances > 1 && redis === null) {
    problems.push(`CLUSTER_INSTANCES=${clusterInstances} needs Redis (REDIS_URL or REDIS_HOST): the processes must share the cache and Socket.IO rooms`);
  }
  if (clusterInstances > 1 && jwtSecretRaw === undefined) {
    problems.push(`CLUSTER_INSTANCES=${clusterInstances} needs JWT_SECRET: every process must accept the tokens the others sign`);
  }

  const webhookUrl = raw('WEBHOOK_URL');
  const webhookSecret = env.WEBHOOK_SECRET || undefined;
  // Read whatever the URL says, so every knob is validated (and documented) even while webhooks are off.
  const webhookTimeoutMs = int('WEBHOOK_TIMEOUT_MS', 5_000, 100, 60_000);
  const webhookMaxAttempts = int('WEBHOOK_MAX_ATTEMPTS', 6, 1, 20);
  const webhookRetryBaseMs = int('WEBHOOK_RETRY_BASE_MS', 1_000, 10, 600_000);
  if (webhookUrl !== undefined && !isHttpUrl(webhookUrl)) {
    // The value is not echoed: a URL may carry credentials.
    problems.push('WEBHOOK_URL must be an http:// or https:// URL');
  }
  if (webhookUrl !== undefined && webhookSecret === undefined) {
    problems.push('WEBHOOK_SECRET is required when WEBHOOK_URL is set (every delivery is signed)');
  }
  const webhook: WebhookConfig | null =
    webhookUrl !== undefined && webhookSecret !== undefined
      ? { url: webhookUrl, secret: webhookSecret, timeoutMs: webhookTimeoutMs, maxAttempts: webhookMaxAttempts, retryBaseMs: webhookRetryBaseMs }
      : null;

  const config: Config = {
    env: raw('NODE_ENV') ?? 'development',
    port: int('PORT', 3001, 0, 65535),
    db,
    redis,
    jwtSecret: jwtSecretRaw ?? randomBytes(48).toString('base64url'),
    jwtSecretGenerated: jwtSecretRaw === undefined,
    adminEmail,
    adminPassword,
    assignmentStrategy: oneOf('ASSIGNMENT_STRATEGY', STRATEGIES, 'least-busy'),
    preferPreviousOperator: bool('PREFER_PREVIOUS_OPERATOR', true),
    identitySecret: env.IDENTITY_SECRET || undefined,
    assignmentAcceptTimeoutSeconds: int('ASSIGNMENT_ACCEPT_TIMEOUT_SECONDS', 0, 0, 86400),
    requeueOnOffline: bool('REQUEUE_ON_OFFLINE', true),
    operatorPresenceGraceSeconds: int('OPERATOR_PRESENCE_GRACE_SECONDS', 30, 0, 86400),
    sessionIdleTimeoutMinutes: int('SESSION_IDLE_TIMEOUT_MINUTES', 30, 0, 525600),
    messageRetentionDays: int('MESSAGE_RETENTION_DAYS', 0, 0, 36500),
    corsOrigins,
    trustProxy,
    maxMessageLength: int('MAX_MESSAGE_LENGTH', 5000, 1, 100000),
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 100 * 1024, 1024, 10 * 1024 * 1024),
    attachments: readAttachmentConfig({ raw, int, oneOf, problems }),
    rateLimitSessionsPerMinute: int('RATE_LIMIT_SESSIONS_PER_MINUTE', 30, 0, 1_000_000),
    rateLimitLoginsPerMinute: int('RATE_LIMIT_LOGINS_PER_MINUTE', 10, 0, 1_000_000),
    loginLockoutFailures: int('LOGIN_LOCKOUT_FAILURES', 10, 0, 1_000),
    rateLimitMessagesPer10Seconds: int('RATE_LIMIT_MESSAGES_PER_10_SECONDS', 30, 0, 1_000_000),
    maxConnectionsPerIp: int('MAX_CONNECTIONS_PER_IP', 100, 0, 1_000_000),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    webhook,
    mail: readMailConfig({ raw, int, oneOf, problems }, jwtSecretRaw !== undefined),
    metricsToken: env.METRICS_TOKEN || undefined,
    clusterInstances,
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IP address, or one with a prefix length that fits it (10.0.0.0/8, fd00::/8). */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** TRUST_PROXY: unset, "false" or "none" → false; a whole number → that many hops; else a list of proxies. */
function readTrustProxy(value: string | undefined, problems: string[]): false | number | string[] {
  if (value === undefined || value === 'false' || value === 'none') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops >= 1 && hops <= 10) return hops;
    problems.push(`TRUST_PROXY as a hop count must be from 1 to 10, got "${value}"`);
    return false;
  }
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  const bad = entries.filter((entry) => !PROXY_NAMES.has(entry) && !isAddressOrCidr(entry));
  if (entries.length === 0 || bad.length > 0) {
    problems.push(`TRUST_PROXY must be a hop count, or addresses, CIDRs, loopback, linklocal or uniquelocal separated by commas; not "${bad.join(', ') || value}"`);
    return false;
  }
  return entries;
}
