import { sql } from 'drizzle-orm';
import { integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export { inbox, outbox } from '../../../lib/db/messaging.ts';

export interface SkillRow {
  name: string;
  level: number;
}

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    /** Stored lower-case, so uniqueness is case-insensitive. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    bio: text('bio'),
    avatarUrl: text('avatar_url'),
    /** scrypt hash with its parameters and salt; never leaves this subgraph. */
    passwordHash: text('password_hash').notNull(),
    /** Kept with the user: one query loads a user and its skills, sorted by name. */
    skills: jsonb('skills').$type<SkillRow[]>().notNull().default(sql`'[]'::jsonb`),
    /** Bumped on every change and carried by `user.updated`, so replicas can drop stale events. */
    revision: integer('revision').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('users_email_key').on(table.email)],
);

export type UserRow = typeof users.$inferSelect;
