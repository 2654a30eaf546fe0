import { sql } from 'drizzle-orm';
import { bigint, boolean, index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export { inbox, outbox } from '../../../lib/db/messaging.ts';

export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    recipientId: uuid('recipient_id').notNull(),
    /** Position in the recipient's own sequence: the cursor, gap-free and in commit order per recipient. */
    seq: bigint('seq', { mode: 'number' }).notNull(),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    read: boolean('read').notNull().default(false),
    /** Muted when created: stored (as read) but never pushed or replayed. */
    muted: boolean('muted').notNull().default(false),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    /** The event that caused it: one notification per event, recipient and kind, whatever the redeliveries. */
    eventId: text('event_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('notifications_recipient_seq_key').on(table.recipientId, table.seq),
    uniqueIndex('notifications_event_recipient_kind_key').on(table.eventId, table.recipientId, table.kind),
    index('notifications_unread_idx').on(table.recipientId, table.seq).where(sql`NOT ${table.read}`),
  ],
);

/** Each recipient's last sequence number; its row lock orders concurrent notifications for one recipient. */
export const recipientSequences = pgTable('recipient_sequences', {
  recipientId: uuid('recipient_id').primaryKey(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
});

export const preferences = pgTable(
  'notification_preferences',
  {
    userId: uuid('user_id').notNull(),
    mutedKind: text('muted_kind').notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.mutedKind] })],
);

export type NotificationRow = typeof notifications.$inferSelect;
