import type { SubgraphName } from '../lib/config.ts';
import type { RequestContext, SubgraphModule } from '../lib/subgraph.ts';
import { jobsSubgraph } from './jobs/index.ts';
import { usersSubgraph } from './users/index.ts';

/** Every subgraph this build serves, by name. */
export const subgraphModules: Partial<Record<SubgraphName, SubgraphModule<RequestContext>>> = {
  users: usersSubgraph as unknown as SubgraphModule<RequestContext>,
  jobs: jobsSubgraph as unknown as SubgraphModule<RequestContext>,
};
