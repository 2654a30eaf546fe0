/**
 * The subset of Redis the services use, behind one interface: ioredis when `REDIS_URL` is set, an
 * in-process store with the same semantics otherwise. Keys are given without the deployment's prefix;
 * each implementation adds it.
 */
export interface Cache {
  readonly kind: 'in-process' | 'redis';
  get(key: string): Promise<string | null>;
  /**
   * Stores a value, replacing whatever the key held. Expires after `ttlSeconds` when given (> 0; fractions
   * are rounded up to whole milliseconds); without it, any previous expiry is cleared, as SET does.
   */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(...keys: string[]): Promise<number>;
  /**
   * Atomically counts a hit in a fixed window: increments `key`, starting its expiry of `windowMs` when
   * the key has none (new, or written by `set`). Returns the count in this window and the milliseconds
   * until the window ends. `windowMs` is a positive integer. `weight` (default 1) counts one hit as
   * several, e.g. a mutation against a rate limit.
   */
  hit(key: string, windowMs: number, weight?: number): Promise<{ count: number; resetInMs: number }>;
  /**
   * Sorted sets (leaderboards), ordered like Redis: by score, then by member bytes (UTF-8, so code
   * points). `only: 'GT'` keeps the higher of the old and new score and still adds new members (ZADD GT).
   * Using a key as the wrong type rejects with Redis's `WRONGTYPE` error on both implementations.
   */
  zadd(key: string, score: number, member: string, only?: 'GT'): Promise<void>;
  zincrby(key: string, increment: number, member: string): Promise<number>;
  zscore(key: string, member: string): Promise<number | null>;
  /**
   * Members from the highest score down (equal scores in reverse member order), ranks `start..stop`
   * inclusive: 0-based, negative counting from the end, like ZRANGE REV.
   */
  zrevrange(key: string, start: number, stop: number): Promise<Array<{ member: string; score: number }>>;
  /** 0-based rank from the highest score, or null when absent. */
  zrevrank(key: string, member: string): Promise<number | null>;
  zcard(key: string): Promise<number>;
  /** True when the store answers (readiness); false, never a throw, when it does not within a second. */
  ping(): Promise<boolean>;
  /** Idempotent; afterwards every command rejects and `ping` answers false. */
  close(): Promise<void>;
}
