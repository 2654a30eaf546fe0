import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { createTokenSigner } from '../../lib/auth.ts';
import type { SubgraphModule } from '../../lib/subgraph.ts';
import type { Context } from './context.ts';
import { createUserLoaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { createUsersService } from './service.ts';

/** Accounts, profiles and declared skills; signs the tokens every other service verifies. */
export const usersSubgraph: SubgraphModule<Context> = {
  name: 'users',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  resolvers,
  migrationsFolder: fileURLToPath(new URL('./db/migrations', import.meta.url)),
  async create(deps) {
    const { privateKey } = deps.runtime.keys;
    if (!privateKey) throw new Error('The users subgraph signs tokens: set JWT_PRIVATE_KEY (with JWT_PUBLIC_KEY)');
    const signer = await createTokenSigner(privateKey, deps.runtime.config.jwt);
    const users = createUsersService(deps, signer);
    return {
      context: (request) => ({ ...request, users, loaders: createUserLoaders(users) }),
    };
  },
};
