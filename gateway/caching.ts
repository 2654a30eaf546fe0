import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Cache } from '../lib/cache/types.ts';

/**
 * Apollo's key-value cache over the shared cache (Redis, or in-process on the embedded default), for
 * automatic persisted queries and the response cache; `namespace` keeps their keys apart.
 */
export function keyValueCache(cache: Cache, namespace: string): KeyValueCache<string> {
  return {
    async get(key) {
      return (await cache.get(`${namespace}${key}`)) ?? undefined;
    },
    async set(key, value, options) {
      await cache.set(`${namespace}${key}`, value, options?.ttl ?? undefined);
    },
    async delete(key) {
      return (await cache.del(`${namespace}${key}`)) > 0;
    },
  };
}
