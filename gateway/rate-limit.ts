import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { OperationTypeNode } from 'graphql';
import type { Cache } from '../lib/cache/types.ts';
import type { Config } from '../lib/config.ts';
import { RateLimitedError } from '../lib/errors.ts';

const WINDOW_MS = 60_000;

/** Who a request counts against: the user when signed in, else the client's IP. */
export interface RateLimitSubject {
  userId: string | null;
  clientIp: string;
}

export type RateLimiter = (subject: RateLimitSubject, operation: OperationTypeNode) => Promise<RateLimitedError | undefined>;

/**
 * A fixed one-minute window per user (or IP) in the shared cache, so every gateway instance counts
 * together. A mutation weighs `mutationWeight` requests.
 */
export function createRateLimiter(cache: Cache, options: Config['rateLimit']): RateLimiter {
  return async ({ userId, clientIp }, operation) => {
    const key = userId ? `ratelimit:user:${userId}` : `ratelimit:ip:${clientIp}`;
    const weight = operation === 'mutation' ? options.mutationWeight : 1;
    const { count, resetInMs } = await cache.hit(key, WINDOW_MS, weight);
    if (count <= options.perMinute) return undefined;
    return new RateLimitedError(Math.max(1, Math.ceil(resetInMs / 1000)));
  };
}

/** Refuses an operation over the limit with 429, RATE_LIMITED and Retry-After, before it runs. */
export function rateLimitPlugin<TContext extends RateLimitSubject>(limiter: RateLimiter): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (!operation) return;
          const refused = await limiter(contextValue, operation.operation);
          if (!refused) return;
          const retryAfter = String(refused.extensions.retryAfterSeconds);
          Object.assign(refused.extensions, { http: { status: 429, headers: new HeaderMap([['retry-after', retryAfter]]) } });
          throw refused;
        },
      };
    },
  };
}
