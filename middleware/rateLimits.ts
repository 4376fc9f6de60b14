import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type Redis from 'ioredis';
import type { Config } from '../config';
import { RateLimitedError } from '../services/errors';

export interface RateLimiters {
  sessions: RequestHandler;
  logins: RequestHandler;
  /**
   * Per account: LOGIN_LOCKOUT_FAILURES failed logins of one email in 15 minutes, and that email answers 429 until
   * the window ends, whatever the IP. Keyed on the email as typed (lower-cased), so an unknown one behaves the same.
   */
  accountLogins: RequestHandler;
  /** A customer's messages over REST, per session (a socket has its own limiter); operators are not limited. */
  customerMessages: RequestHandler;
}

interface Window {
  limit: number;
  windowMs: number;
  /** Whose count a request adds to (default: the client IP). */
  keyGenerator?: (req: Request) => string;
  skip?: (req: Request) => boolean;
  /** Only refused requests count (a successful login takes its count back). */
  failuresOnly?: boolean;
}

const passThrough: RequestHandler = (_req, _res, next) => next();

/**
 * Sessions and logins per client IP per minute, a customer's messages per session per 10 s. With Redis the
 * counts live there so they hold across processes; if Redis fails the request goes through (a limiter outage
 * must not take chat down).
 */
export function createRateLimiters(config: Config, redis: Redis | null): RateLimiters {
  const build = (name: string, window: Window): RequestHandler => {
    if (window.limit === 0) return passThrough;
    // Built on first use: the Redis store loads its scripts when created, which needs a connected client.
    let limiter: RequestHandler | null = null;
    return (req, res, next) => {
      limiter ??= create(name, window);
      return limiter(req, res, next);
    };
  };
  const create = (name: string, { limit, windowMs, keyGenerator, skip, failuresOnly }: Window): RequestHandler =>
    rateLimit({
      windowMs,
      limit,
      skipSuccessfulRequests: failuresOnly === true,
      ...(keyGenerator ? { keyGenerator } : {}),
      ...(skip ? { skip } : {}),
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      passOnStoreError: true,
      // Created lazily on purpose (see above), which this check would report.
      validate: { creationStack: false },
      store: redis
        ? new RedisStore({
            prefix: `rl:${name}:`,
            sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
          })
        : undefined,
      handler: (req, _res, next) => {
        const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
        const retryAfter = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
        next(new RateLimitedError(retryAfter, 'Too many requests; try again later'));
      },
    });
  return {
    sessions: build('sessions', { limit: config.rateLimitSessionsPerMinute, windowMs: 60_000 }),
    logins: build('logins', { limit: config.rateLimitLoginsPerMinute, windowMs: 60_000 }),
    accountLogins: build('account-logins', {
      limit: config.loginLockoutFailures,
      windowMs: 15 * 60_000,
      keyGenerator: (req) => {
        const email: unknown = (req.body as { email?: unknown } | undefined)?.email;
        return typeof email === 'string' ? email.trim().toLowerCase().slice(0, 191) : '';
      },
      failuresOnly: true,
    }),
    customerMessages: build('messages', {
      limit: config.rateLimitMessagesPer10Seconds,
      windowMs: 10_000,
      keyGenerator: (req) => String(req.params.sessionId),
      skip: (req) => req.actor?.kind !== 'customer',
    }),
  };
}
