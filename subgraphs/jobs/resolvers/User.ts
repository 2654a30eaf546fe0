import type { UserResolvers } from '../generated/resolvers.ts';

/** Each list is the caller's own: someone else's jobs, proposals and contracts are [] here. */
export const User: UserResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  jobs: (user, _args, { userId, loaders }) => (user.id === userId ? loaders.jobsByClient.load(user.id) : []),
  proposals: (user, _args, { userId, loaders }) => (user.id === userId ? loaders.proposalsByFreelancer.load(user.id) : []),
  contracts: (user, _args, { userId, loaders }) => (user.id === userId ? loaders.contractsByParty.load(user.id) : []),
};
