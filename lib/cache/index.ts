import type { Config } from '../config.ts';
import { createInProcessCache } from './in-process.ts';
import { createRedisCache } from './redis.ts';
import type { Cache } from './types.ts';

export type { Cache } from './types.ts';

/** Redis when `REDIS_URL` is set, the in-process store otherwise: same interface, same semantics. */
export function createCache(
  config: Config['redis'],
  options: { onError?: (error: Error) => void } = {},
): Cache {
  return config.url
    ? createRedisCache(config.url, { keyPrefix: config.keyPrefix, onError: options.onError })
    : createInProcessCache({ keyPrefix: config.keyPrefix });
}
