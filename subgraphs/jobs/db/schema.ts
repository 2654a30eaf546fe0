import { getTableColumns, sql } from 'drizzle-orm';
import { check, customType, date, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export { inbox, outbox } from '../../../lib/db/messaging.ts';

export const jobStatus = pgEnum('job_status', ['OPEN', 'IN_PROGRESS', 'CLOSED']);
export const proposalStatus = pgEnum('proposal_status', ['SUBMITTED', 'WITHDRAWN', 'ACCEPTED', 'REJECTED']);
export const contractStatus = pgEnum('contract_status', ['ACTIVE', 'COMPLETED', 'CANCELLED']);
export const jobDuration = pgEnum('job_duration', ['LESS_THAN_A_MONTH', 'ONE_TO_THREE_MONTHS', 'THREE_TO_SIX_MONTHS', 'MORE_THAN_SIX_MONTHS']);

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * Millisecond precision, like a JS Date: a cursor carries `createdAt` as a Date, and a stored value
 * finer than that would sort between the cursor and the row it came from.
 */
const createdAt = () =>
  timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().default(sql`date_trunc('milliseconds', now())`);

export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey(),
    clientId: uuid('client_id').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull(),
    /** Normalized skill names (trimmed, lower-case), filtered with `@>` on a GIN index. */
    skills: text('skills').array().notNull().default(sql`'{}'::text[]`),
    budgetCents: integer('budget_cents').notNull(),
    status: jobStatus('status').notNull().default('OPEN'),
    /** What free-text search matches: title and description, English stemming. Never selected. */
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(sql`to_tsvector('english', "title" || ' ' || "description")`),
    createdAt: createdAt(),
  },
  // Lists are newest first: an index on (..., created_at, id) read backwards serves `ORDER BY created_at DESC, id DESC`
  // and the keyset condition `(created_at, id) < cursor`.
  (table) => [
    check('jobs_budget_positive', sql`${table.budgetCents} > 0`),
    index('jobs_newest_idx').on(table.createdAt, table.id),
    index('jobs_status_newest_idx').on(table.status, table.createdAt, table.id),
    index('jobs_client_newest_idx').on(table.clientId, table.createdAt, table.id),
    index('jobs_skills_idx').using('gin', table.skills),
    index('jobs_search_idx').using('gin', table.search),
  ],
);

export const proposals = pgTable(
  'proposals',
  {
    id: uuid('id').primaryKey(),
    jobId: uuid('job_id')
      .notNull()
      .references(() => jobs.id),
    freelancerId: uuid('freelancer_id').notNull(),
    coverLetter: text('cover_letter').notNull(),
    jobDuration: jobDuration('job_duration').notNull(),
    /** The sum of the milestones' amounts, kept with the proposal so lists and contracts need no join. */
    totalCents: integer('total_cents').notNull(),
    status: proposalStatus('status').notNull().default('SUBMITTED'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    check('proposals_total_positive', sql`${table.totalCents} > 0`),
    // One live proposal per freelancer and job; a withdrawn (or rejected) one leaves room for a new one.
    uniqueIndex('proposals_live_key')
      .on(table.jobId, table.freelancerId)
      .where(sql`${table.status} in ('SUBMITTED', 'ACCEPTED')`),
    index('proposals_job_newest_idx').on(table.jobId, table.createdAt, table.id),
    index('proposals_freelancer_newest_idx').on(table.freelancerId, table.createdAt, table.id),
  ],
);

export const milestones = pgTable(
  'milestones',
  {
    proposalId: uuid('proposal_id')
      .notNull()
      .references(() => proposals.id, { onDelete: 'cascade' }),
    /** 0-based order within the proposal. */
    position: integer('position').notNull(),
    description: text('description').notNull(),
    amountCents: integer('amount_cents').notNull(),
    dueDate: date('due_date', { mode: 'string' }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.proposalId, table.position] }),
    check('milestones_amount_positive', sql`${table.amountCents} > 0`),
  ],
);

export const contracts = pgTable(
  'contracts',
  {
    id: uuid('id').primaryKey(),
    jobId: uuid('job_id')
      .notNull()
      .references(() => jobs.id),
    proposalId: uuid('proposal_id')
      .notNull()
      .references(() => proposals.id),
    clientId: uuid('client_id').notNull(),
    freelancerId: uuid('freelancer_id').notNull(),
    totalCents: integer('total_cents').notNull(),
    status: contractStatus('status').notNull().default('ACTIVE'),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    // At most one contract per job, whatever the application does: the last line of defence against a double accept.
    uniqueIndex('contracts_job_key').on(table.jobId),
    uniqueIndex('contracts_proposal_key').on(table.proposalId),
    index('contracts_client_newest_idx').on(table.clientId, table.createdAt, table.id),
    index('contracts_freelancer_newest_idx').on(table.freelancerId, table.createdAt, table.id),
  ],
);

const { search: _search, ...selectableJobColumns } = getTableColumns(jobs);
/** Every column of a job but the search vector, which only the database reads. */
export const jobColumns = selectableJobColumns;

export type JobRow = Omit<typeof jobs.$inferSelect, 'search'>;
export type ProposalRow = typeof proposals.$inferSelect;
export type MilestoneRow = typeof milestones.$inferSelect;
export type ContractRow = typeof contracts.$inferSelect;
export type JobStatus = JobRow['status'];
export type ProposalStatus = ProposalRow['status'];
