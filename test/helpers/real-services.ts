import { Redis } from 'ioredis';
import pg from 'pg';
import { withDatabase } from '../../lib/db/index.ts';
import { realServices, uniqueName } from './services.ts';

/**
 * Environment that puts a stack on the real services, isolated from every other test run: its own
 * databases (`<prefix>_<subgraph>`), exchange, queues and Redis keys. `cleanup` removes them.
 */
export function realServicesEnv(include: { database?: boolean; amqp?: boolean; redis?: boolean } = { database: true, amqp: true, redis: true }) {
  const prefix = uniqueName('sgt');
  const env: Record<string, string> = {};
  if (include.database && realServices.databaseUrl) {
    env.DATABASE_URL = realServices.databaseUrl;
    env.DATABASE_NAME_PREFIX = `${prefix}_`;
  }
  if (include.amqp && realServices.amqpUrl) {
    env.AMQP_URL = realServices.amqpUrl;
    env.EVENTS_EXCHANGE = `${prefix}.events`;
    env.AMQP_QUEUE_PREFIX = `${prefix}.`;
    env.EVENT_RETRY_DELAY_MS = '100';
  }
  if (include.redis && realServices.redisUrl) {
    env.REDIS_URL = realServices.redisUrl;
    env.REDIS_KEY_PREFIX = `${prefix}:`;
  }
  return { prefix, env, cleanup: () => dropDatabases(`${prefix}_`) };
}

/** Drops every database whose name starts with `prefix` (the test's own). */
export async function dropDatabases(prefix: string, serverUrl = realServices.databaseUrl): Promise<void> {
  if (!serverUrl) return;
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Removes every Redis key that starts with `keyPrefix` (the test's own). */
export async function removeRedisKeys(keyPrefix: string): Promise<void> {
  const admin = new Redis(realServices.redisUrl!);
  try {
    for await (const keys of admin.scanStream({ match: `${keyPrefix}*`, count: 100 })) {
      if ((keys as string[]).length > 0) await admin.del(...(keys as string[]));
    }
  } finally {
    await admin.quit();
  }
}
