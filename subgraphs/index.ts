import type { SubgraphName } from '../lib/config.ts';
import type { RequestContext, SubgraphModule } from '../lib/subgraph.ts';
import { jobsSubgraph } from './jobs/index.ts';
import { teamsSubgraph } from './teams/index.ts';
import { quizzesSubgraph } from './quizzes/index.ts';
import { notificationsSubgraph } from './notifications/index.ts';
import { usersSubgraph } from './users/index.ts';

/** Every subgraph this build serves, by name. */
export const subgraphModules: Partial<Record<SubgraphName, SubgraphModule<RequestContext>>> = {
  users: usersSubgraph as unknown as SubgraphModule<RequestContext>,
  jobs: jobsSubgraph as unknown as SubgraphModule<RequestContext>,
  teams: teamsSubgraph as unknown as SubgraphModule<RequestContext>,
  quizzes: quizzesSubgraph as unknown as SubgraphModule<RequestContext>,
  notifications: notificationsSubgraph as unknown as SubgraphModule<RequestContext>,
};
