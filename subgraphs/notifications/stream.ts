import type { NotificationRow } from './db/schema.ts';
import type { LiveHub } from './live.ts';
import type { NotificationCreated, NotificationsService } from './service.ts';

const BACKLOG_BATCH = 100;

const toRow = (created: NotificationCreated): NotificationRow => ({ ...created, createdAt: new Date(created.createdAt) });

/**
 * The caller's notifications as one ordered stream: what they missed after `afterSeq` (oldest first),
 * then live. It listens before it reads, so nothing created meanwhile is lost, and it keeps the
 * recipient's own order, gap-free, whatever order the live copies arrive in: several instances publish
 * them, each from its own outbox. A live notification beyond the next number means the ones between
 * are committed (a recipient's numbers are taken in commit order) but still on their way, or muted:
 * the database has them, in order. Anything at or before the last number sent is a duplicate.
 * Without `afterSeq`, the stream starts after the recipient's newest notification.
 */
export async function* notificationStream(
  service: NotificationsService,
  hub: LiveHub,
  recipientId: string,
  afterSeq: number | undefined,
): AsyncGenerator<NotificationRow> {
  const live = hub.listen(recipientId);
  try {
    let last = afterSeq ?? (await service.lastSeq(recipientId));
    const catchUp = async function* () {
      for (;;) {
        const batch = await service.since(recipientId, last, BACKLOG_BATCH);
        for (const row of batch) {
          last = row.seq;
          yield row;
        }
        if (batch.length < BACKLOG_BATCH) return;
      }
    };
    if (afterSeq !== undefined) yield* catchUp();
    for await (const created of live) {
      if (created.seq <= last) continue;
      if (created.seq === last + 1) {
        last = created.seq;
        if (!created.muted) yield toRow(created);
      } else {
        yield* catchUp();
      }
    }
  } finally {
    live.close();
  }
}
