import { randomBytes } from 'node:crypto';

/**
 * Real services for the suites that need them. Each is set by `.ci/run` (and by a developer who wants
 * them); a suite that needs one it does not have is skipped, and says so.
 */
export const realServices = {
  databaseUrl: process.env.TEST_DATABASE_URL || undefined,
  amqpUrl: process.env.TEST_AMQP_URL || undefined,
  redisUrl: process.env.TEST_REDIS_URL || undefined,
};

/** A name no other test run uses: for databases, exchanges, queues and key prefixes on shared services. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
