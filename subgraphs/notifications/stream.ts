import type { NotificationRow } from './db/schema.ts';
import type { LiveHub } from './live.ts';
import type { NotificationCreated, NotificationsService } from './service.ts';

const BACKLOG_BATCH = 100;

const toRow = (created: NotificationCreated): NotificationRow => ({ ...created, createdAt: new Date(created.createdAt) });

/**
 * The caller's notifications as one ordered stream: what they missed after `afterSeq` (oldest first),
 * then live. It listens before it reads the backlog, so a notification created meanwhile is buffered
 * rather than lost, and drops anything at or before the last sequence number it delivered, so nothing
 * comes twice.
 */
export async function* notificationStream(
  service: NotificationsService,
  hub: LiveHub,
  recipientId: string,
  afterSeq: number | undefined,
): AsyncGenerator<NotificationRow> {
  const live = hub.listen(recipientId);
  try {
    let last = afterSeq;
    if (last !== undefined) {
      for (;;) {
        const batch = await service.since(recipientId, last, BACKLOG_BATCH);
        for (const row of batch) {
          last = row.seq;
          yield row;
        }
        if (batch.length < BACKLOG_BATCH) break;
      }
    }
    for await (const created of live) {
      if (created.muted || (last !== undefined && created.seq <= last)) continue;
      last = created.seq;
      yield toRow(created);
    }
  } finally {
    live.close();
  }
}
