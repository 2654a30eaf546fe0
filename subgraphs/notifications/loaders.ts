import DataLoader from 'dataloader';
import { oneByKey } from '../../lib/loaders.ts';
import type { NotificationRow } from './db/schema.ts';
import type { NotificationsService } from './service.ts';

export interface NotificationLoaders {
  notificationById: DataLoader<string, NotificationRow | null>;
}

export function createNotificationLoaders(service: NotificationsService): NotificationLoaders {
  return {
    notificationById: new DataLoader(async (ids) => oneByKey(ids, await service.byIds(ids), (row) => row.id)),
  };
}
