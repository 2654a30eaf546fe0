/**
 * The subset of Redis the services use, behind one interface: ioredis when `REDIS_URL` is set, an
 * in-process store with the same semantics otherwise. Keys are given without the deployment's prefix;
 * each implementation adds it.
 */
export interface Cache {
  readonly kind: 'in-process' | 'redis';
  get(key: string): Promise<string | null>;
  /** Stores a value, expiring after `ttlSeconds` when given. */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(...keys: string[]): Promise<number>;
  /**
   * Atomically counts a hit in a fixed window: increments `key`, starting its expiry of `windowMs` when
   * the key is new. Returns the count in this window and the milliseconds until the window ends.
   */
  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  /** Sorted sets (leaderboards). `only: 'GT'` keeps the higher of the old and new score (Redis ZADD GT). */
  zadd(key: string, score: number, member: string, only?: 'GT'): Promise<void>;
  zincrby(key: string, increment: number, member: string): Promise<number>;
  zscore(key: string, member: string): Promise<number | null>;
  /** Members from the highest score down, ranks `start..stop` inclusive (0-based, like ZRANGE REV). */
  zrevrange(key: string, start: number, stop: number): Promise<Array<{ member: string; score: number }>>;
  /** 0-based rank from the highest score, or null when absent. */
  zrevrank(key: string, member: string): Promise<number | null>;
  zcard(key: string): Promise<number>;
  /** True when the store answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
