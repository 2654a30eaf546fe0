import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import type { SubgraphModule } from '../../lib/subgraph.ts';
import type { Context } from './context.ts';
import { createJoinRequestsService } from './join-requests.ts';
import { createTeamLoaders } from './loaders.ts';
import { createUserReplica } from './replica.ts';
import { resolvers } from './resolvers/index.ts';
import { createTeamsService } from './service.ts';

/** Hackathon teams formed by skill match: teams, join requests, membership, and a replica of users' skills. */
export const teamsSubgraph: SubgraphModule<Context> = {
  name: 'teams',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  resolvers,
  migrationsFolder: fileURLToPath(new URL('./db/migrations', import.meta.url)),
  create(deps) {
    const teams = createTeamsService(deps);
    const joinRequests = createJoinRequestsService(deps);
    const replica = createUserReplica(deps.db);
    return {
      context: (request) => ({ ...request, teams, joinRequests, loaders: createTeamLoaders({ teams, joinRequests, replica }) }),
      consumers: [replica.consumer],
    };
  },
};
