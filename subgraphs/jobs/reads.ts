import { and, arrayContains, asc, count, desc, eq, getTableColumns, inArray, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../lib/db/index.ts';
import { decodeCursor, olderThan, pageSize, toConnection } from '../../lib/pagination.ts';
import { isUuid } from '../../lib/validation.ts';
import { contracts, jobColumns, jobs, milestones, proposals, type ContractRow, type JobRow, type MilestoneRow } from './db/schema.ts';
import { validJobFilter, type JobFilter, type JobFilterInput } from './inputs.ts';
import type { JobPage, ProposalRecord } from './models.ts';

const proposalColumns = { ...getTableColumns(proposals), clientId: jobs.clientId };

const newestJobs = [desc(jobs.createdAt), desc(jobs.id)];
const newestProposals = [desc(proposals.createdAt), desc(proposals.id)];
const newestContracts = [desc(contracts.createdAt), desc(contracts.id)];

export type JobsReads = ReturnType<typeof createJobsReads>;

/**
 * The queries behind the loaders and the `jobs` list. Each takes any number of keys and costs one SQL
 * statement; malformed ids match nothing (they never reach SQL as a failed uuid cast).
 */
export function createJobsReads(db: Database) {
  const selectJobs = () => db.select(jobColumns).from(jobs);
  const selectProposals = () => db.select(proposalColumns).from(proposals).innerJoin(jobs, eq(jobs.id, proposals.jobId));

  return {
    jobsByIds: (ids: readonly string[]): Promise<JobRow[]> => withValidIds(ids, (valid) => selectJobs().where(inArray(jobs.id, valid))),

    proposalsByIds: (ids: readonly string[]): Promise<ProposalRecord[]> =>
      withValidIds(ids, (valid) => selectProposals().where(inArray(proposals.id, valid))),

    contractsByIds: (ids: readonly string[]): Promise<ContractRow[]> =>
      withValidIds(ids, (valid) => db.select().from(contracts).where(inArray(contracts.id, valid))),

    /** Proposals not withdrawn, by job; a job with none is absent. */
    async proposalCounts(jobIds: readonly string[]): Promise<Map<string, number>> {
      const rows = await withValidIds(jobIds, (valid) =>
        db
          .select({ jobId: proposals.jobId, count: count() })
          .from(proposals)
          .where(and(inArray(proposals.jobId, valid), ne(proposals.status, 'WITHDRAWN')))
          .groupBy(proposals.jobId),
      );
      return new Map(rows.map((row) => [row.jobId, row.count]));
    },

    /** In each proposal's order. */
    milestonesOf: (proposalIds: readonly string[]): Promise<MilestoneRow[]> =>
      withValidIds(proposalIds, (valid) =>
        db.select().from(milestones).where(inArray(milestones.proposalId, valid)).orderBy(asc(milestones.proposalId), asc(milestones.position)),
      ),

    /** The proposals a job's client reviews: not withdrawn, newest first. */
    proposalsOfJobs: (jobIds: readonly string[]): Promise<ProposalRecord[]> =>
      withValidIds(jobIds, (valid) =>
        selectProposals()
          .where(and(inArray(proposals.jobId, valid), ne(proposals.status, 'WITHDRAWN')))
          .orderBy(...newestProposals),
      ),

    /** A freelancer's latest proposal on each job: the live one when there is one, since a new one needs the last withdrawn. */
    latestProposalsOn: (freelancerId: string, jobIds: readonly string[]): Promise<ProposalRecord[]> =>
      withValidIds(jobIds, (valid) =>
        db
          .selectDistinctOn([proposals.jobId], proposalColumns)
          .from(proposals)
          .innerJoin(jobs, eq(jobs.id, proposals.jobId))
          .where(and(eq(proposals.freelancerId, freelancerId), inArray(proposals.jobId, valid)))
          .orderBy(proposals.jobId, ...newestProposals),
      ),

    jobsOfClients: (clientIds: readonly string[]): Promise<JobRow[]> =>
      withValidIds(clientIds, (valid) => selectJobs().where(inArray(jobs.clientId, valid)).orderBy(...newestJobs)),

    proposalsOfFreelancers: (freelancerIds: readonly string[]): Promise<ProposalRecord[]> =>
      withValidIds(freelancerIds, (valid) => selectProposals().where(inArray(proposals.freelancerId, valid)).orderBy(...newestProposals)),

    /** Contracts where any of the users is the client or the freelancer. */
    contractsOfParties: (userIds: readonly string[]): Promise<ContractRow[]> =>
      withValidIds(userIds, (valid) =>
        db
          .select()
          .from(contracts)
          .where(or(inArray(contracts.clientId, valid), inArray(contracts.freelancerId, valid)))
          .orderBy(...newestContracts),
      ),

    /** One page of jobs, newest first; the total is counted only if asked for. */
    async jobsPage(filterInput: JobFilterInput | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<JobPage> {
      const matching = and(...conditionsOf(validJobFilter(filterInput)));
      const size = pageSize(first);
      const position = after ? decodeCursor(after) : undefined;
      const rows = await selectJobs()
        .where(and(matching, position ? olderThan(jobs.createdAt, jobs.id, position) : undefined))
        .orderBy(...newestJobs)
        .limit(size + 1);
      return {
        ...toConnection(rows, size),
        async totalCount() {
          const [row] = await db.select({ total: count() }).from(jobs).where(matching);
          return row?.total ?? 0;
        },
      };
    },
  };
}

function conditionsOf(filter: JobFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.skill) conditions.push(arrayContains(jobs.skills, [filter.skill]));
  if (filter.status) conditions.push(eq(jobs.status, filter.status));
  if (filter.searchQuery) conditions.push(sql`${jobs.search} @@ to_tsquery('english', ${filter.searchQuery})`);
  return conditions;
}

async function withValidIds<T>(ids: readonly string[], query: (valid: string[]) => Promise<T[]>): Promise<T[]> {
  const valid = [...new Set(ids.filter(isUuid))];
  return valid.length ? query(valid) : [];
}
