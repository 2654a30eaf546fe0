import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import type { SubgraphModule } from '../../lib/subgraph.ts';
import { loadCatalog } from './catalog.ts';
import type { Context } from './context.ts';
import { evaluationConsumer } from './evaluation.ts';
import { createLeaderboards } from './leaderboards.ts';
import { createQuizLoaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { createQuizzesService, systemClock } from './service.ts';

export const QUIZZES_MIGRATIONS = fileURLToPath(new URL('./db/migrations', import.meta.url));

/** Skill quizzes scored asynchronously, leaderboards in Redis, verified skills on User. */
export const quizzesSubgraph: SubgraphModule<Context> = {
  name: 'quizzes',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  resolvers,
  migrationsFolder: QUIZZES_MIGRATIONS,
  async create(deps) {
    await loadCatalog(deps.db);
    const quizzes = createQuizzesService(deps);
    const { cache } = deps.runtime;
    const leaderboards = createLeaderboards(deps.db, cache);
    try {
      if (await leaderboards.restoreIfIncomplete()) deps.logger.info('leaderboards rebuilt from the database');
    } catch (error) {
      // Serving quizzes does not need the cache; leaderboards catch up with the next scores or a rebuild.
      deps.logger.error({ err: error }, 'could not check the leaderboards against the database');
    }
    return {
      context: (request) => ({ ...request, quizzes, leaderboards, loaders: createQuizLoaders(quizzes) }),
      consumers: [evaluationConsumer(deps, leaderboards, systemClock)],
      readiness: { cache: () => cache.ping() },
    };
  },
};
