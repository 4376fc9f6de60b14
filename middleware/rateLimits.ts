import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type Redis from 'ioredis';
import type { Config } from '../config';
import { RateLimitedError } from '../src/errors';

export interface RateLimiters {
  sessions: RequestHandler;
  logins: RequestHandler;
}

const passThrough: RequestHandler = (_req, _res, next) => next();

/**
 * Per client IP, per minute. With Redis the counts live there so they hold across processes; if Redis
 * fails the request goes through (a limiter outage must not take chat down).
 */
export function createRateLimiters(config: Config, redis: Redis | null): RateLimiters {
  const build = (name: string, perMinute: number): RequestHandler => {
    if (perMinute === 0) return passThrough;
    // Built on first use: the Redis store loads its scripts when created, which needs a connected client.
    let limiter: RequestHandler | null = null;
    return (req, res, next) => {
      limiter ??= create(name, perMinute);
      return limiter(req, res, next);
    };
  };
  const create = (name: string, perMinute: number): RequestHandler =>
    rateLimit({
      windowMs: 60_000,
      limit: perMinute,
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
    sessions: build('sessions', config.rateLimitSessionsPerMinute),
    logins: build('logins', config.rateLimitLoginsPerMinute),
  };
}
