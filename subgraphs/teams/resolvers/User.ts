import type { UserResolvers } from '../generated/resolvers.ts';

export const User: UserResolvers = {
  teams: (user, _args, { loaders }) => loaders.teamsByMemberId.load(user.id),
};
