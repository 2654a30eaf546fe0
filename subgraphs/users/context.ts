import type { RequestContext } from '../../lib/subgraph.ts';
import type { UserLoaders } from './loaders.ts';
import type { UsersService } from './service.ts';

export interface Context extends RequestContext {
  users: UsersService;
  loaders: UserLoaders;
}
