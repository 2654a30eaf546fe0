import type { RequestContext } from '../../lib/subgraph.ts';
import type { JoinRequestsService } from './join-requests.ts';
import type { TeamLoaders } from './loaders.ts';
import type { TeamsService } from './service.ts';

export interface Context extends RequestContext {
  teams: TeamsService;
  joinRequests: JoinRequestsService;
  loaders: TeamLoaders;
}
