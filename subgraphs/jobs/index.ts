import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import type { SubgraphModule } from '../../lib/subgraph.ts';
import type { Context } from './context.ts';
import { createJobLoaders } from './loaders.ts';
import { createJobsReads } from './reads.ts';
import { resolvers } from './resolvers/index.ts';
import { createJobsService } from './service.ts';

/** The freelance marketplace: jobs, proposals with milestones, and the contracts they turn into. */
export const jobsSubgraph: SubgraphModule<Context> = {
  name: 'jobs',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  resolvers,
  migrationsFolder: fileURLToPath(new URL('./db/migrations', import.meta.url)),
  create(deps) {
    const reads = createJobsReads(deps.db);
    const jobs = createJobsService(deps, reads);
    return {
      context: (request) => ({ ...request, jobs, reads, loaders: createJobLoaders(reads, request.userId) }),
    };
  },
};
