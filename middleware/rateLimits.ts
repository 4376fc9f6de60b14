import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type Redis from 'ioredis';
import type { Config } from '../config';
import { RateLimitedError } from '../services/errors';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `customerMessages`: the customer is over the session's message limit for this many seconds. */
    overLimit?: number;
  }
}

export interface RateLimiters {
  sessions: RequestHandler;
  logins: RequestHandler;
  /**
   * Per account: LOGIN_LOCKOUT_FAILURES failed logins of one email in 15 minutes, and that email answers 429 until
   * the window ends, whatever the IP. Keyed on the email as typed (lower-cased), so an unknown one behaves the same.
   */
  accountLogins: RequestHandler;
  /** A customer's messages over REST: the session's message bucket (below); operators are not limited. */
  customerMessages: RequestHandler;
  /**
   * Per session, whatever carries it: a customer's messages (REST and every socket of the session together), and
   * their typing and read marks. With Redis one count serves every process.
   */
  sessionBuckets: { messages: SessionBucket; signals: SessionBucket };
}

/** One count per session per window. */
export interface SessionBucket {
  /** Counts one event of the session: null when it may go, else the seconds until the window ends. */
  take(sessionId: string): Promise<number | null>;
}

/** What a session bucket counts with: Redis's store (every process), or LocalWindows (this one). */
interface Counter {
  increment(key: string): Promise<{ totalHits: number; resetTime?: Date }>;
}

/** Entries kept before the expired ones are swept. */
const LOCAL_SWEEP_AT = 10_000;

/**
 * Fixed windows in this process. (express-rate-limit's MemoryStore answers every increment with the same
 * object, so events counted at once would all read the last count.)
 */
class LocalWindows implements Counter {
  private readonly windows = new Map<string, { hits: number; resetAt: number }>();

  constructor(private readonly windowMs: number) {}

  increment(key: string): Promise<{ totalHits: number; resetTime: Date }> {
    const now = Date.now();
    if (this.windows.size >= LOCAL_SWEEP_AT) for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { hits: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.hits += 1;
    return Promise.resolve({ totalHits: window.hits, resetTime: new Date(window.resetAt) });
  }
}

/**
 * Fixed windows in Redis, shared by every process, counted in batches: the events of one turn of the event loop
 * go in one pipeline (per session: start the window if none, add the events, read what is left of it), so a
 * busy message path pays one round trip per batch rather than one per message. Each event learns its own place
 * in the count.
 */
class RedisWindows implements Counter {
  private waiting = new Map<string, Array<{ resolve: (hits: { totalHits: number; resetTime: Date }) => void; reject: (error: unknown) => void }>>();
  private scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly windowMs: number,
  ) {}

  increment(key: string): Promise<{ totalHits: number; resetTime: Date }> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = new Map();
    this.scheduled = false;
    const pipeline = this.redis.pipeline();
    for (const [key, waiters] of batch) {
      const redisKey = `${this.prefix}${key}`;
      pipeline.set(redisKey, 0, 'PX', this.windowMs, 'NX');
      pipeline.incrby(redisKey, waiters.length);
      pipeline.pttl(redisKey);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      const now = Date.now();
      let at = 0;
      for (const [key, waiters] of batch) {
        const [failed, total] = results[at + 1] ?? [];
        const [, ttl] = results[at + 2] ?? [];
        at += 3;
        if (failed || typeof total !== 'number') {
          for (const waiter of waiters) waiter.reject(failed ?? new Error('no count from Redis'));
          continue;
        }
        // The window ended between the SET and the INCRBY, which then made a key with no end: give it one, or
        // the session would stay over its limit for good.
        if (Number(ttl) < 0) void this.redis.pexpire(`${this.prefix}${key}`, this.windowMs).catch(() => undefined);
        const resetTime = new Date(now + (Number(ttl) > 0 ? Number(ttl) : this.windowMs));
        // The batch's events took the last places of the count, in the order they came.
        waiters.forEach((waiter, i) => waiter.resolve({ totalHits: Number(total) - waiters.length + i + 1, resetTime }));
      }
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }
}

/** Typing and read marks a session may send in 10 s, per message it may send (a typing flag per keystroke burst). */
const SIGNALS_PER_MESSAGE = 3;

interface Window {
  limit: number;
  windowMs: number;
  /** Whose count a request adds to (default: the client IP). */
  keyGenerator?: (req: Request) => string;
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
  const create = (name: string, { limit, windowMs, keyGenerator, failuresOnly }: Window): RequestHandler =>
    rateLimit({
      windowMs,
      limit,
      skipSuccessfulRequests: failuresOnly === true,
      ...(keyGenerator ? { keyGenerator } : {}),
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
  /** A counter of its own per name, shared by every process through Redis (else in this process). */
  const sessionBucket = (name: string, limit: number, windowMs: number): SessionBucket => {
    const counter: Counter = redis ? new RedisWindows(redis, `rl:${name}:`, windowMs) : new LocalWindows(windowMs);
    return {
      async take(sessionId) {
        if (limit === 0) return null;
        try {
          const { totalHits, resetTime } = await counter.increment(sessionId);
          if (totalHits <= limit) return null;
          return resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : Math.ceil(windowMs / 1000);
        } catch {
          // A limiter outage must not take chat down: the event goes.
          return null;
        }
      },
    };
  };
  const messages = sessionBucket('messages', config.rateLimitMessagesPer10Seconds, 10_000);
  const signals = sessionBucket('signals', config.rateLimitMessagesPer10Seconds * SIGNALS_PER_MESSAGE, 10_000);
  return {
    sessionBuckets: { messages, signals },
    customerMessages: (req, _res, next) => {
      if (req.actor?.kind !== 'customer') return next();
      messages.take(String(req.params.sessionId)).then((wait) => {
        if (wait === null) return next();
        // An upload is refused unread. A JSON message goes on to its handler, which answers a retry of a message
        // already stored with it (as every retry is answered) and refuses anything else.
        if (req.is('multipart/form-data')) return next(new RateLimitedError(wait, 'Too many messages; slow down'));
        req.overLimit = wait;
        next();
      }, next);
    },
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
  };
}
