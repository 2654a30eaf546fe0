import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import { check, customType, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { SkillPayload } from '../../../lib/event-types.ts';

export { inbox, outbox } from '../../../lib/db/messaging.ts';

/** Millisecond precision, like a JS Date: a cursor built from a row's `createdAt` finds that row again exactly. */
const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const teams = pgTable(
  'teams',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    hackathon: text('hackathon'),
    /** Normalized skill names (trimmed, lower-case), in the order the leader gave them. */
    requiredSkills: text('required_skills').array().notNull(),
    maxMembers: integer('max_members').notNull(),
    /**
     * Kept with the team and changed in the transaction that adds or removes a member, under the team's
     * row lock: `isOpen` and the open-only filter read it without counting, and an index can serve them.
     */
    memberCount: integer('member_count').notNull(),
    leaderId: uuid('leader_id').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    /** Words of the name and description for `filter.search` (`simple`: no stemming, any language). */
    searchVector: tsvector('search_vector')
      .notNull()
      .generatedAlwaysAs((): SQL => sql`to_tsvector('simple', ${teams.name} || ' ' || ${teams.description})`),
  },
  (table) => [
    check('teams_capacity_check', sql`${table.maxMembers} BETWEEN 2 AND 20 AND ${table.memberCount} BETWEEN 1 AND ${table.maxMembers}`),
    // Listings go newest first with the id as tiebreaker: these are read backwards. (Declared DESC, drizzle
    // would add NULLS LAST, which `ORDER BY ... DESC` does not match.)
    index('teams_newest_idx').on(table.createdAt, table.id),
    index('teams_open_newest_idx').on(table.createdAt, table.id).where(sql`${table.memberCount} < ${table.maxMembers}`),
    index('teams_hackathon_newest_idx').on(sql`lower(${table.hackathon})`, table.createdAt, table.id),
    index('teams_required_skills_idx').using('gin', table.requiredSkills),
    index('teams_search_idx').using('gin', table.searchVector),
  ],
);

/** Every column but the search vector, which only the database reads. */
const { searchVector: _searchVector, ...teamColumnsWithoutSearch } = getTableColumns(teams);
export const teamColumns = teamColumnsWithoutSearch;
export type TeamRow = Omit<typeof teams.$inferSelect, 'searchVector'>;

export const teamMembers = pgTable(
  'team_members',
  {
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    joinedAt: instant('joined_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.teamId, table.userId] }), index('team_members_user_idx').on(table.userId, table.joinedAt)],
);

export const joinRequestStatus = pgEnum('join_request_status', ['PENDING', 'ACCEPTED', 'REJECTED', 'CANCELLED']);
export type JoinRequestStatus = (typeof joinRequestStatus.enumValues)[number];

export const joinRequests = pgTable(
  'join_requests',
  {
    id: uuid('id').primaryKey(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    message: text('message'),
    status: joinRequestStatus('status').notNull().default('PENDING'),
    createdAt: instant('created_at').notNull().defaultNow(),
    decidedAt: instant('decided_at'),
  },
  (table) => [
    // One pending request per user and team, even when two arrive at once.
    uniqueIndex('join_requests_one_pending_key').on(table.teamId, table.userId).where(sql`${table.status} = 'PENDING'`),
    index('join_requests_team_idx').on(table.teamId, table.createdAt),
  ],
);

export type JoinRequestRow = typeof joinRequests.$inferSelect;

/**
 * What teams knows of each user, kept from `user.registered` and `user.updated`: skill matching reads
 * it and never calls the users subgraph.
 */
export const userReplicas = pgTable('user_replicas', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  skills: jsonb('skills').$type<SkillPayload[]>().notNull(),
  /** The users subgraph's revision of this state: an event with a lower one is older and changes nothing. */
  revision: integer('revision').notNull(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

export type UserReplicaRow = typeof userReplicas.$inferSelect;
