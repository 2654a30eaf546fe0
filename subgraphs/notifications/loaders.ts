import DataLoader from 'dataloader';
import type { NotificationRow } from './db/schema.ts';
import type { NotificationsService } from './service.ts';

export interface NotificationLoaders {
  notificationById: DataLoader<string, NotificationRow | null>;
}

export function createNotificationLoaders(service: NotificationsService): NotificationLoaders {
  return {
    notificationById: new DataLoader(async (ids) => {
      const rows = new Map((await service.byIds(ids)).map((row) => [row.id, row]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
  };
}
