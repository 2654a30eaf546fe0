import { requireCaller } from '../../../lib/subgraph.ts';
import type { Context } from '../context.ts';
import type { MutationResolvers } from '../generated/resolvers.ts';
import type { AuthResult } from '../service.ts';

/** Signing in makes the rest of this operation the new user's own: `register { user { email } }` shows the email. */
function signedIn(context: Context, result: AuthResult): AuthResult {
  context.userId = result.user.id;
  return result;
}

export const Mutation: MutationResolvers = {
  register: async (_parent, { input }, context) => signedIn(context, await context.users.register(input, context.requestId)),
  login: async (_parent, { email, password }, context) => signedIn(context, await context.users.login(email, password)),
  updateProfile: (_parent, { input }, context) => context.users.updateProfile(requireCaller(context), input, context.requestId),
  setSkills: (_parent, { skills }, context) => context.users.setSkills(requireCaller(context), skills, context.requestId),
};
