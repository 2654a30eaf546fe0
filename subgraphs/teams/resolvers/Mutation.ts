import { requireCaller } from '../../../lib/subgraph.ts';
import type { MutationResolvers } from '../generated/resolvers.ts';

export const Mutation: MutationResolvers = {
  createTeam: (_parent, { input }, context) => context.teams.create(requireCaller(context), input, context.requestId),
  requestToJoin: (_parent, { teamId, message }, context) => context.joinRequests.request(requireCaller(context), teamId, message, context.requestId),
  acceptJoinRequest: (_parent, { id }, context) => context.joinRequests.accept(requireCaller(context), id, context.requestId),
  rejectJoinRequest: (_parent, { id }, context) => context.joinRequests.reject(requireCaller(context), id, context.requestId),
  cancelJoinRequest: (_parent, { id }, context) => context.joinRequests.cancel(requireCaller(context), id, context.requestId),
  leaveTeam: (_parent, { teamId }, context) => context.teams.leave(requireCaller(context), teamId, context.requestId),
};
