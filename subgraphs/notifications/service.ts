import { and, asc, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { claimMessage } from '../../lib/bus/inbox.ts';
import type { Transaction } from '../../lib/db/index.ts';
import { BadUserInputError, ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import type { EventEnvelope } from '../../lib/events.ts';
import type { SubgraphDeps } from '../../lib/subgraph.ts';
import { isUuid } from '../../lib/validation.ts';
import { notifications, preferences, recipientSequences, type NotificationRow } from './db/schema.ts';
import type { NotificationKind } from './generated/resolvers.ts';
import { notificationsFor, type NotificationDraft } from './recipients.ts';

export const EVENTS_QUEUE = 'notifications.events';
export const NOTIFICATION_CREATED = 'notification.created';
const MAX_PAGE = 100;

/** What `notification.created` carries: the stored notification, so every instance can push it as is. */
export type NotificationCreated = Omit<NotificationRow, 'createdAt'> & { createdAt: string };

export const encodeCursor = (seq: number) => Buffer.from(`n:${seq}`).toString('base64url');
export function decodeCursor(cursor: string, field: string): number {
  const match = /^n:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new BadUserInputError('Not a notification cursor', field);
  return Number(match[1]);
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;

export function createNotificationsService(deps: SubgraphDeps) {
  const { db } = deps;

  async function mutedKinds(executor: Transaction | typeof db, userId: string): Promise<Set<string>> {
    const rows = await executor.select({ kind: preferences.mutedKind }).from(preferences).where(eq(preferences.userId, userId));
    return new Set(rows.map((row) => row.kind));
  }

  /** Stores one notification at the end of its recipient's sequence, and announces it through the outbox. */
  async function store(tx: Transaction, event: EventEnvelope, draft: NotificationDraft, emit: (data: NotificationCreated) => Promise<void>) {
    const [sequence] = await tx
      .insert(recipientSequences)
      .values({ recipientId: draft.recipientId, lastSeq: 1 })
      .onConflictDoUpdate({ target: recipientSequences.recipientId, set: { lastSeq: sql`${recipientSequences.lastSeq} + 1` } })
      .returning();
    const muted = (await mutedKinds(tx, draft.recipientId)).has(draft.kind);
    const [row] = await tx
      .insert(notifications)
      .values({
        id: crypto.randomUUID(),
        recipientId: draft.recipientId,
        seq: sequence!.lastSeq,
        kind: draft.kind,
        title: draft.title,
        body: draft.body,
        read: muted,
        muted,
        subjectType: draft.subject?.type ?? null,
        subjectId: draft.subject?.id ?? null,
        eventId: event.id,
      })
      .onConflictDoNothing()
      .returning();
    if (row) await emit({ ...row, createdAt: row.createdAt.toISOString() });
  }

  return {
    /**
     * Creates the notifications an event causes, once: the inbox and the unique (event, recipient, kind)
     * index both stand between a redelivery and a second notification.
     */
    async handleEvent(event: EventEnvelope): Promise<void> {
      const drafts = notificationsFor(event);
      if (drafts.length === 0) return;
      await deps.transaction(event.correlationId, async ({ tx, emit }) => {
        if (!(await claimMessage(tx, EVENTS_QUEUE, event.id))) return;
        for (const draft of drafts) await store(tx, event, draft, (data) => emit(NOTIFICATION_CREATED, data));
      });
    },

    async byIds(ids: readonly string[]): Promise<NotificationRow[]> {
      const valid = ids.filter(isUuid);
      return valid.length ? db.select().from(notifications).where(inArray(notifications.id, valid)) : [];
    },

    /** Newest first, keyset-paginated on the recipient's sequence. */
    async page(userId: string, args: { first: number; after?: string | null; unreadOnly: boolean }) {
      if (!Number.isInteger(args.first) || args.first < 0 || args.first > MAX_PAGE) throw new BadUserInputError(`first must be from 0 to ${MAX_PAGE}`, 'first');
      const before = args.after ? decodeCursor(args.after, 'after') : undefined;
      const rows = await db
        .select()
        .from(notifications)
        .where(and(eq(notifications.recipientId, userId), before === undefined ? undefined : lt(notifications.seq, before), args.unreadOnly ? eq(notifications.read, false) : undefined))
        .orderBy(desc(notifications.seq))
        .limit(args.first + 1);
      const nodes = rows.slice(0, args.first);
      return {
        edges: nodes.map((node) => ({ cursor: encodeCursor(node.seq), node })),
        pageInfo: { hasNextPage: rows.length > args.first, endCursor: nodes.length ? encodeCursor(nodes.at(-1)!.seq) : null },
      };
    },

    /** What a reconnecting subscriber missed: pushed notifications after `seq`, oldest first. */
    async since(userId: string, seq: number, limit: number): Promise<NotificationRow[]> {
      return db
        .select()
        .from(notifications)
        .where(and(eq(notifications.recipientId, userId), gt(notifications.seq, seq), eq(notifications.muted, false)))
        .orderBy(asc(notifications.seq))
        .limit(limit);
    },

    /** The number of the recipient's newest notification, 0 before the first. */
    async lastSeq(userId: string): Promise<number> {
      const [row] = await db.select({ lastSeq: recipientSequences.lastSeq }).from(recipientSequences).where(eq(recipientSequences.recipientId, userId));
      return row?.lastSeq ?? 0;
    },

    async unreadCount(userId: string): Promise<number> {
      const [row] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(notifications)
        .where(and(eq(notifications.recipientId, userId), eq(notifications.read, false)));
      return row?.count ?? 0;
    },

    async markRead(userId: string, id: string): Promise<NotificationRow> {
      const [existing] = isUuid(id) ? await db.select().from(notifications).where(eq(notifications.id, id)) : [];
      if (!existing) throw new NotFoundError('Notification', id);
      if (existing.recipientId !== userId) throw new ForbiddenError('Only its recipient can mark a notification read');
      if (existing.read) return existing;
      const [updated] = await db.update(notifications).set({ read: true }).where(eq(notifications.id, id)).returning();
      return updated!;
    },

    async markAllRead(userId: string): Promise<number> {
      const changed = await db
        .update(notifications)
        .set({ read: true })
        .where(and(eq(notifications.recipientId, userId), eq(notifications.read, false)))
        .returning({ id: notifications.id });
      return changed.length;
    },

    async mutedKinds(userId: string): Promise<NotificationKind[]> {
      return [...(await mutedKinds(db, userId))].sort() as NotificationKind[];
    },

    async setMuted(userId: string, kinds: readonly NotificationKind[]): Promise<NotificationKind[]> {
      const unique = [...new Set(kinds)].sort();
      await db.transaction(async (tx) => {
        await tx.delete(preferences).where(eq(preferences.userId, userId));
        if (unique.length) await tx.insert(preferences).values(unique.map((mutedKind) => ({ userId, mutedKind })));
      });
      return unique;
    },
  };
}
