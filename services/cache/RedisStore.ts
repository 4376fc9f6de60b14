import type Redis from 'ioredis';
import type { CacheSnapshot, CacheStore, CachedOperator } from './CacheStore';
import { closeRedis } from '../../config/redis';

/**
 * The operators' hash and its built marker carry the shape of an entry in their names: a release that changes
 * what an entry holds starts a new hash, built from the database at start, and never serves an entry of the
 * older shape (the rebuild keeps an entry whose version is current, whatever its shape).
 */
const OPERATORS = 'operators:v2';
const BUILT = 'built:v2';
const SESSIONS = 'session-operator';
const ROTATION = 'round-robin';

/** Sets a field to a JSON copy only when the copy's version is newer than the stored one (atomic in Redis). */
const PUT_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local stored = cjson.decode(current)
  if tonumber(stored.version) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/**
 * Rebuild from a database snapshot. Another process may have written a newer copy of an operator since the
 * snapshot was read, so each operator is merged by version rather than overwritten; operators no longer in
 * the database are dropped; the session map is replaced whole.
 */
const REBUILD = `
local keep = {}
for i = 3, #ARGV, 3 do
  local id, version, json = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  keep[id] = true
  local current = redis.call('HGET', KEYS[1], id)
  if (not current) or tonumber(cjson.decode(current).version) < version then
    redis.call('HSET', KEYS[1], id, json)
  end
end
for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
  if not keep[id] then redis.call('HDEL', KEYS[1], id) end
end
redis.call('DEL', KEYS[2])
for sessionId, operatorId in pairs(cjson.decode(ARGV[1])) do
  redis.call('HSET', KEYS[2], sessionId, operatorId)
end
redis.call('SET', KEYS[3], ARGV[2])
return 1`;

/** The shared cache: every server process reads and writes the same keys (under the configured prefix). */
export class RedisStore implements CacheStore {
  readonly kind = 'redis' as const;

  constructor(private readonly redis: Redis) {}

  async getOperators(): Promise<CachedOperator[] | null> {
    // One round trip that also says whether the content is whole (a flushed Redis has lost the marker).
    const replies = await this.redis.multi().hgetall(OPERATORS).exists(BUILT).exec();
    const [all, built] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [Record<string, string>, number];
    if (built !== 1) return null;
    return Object.values(all).map((json) => JSON.parse(json) as CachedOperator);
  }

  async getOperator(id: number): Promise<CachedOperator | null> {
    const json = await this.redis.hget(OPERATORS, String(id));
    return json ? (JSON.parse(json) as CachedOperator) : null;
  }

  async putOperator(operator: CachedOperator): Promise<void> {
    await this.redis.eval(PUT_IF_NEWER, 1, OPERATORS, String(operator.id), JSON.stringify(operator), operator.version);
  }

  async removeOperator(id: number): Promise<void> {
    await this.redis.hdel(OPERATORS, String(id));
  }

  async getSessionOperator(sessionId: string): Promise<number | null> {
    const value = await this.redis.hget(SESSIONS, sessionId);
    return value === null ? null : Number(value);
  }

  async setSessionOperator(sessionId: string, operatorId: number | null): Promise<void> {
    if (operatorId === null) await this.redis.hdel(SESSIONS, sessionId);
    else await this.redis.hset(SESSIONS, sessionId, String(operatorId));
  }

  async getRotation(): Promise<number | null> {
    const value = await this.redis.get(ROTATION);
    return value === null ? null : Number(value);
  }

  async setRotation(operatorId: number): Promise<void> {
    await this.redis.set(ROTATION, String(operatorId));
  }

  async replaceAll(snapshot: CacheSnapshot): Promise<void> {
    const sessions = Object.fromEntries(snapshot.sessions.map((s) => [s.sessionId, String(s.operatorId)]));
    // Operators travel as (id, version, JSON) triples: decoding and re-encoding in Lua would turn [] into {}.
    const operators = snapshot.operators.flatMap((o) => [String(o.id), String(o.version), JSON.stringify(o)]);
    await this.redis.eval(REBUILD, 3, OPERATORS, SESSIONS, BUILT, JSON.stringify(sessions), new Date().toISOString(), ...operators);
  }

  async isBuilt(): Promise<boolean> {
    return (await this.redis.exists(BUILT)) === 1;
  }

  async ping(): Promise<number> {
    const started = performance.now();
    await this.redis.ping();
    return performance.now() - started;
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }
}
