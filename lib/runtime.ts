import { createTokenVerifier, loadKeyPem, type TokenVerifier } from './auth.ts';
import { createBus, type Bus } from './bus/index.ts';
import { createCache, type Cache } from './cache/index.ts';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';

/**
 * The infrastructure one process shares between the services it runs: built once at start and handed
 * to each service, never reached for as a global.
 */
export interface Runtime {
  config: Config;
  logger: Logger;
  bus: Bus;
  cache: Cache;
  keys: { publicKey: string; privateKey?: string };
  verifier: TokenVerifier;
  close(): Promise<void>;
}

export async function createRuntime(config: Config, logger = createLogger({ level: config.logLevel })): Promise<Runtime> {
  const keys = await loadKeyPem(config);
  const verifier = await createTokenVerifier(keys.publicKey, config.jwt.issuer);
  const bus = await createBus(config.amqp, logger.child({ component: 'bus' }));
  const cache = createCache(config.redis, { onError: (error) => logger.warn({ err: error }, 'redis error') });
  return {
    config,
    logger,
    bus,
    cache,
    keys,
    verifier,
    async close() {
      await Promise.allSettled([bus.close(), cache.close()]);
    },
  };
}
