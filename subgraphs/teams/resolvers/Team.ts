import { ForbiddenError } from '../../../lib/errors.ts';
import { requireCaller } from '../../../lib/subgraph.ts';
import type { TeamResolvers } from '../generated/resolvers.ts';
import { skillNamesOf } from '../replica.ts';
import { matchSkills } from '../skill-match.ts';

export const Team: TeamResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.teamById.load(id),
  isOpen: (team) => team.memberCount < team.maxMembers,
  leader: (team) => ({ id: team.leaderId }),
  members: async (team, _args, { loaders }) => (await loaders.memberIdsByTeamId.load(team.id)).map((id) => ({ id })),
  skillMatch: async (team, _args, { userId, loaders }) => {
    if (!userId) return null;
    return matchSkills(team.requiredSkills, skillNamesOf(await loaders.userReplicaById.load(userId)));
  },
  joinRequests: (team, { status }, context) => {
    if (team.leaderId !== requireCaller(context)) throw new ForbiddenError("Only the team leader can see the team's join requests");
    return context.loaders.joinRequestsByTeam.load({ teamId: team.id, status: status ?? null });
  },
};
