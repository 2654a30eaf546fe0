/**
 * `npm run leaderboards:rebuild`: rebuilds every quiz leaderboard and the global one in Redis from the
 * quizzes database, e.g. after Redis lost its data. Safe while the service runs: scores that land
 * during the rebuild are kept. (The quizzes service also does this by itself at start when it finds a
 * leaderboard incomplete.)
 */
import { createCache } from '../../lib/cache/index.ts';
import { ConfigError, loadConfig } from '../../lib/config.ts';
import { databaseTargetFor, openDatabase } from '../../lib/db/index.ts';
import { createLeaderboards } from './leaderboards.ts';
import { QUIZZES_MIGRATIONS } from './index.ts';

async function main(): Promise<number> {
  const config = loadConfig();
  const target = databaseTargetFor(config, 'quizzes');
  if (!config.redis.url || target.kind !== 'postgres') {
    // The embedded default keeps leaderboards in the memory of the running process, and its PGlite
    // database cannot be opened by a second process: there, a restart rebuilds them.
    console.error('leaderboards:rebuild needs REDIS_URL and the quizzes database on PostgreSQL (DATABASE_URL or QUIZZES_DATABASE_URL)');
    return 1;
  }
  const database = await openDatabase(target, { migrationsFolder: QUIZZES_MIGRATIONS });
  const cache = createCache(config.redis);
  try {
    const { quizEntries, globalEntries } = await createLeaderboards(database.db, cache).rebuild({ reset: true });
    console.log(`Leaderboards rebuilt: ${quizEntries} quiz entries, ${globalEntries} global entries`);
    return 0;
  } finally {
    await cache.close();
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
