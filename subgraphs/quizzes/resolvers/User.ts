import type { UserResolvers } from '../generated/resolvers.ts';

export const User: UserResolvers = {
  quizStats: (user, _args, { loaders }) => loaders.statsByUser.load(user.id),
  verifiedSkills: async (user, _args, { loaders }) => (await loaders.statsByUser.load(user.id)).verifiedSkills,
};
