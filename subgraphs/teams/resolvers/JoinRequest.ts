import type { JoinRequestResolvers } from '../generated/resolvers.ts';

export const JoinRequest: JoinRequestResolvers = {
  /** Only its requester and the team's leader see a join request; to anyone else it does not exist. */
  __resolveReference: async ({ id }, { userId, loaders }) => {
    const found = await loaders.joinRequestById.load(id);
    return found && (userId === found.request.userId || userId === found.leaderId) ? found.request : null;
  },
  team: async (request, _args, { loaders }) => {
    const team = await loaders.teamById.load(request.teamId);
    // Never missing: dissolving a team deletes its join requests in the same transaction.
    if (!team) throw new Error(`Team ${request.teamId} of join request ${request.id} is missing`);
    return team;
  },
  user: (request) => ({ id: request.userId }),
};
