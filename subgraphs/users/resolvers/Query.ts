import type { QueryResolvers } from '../generated/resolvers.ts';

export const Query: QueryResolvers = {
  me: (_parent, _args, { userId, loaders }) => (userId ? loaders.userById.load(userId) : null),
  user: (_parent, { id }, { loaders }) => loaders.userById.load(id),
};
