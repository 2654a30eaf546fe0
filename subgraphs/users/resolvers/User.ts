import type { UserResolvers } from '../generated/resolvers.ts';

export const User: UserResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.userById.load(id),
  /** Private: only the user sees their own email. */
  email: (user, _args, { userId }) => (user.id === userId ? user.email : null),
};
