import { requireCaller } from '../../../lib/subgraph.ts';
import type { MutationResolvers } from '../generated/resolvers.ts';

export const Mutation: MutationResolvers = {
  register: (_parent, { input }, { users, requestId }) => users.register(input, requestId),
  login: (_parent, { email, password }, { users }) => users.login(email, password),
  updateProfile: (_parent, { input }, context) => context.users.updateProfile(requireCaller(context), input, context.requestId),
  setSkills: (_parent, { skills }, context) => context.users.setSkills(requireCaller(context), skills, context.requestId),
};
