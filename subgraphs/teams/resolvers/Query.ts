import { pageSize } from '../../../lib/pagination.ts';
import { requireCaller } from '../../../lib/subgraph.ts';
import type { QueryResolvers } from '../generated/resolvers.ts';
import { skillNamesOf } from '../replica.ts';

const RECOMMENDED_DEFAULT = 10;

export const Query: QueryResolvers = {
  team: (_parent, { id }, { loaders }) => loaders.teamById.load(id),
  teams: (_parent, { filter, first, after }, { teams }) => teams.list(filter, pageSize(first), after),
  recommendedTeams: async (_parent, { first }, context) => {
    const callerId = requireCaller(context);
    const size = pageSize(first, 'first', RECOMMENDED_DEFAULT);
    // Through the loader: `skillMatch` on the teams returned reads the same row without another query.
    const caller = await context.loaders.userReplicaById.load(callerId);
    return context.teams.recommended(callerId, skillNamesOf(caller), size);
  },
};
