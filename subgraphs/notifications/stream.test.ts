import { describe, expect, it } from 'vitest';
import type { NotificationRow } from './db/schema.ts';
import { createLiveHub } from './live.ts';
import type { NotificationCreated, NotificationsService } from './service.ts';
import { notificationStream } from './stream.ts';

const RECIPIENT = '00000000-0000-4000-8000-000000000001';

/** The stored notifications of one recipient, as the database would answer `since` and `lastSeq`. */
function storedNotifications(rows: Array<{ seq: number; muted?: boolean }>) {
  const stored: NotificationRow[] = rows.map(({ seq, muted = false }) => ({
    id: `n${seq}`, recipientId: RECIPIENT, seq, kind: 'QUIZ_SCORED', title: `#${seq}`, body: '', read: muted, muted,
    subjectType: null, subjectId: null, eventId: `e${seq}`, createdAt: new Date(0),
  }));
  const service = {
    lastSeq: async () => 0,
    since: async (_recipient: string, after: number, limit: number) => stored.filter((row) => row.seq > after && !row.muted).slice(0, limit),
  } as unknown as NotificationsService;
  const created = (seq: number): NotificationCreated => ({ ...stored.find((row) => row.seq === seq)!, createdAt: new Date(0).toISOString() });
  return { service, created };
}

async function take(stream: AsyncGenerator<NotificationRow>, count: number) {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await stream.next()).value!.seq);
  return seen;
}

describe('notification stream', () => {
  it('keeps the recipient’s order when live copies arrive out of order, with no gap and no duplicate', async () => {
    const hub = createLiveHub();
    const { service, created } = storedNotifications([{ seq: 1 }, { seq: 2 }, { seq: 3 }, { seq: 4 }]);
    const stream = notificationStream(service, hub, RECIPIENT, undefined);
    const first = stream.next(); // starts listening
    await new Promise((resolve) => setImmediate(resolve));
    // Two instances published 1..4: 2 overtook 1, and 4 overtook 3.
    for (const seq of [2, 1, 4, 3]) hub.publish(created(seq));
    expect([(await first).value!.seq, ...(await take(stream, 3))]).toEqual([1, 2, 3, 4]);
    await stream.return(undefined);
  });

  it('skips a muted number without stalling on the gap it leaves', async () => {
    const hub = createLiveHub();
    const { service, created } = storedNotifications([{ seq: 1 }, { seq: 2, muted: true }, { seq: 3 }]);
    const stream = notificationStream(service, hub, RECIPIENT, undefined);
    const first = stream.next();
    await new Promise((resolve) => setImmediate(resolve));
    for (const seq of [1, 3, 2]) hub.publish(created(seq));
    expect([(await first).value!.seq, ...(await take(stream, 1))]).toEqual([1, 3]);
    await stream.return(undefined);
  });
});
