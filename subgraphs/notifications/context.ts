import type { RequestContext } from '../../lib/subgraph.ts';
import type { LiveHub } from './live.ts';
import type { NotificationLoaders } from './loaders.ts';
import type { NotificationsService } from './service.ts';

export interface Context extends RequestContext {
  notifications: NotificationsService;
  live: LiveHub;
  loaders: NotificationLoaders;
}
