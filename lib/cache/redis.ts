import { Redis } from 'ioredis';
import type { Cache } from './types.ts';

export interface RedisCacheOptions {
  /** Prepended by ioredis to every key, script keys included. */
  keyPrefix: string;
  /** Connection errors, reported on each failed (re)connect; the client keeps retrying regardless. */
  onError?: (error: Error) => void;
}

/**
 * Fixed-window counter in one round trip, atomic because Redis runs a script alone: the window starts
 * when the key has no expiry (new, or left without one by a plain SET), never on later hits.
 */
const HIT_SCRIPT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

type ScriptedRedis = Redis & { hitWindow(key: string, windowMs: number, weight: number): Promise<[number, number]> };

const COMMAND_TIMEOUT_MS = 2000;
/** A readiness probe must answer within a probe's budget, even while the client waits to reconnect. */
const PING_TIMEOUT_MS = 1000;

export function createRedisCache(url: string, options: RedisCacheOptions): Cache {
  const client = new Redis(url, {
    keyPrefix: options.keyPrefix,
    lazyConnect: false,
    // While Redis is away a command fails within COMMAND_TIMEOUT_MS or two reconnect attempts, whichever
    // comes first, so callers (rate limits, response caches) degrade instead of holding requests.
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  }) as ScriptedRedis;
  // Without a listener ioredis prints every failed reconnect; errors also reach callers through their commands.
  client.on('error', (error: Error) => options.onError?.(error));
  client.defineCommand('hitWindow', { numberOfKeys: 1, lua: HIT_SCRIPT });

  return {
    kind: 'redis',
    async get(key) {
      return client.get(key);
    },
    async set(key, value, ttlSeconds) {
      // PX in whole milliseconds so a fractional TTL means the same here and in-process.
      if (ttlSeconds === undefined) await client.set(key, value);
      else await client.set(key, value, 'PX', Math.ceil(ttlSeconds * 1000));
    },
    async del(...keys) {
      // DEL with no key is a syntax error in Redis; deleting nothing is not.
      return keys.length === 0 ? 0 : client.del(...keys);
    },
    async hit(key, windowMs, weight = 1) {
      // Checked here too: the script passes windowMs to PEXPIRE only when a window starts.
      if (!Number.isInteger(windowMs) || windowMs <= 0) throw new Error("ERR invalid expire time in 'pexpire' command");
      if (!Number.isInteger(weight) || weight <= 0) throw new Error('ERR weight must be a positive integer');
      const [count, resetInMs] = await client.hitWindow(key, windowMs, weight);
      return { count, resetInMs };
    },
    async zadd(key, score, member, only) {
      if (only === 'GT') await client.zadd(key, 'GT', score, member);
      else await client.zadd(key, score, member);
    },
    async zincrby(key, increment, member) {
      return parseScore(await client.zincrby(key, increment, member));
    },
    async zscore(key, member) {
      const score = await client.zscore(key, member);
      return score === null ? null : parseScore(score);
    },
    async zrevrange(key, start, stop) {
      const flat = await client.zrange(key, start, stop, 'REV', 'WITHSCORES');
      const entries: Array<{ member: string; score: number }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ member: flat[i]!, score: parseScore(flat[i + 1]!) });
      return entries;
    },
    async zrevrank(key, member) {
      return client.zrevrank(key, member);
    },
    async zcard(key) {
      return client.zcard(key);
    },
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(resolve, PING_TIMEOUT_MS, false);
      });
      try {
        return await Promise.race([client.ping().then((reply) => reply === 'PONG'), timeout]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      // QUIT lets replies in flight arrive; with no connection there is nothing to wait for.
      if (client.status === 'ready') await client.quit();
      else client.disconnect();
    },
  };
}

/** Redis writes infinite scores as `inf` / `-inf`, which Number() does not read. */
function parseScore(reply: string): number {
  if (reply === 'inf' || reply === '+inf') return Infinity;
  if (reply === '-inf') return -Infinity;
  return Number(reply);
}
