import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { isUniqueViolation, type Executor } from '../../lib/db/index.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import type { ContractCompleted, JobFacts, JobPosted, ProposalAccepted, ProposalRejected, ProposalSubmitted } from '../../lib/event-types.ts';
import type { SubgraphDeps, UnitOfWork } from '../../lib/subgraph.ts';
import { isUuid } from '../../lib/validation.ts';
import { isContractParty, isProposalParty } from './access.ts';
import {
  contracts,
  jobColumns,
  jobs,
  milestones,
  proposals,
  type ContractRow,
  type JobRow,
  type JobStatus,
  type ProposalRow,
  type ProposalStatus,
} from './db/schema.ts';
import { todayUtc, validJob, validProposal, type JobInput, type MilestoneInput, type ProposalInput } from './inputs.ts';
import type { ProposalRecord } from './models.ts';
import type { JobsReads } from './reads.ts';

export type JobsService = ReturnType<typeof createJobsService>;

/**
 * The marketplace's rules. Authorization is checked on facts that never change (who posted a job, who
 * sent a proposal), read before the transaction; state is checked by conditional updates inside it
 * (`WHERE status = ...`), which PostgreSQL applies one at a time per row: of two racing changes, the
 * second waits for the first and then finds the state moved on.
 */
export function createJobsService(deps: SubgraphDeps, reads: JobsReads) {
  const { db } = deps;

  return {
    async postJob(clientId: string, input: JobInput, correlationId: string): Promise<JobRow> {
      const job = validJob(input);
      return deps.transaction(correlationId, async ({ tx, emit }) => {
        const [posted] = await tx
          .insert(jobs)
          .values({ id: randomUUID(), clientId, ...job })
          .returning(jobColumns);
        await emit<JobPosted>('job.posted', { ...jobFacts(posted!), skills: posted!.skills, budgetCents: posted!.budgetCents });
        return posted!;
      });
    },

    /** Takes an OPEN job off the market: its submitted proposals are rejected. */
    async closeJob(callerId: string, jobId: string, correlationId: string): Promise<JobRow> {
      const job = await requireJob(jobId);
      if (job.clientId !== callerId) throw new ForbiddenError("Only the job's client can close it");
      return deps.transaction(correlationId, async (unit) => {
        const closed = await moveJob(unit.tx, job.id, 'OPEN', 'CLOSED', 'Only an open job can be closed');
        await rejectSubmittedProposals(unit, closed, 'JOB_CLOSED');
        return closed;
      });
    },

    async submitProposal(freelancerId: string, jobId: string, input: ProposalInput, correlationId: string): Promise<ProposalRecord> {
      const proposal = validProposal(input, todayUtc());
      try {
        return await deps.transaction(correlationId, async ({ tx, emit }) => {
          // FOR SHARE: an accept or close of this job either waits until this proposal is in (and then
          // rejects it with the others), or goes first and this one sees the job no longer OPEN.
          const [job] = isUuid(jobId) ? await tx.select(jobColumns).from(jobs).where(eq(jobs.id, jobId)).for('share') : [];
          if (!job) throw new NotFoundError('Job', jobId);
          if (job.clientId === freelancerId) throw new ForbiddenError('You cannot send a proposal to your own job');
          if (job.status !== 'OPEN') throw new ConflictError('This job is not open to proposals');
          const [submitted] = await tx
            .insert(proposals)
            .values({ id: randomUUID(), jobId: job.id, freelancerId, coverLetter: proposal.coverLetter, jobDuration: proposal.jobDuration, totalCents: proposal.totalCents })
            .returning();
          await insertMilestones(tx, submitted!.id, proposal.milestones);
          await emit<ProposalSubmitted>('proposal.submitted', {
            ...jobFacts(job),
            proposalId: submitted!.id,
            freelancerId,
            totalCents: submitted!.totalCents,
          });
          return { ...submitted!, clientId: job.clientId };
        });
      } catch (error) {
        // proposals_live_key: this freelancer already has a SUBMITTED or ACCEPTED proposal on the job.
        if (isUniqueViolation(error)) throw new ConflictError('You already have a live proposal on this job; withdraw it to send another');
        throw error;
      }
    },

    /** Replaces the cover letter, duration and milestones of a SUBMITTED proposal. */
    async updateProposal(callerId: string, proposalId: string, input: ProposalInput, correlationId: string): Promise<ProposalRecord> {
      const proposal = validProposal(input, todayUtc());
      const current = await requireFreelancersProposal(callerId, proposalId, 'Only its freelancer can change a proposal');
      return deps.transaction(correlationId, async ({ tx }) => {
        const [updated] = await tx
          .update(proposals)
          .set({ coverLetter: proposal.coverLetter, jobDuration: proposal.jobDuration, totalCents: proposal.totalCents, updatedAt: new Date() })
          .where(and(eq(proposals.id, current.id), eq(proposals.status, 'SUBMITTED')))
          .returning();
        if (!updated) throw new ConflictError('Only a submitted proposal can be changed');
        await tx.delete(milestones).where(eq(milestones.proposalId, current.id));
        await insertMilestones(tx, current.id, proposal.milestones);
        return { ...updated, clientId: current.clientId };
      });
    },

    async withdrawProposal(callerId: string, proposalId: string): Promise<ProposalRecord> {
      const current = await requireFreelancersProposal(callerId, proposalId, 'Only its freelancer can withdraw a proposal');
      const withdrawn = await moveProposal(db, current.id, 'SUBMITTED', 'WITHDRAWN', 'Only a submitted proposal can be withdrawn');
      return { ...withdrawn, clientId: current.clientId };
    },

    /**
     * Starts the contract: the job becomes IN_PROGRESS, this proposal ACCEPTED and every other submitted
     * one REJECTED, all in one transaction. Moving the job first takes its row lock, so of two accepts
     * racing on one job the second waits, then finds the job no longer OPEN: exactly one contract.
     */
    async acceptProposal(callerId: string, proposalId: string, correlationId: string): Promise<ContractRow> {
      const proposal = await requireVisibleProposal(callerId, proposalId);
      if (proposal.clientId !== callerId) throw new ForbiddenError("Only the job's client can accept a proposal");
      return deps.transaction(correlationId, async (unit) => {
        const job = await moveJob(unit.tx, proposal.jobId, 'OPEN', 'IN_PROGRESS', 'This job is no longer open: a proposal was accepted or the job closed');
        const accepted = await moveProposal(unit.tx, proposal.id, 'SUBMITTED', 'ACCEPTED', 'Only a submitted proposal can be accepted');
        const [contract] = await unit.tx
          .insert(contracts)
          .values({
            id: randomUUID(),
            jobId: job.id,
            proposalId: accepted.id,
            clientId: job.clientId,
            freelancerId: accepted.freelancerId,
            totalCents: accepted.totalCents,
          })
          .returning();
        await unit.emit<ProposalAccepted>('proposal.accepted', {
          ...jobFacts(job),
          proposalId: accepted.id,
          freelancerId: accepted.freelancerId,
          contractId: contract!.id,
          totalCents: contract!.totalCents,
        });
        await rejectSubmittedProposals(unit, job, 'ANOTHER_PROPOSAL_ACCEPTED');
        return contract!;
      });
    },

    /** The client marks the work done: the contract is COMPLETED and the job CLOSED. */
    async completeContract(callerId: string, contractId: string, correlationId: string): Promise<ContractRow> {
      const [contract] = await reads.contractsByIds([contractId]);
      if (!contract || !isContractParty(contract, callerId)) throw new NotFoundError('Contract', contractId);
      if (contract.clientId !== callerId) throw new ForbiddenError('Only the client can complete a contract');
      return deps.transaction(correlationId, async ({ tx, emit }) => {
        const [completed] = await tx
          .update(contracts)
          .set({ status: 'COMPLETED', completedAt: new Date() })
          .where(and(eq(contracts.id, contract.id), eq(contracts.status, 'ACTIVE')))
          .returning();
        if (!completed) throw new ConflictError('Only an active contract can be completed');
        const job = await moveJob(tx, completed.jobId, 'IN_PROGRESS', 'CLOSED', 'The job of this contract is not in progress');
        await emit<ContractCompleted>('contract.completed', {
          ...jobFacts(job),
          contractId: completed.id,
          proposalId: completed.proposalId,
          freelancerId: completed.freelancerId,
          totalCents: completed.totalCents,
        });
        return completed;
      });
    },
  };

  async function requireJob(jobId: string): Promise<JobRow> {
    const [job] = await reads.jobsByIds([jobId]);
    if (!job) throw new NotFoundError('Job', jobId);
    return job;
  }

  /** A proposal the caller cannot see is NOT_FOUND, exactly as one that does not exist. */
  async function requireVisibleProposal(callerId: string, proposalId: string): Promise<ProposalRecord> {
    const [proposal] = await reads.proposalsByIds([proposalId]);
    if (!proposal || !isProposalParty(proposal, callerId)) throw new NotFoundError('Proposal', proposalId);
    return proposal;
  }

  async function requireFreelancersProposal(callerId: string, proposalId: string, forbidden: string): Promise<ProposalRecord> {
    const proposal = await requireVisibleProposal(callerId, proposalId);
    if (proposal.freelancerId !== callerId) throw new ForbiddenError(forbidden);
    return proposal;
  }
}

/** What every jobs event carries about its job. */
function jobFacts(job: JobRow): JobFacts {
  return { jobId: job.id, title: job.title, clientId: job.clientId };
}

/** Moves a job from one status to another, or fails with CONFLICT if it is no longer in `from`. */
async function moveJob(executor: Executor, jobId: string, from: JobStatus, to: JobStatus, conflict: string): Promise<JobRow> {
  const [job] = await executor
    .update(jobs)
    .set({ status: to })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, from)))
    .returning(jobColumns);
  if (!job) throw new ConflictError(conflict);
  return job;
}

async function moveProposal(executor: Executor, proposalId: string, from: ProposalStatus, to: ProposalStatus, conflict: string): Promise<ProposalRow> {
  const [proposal] = await executor
    .update(proposals)
    .set({ status: to, updatedAt: new Date() })
    .where(and(eq(proposals.id, proposalId), eq(proposals.status, from)))
    .returning();
  if (!proposal) throw new ConflictError(conflict);
  return proposal;
}

/** Rejects the job's SUBMITTED proposals and tells each freelancer why. */
async function rejectSubmittedProposals({ tx, emit }: UnitOfWork, job: JobRow, reason: ProposalRejected['reason']): Promise<void> {
  const rejected = await tx
    .update(proposals)
    .set({ status: 'REJECTED', updatedAt: new Date() })
    .where(and(eq(proposals.jobId, job.id), eq(proposals.status, 'SUBMITTED')))
    .returning({ id: proposals.id, freelancerId: proposals.freelancerId });
  for (const proposal of rejected) {
    await emit<ProposalRejected>('proposal.rejected', { ...jobFacts(job), proposalId: proposal.id, freelancerId: proposal.freelancerId, reason });
  }
}

async function insertMilestones(executor: Executor, proposalId: string, list: readonly MilestoneInput[]): Promise<void> {
  await executor.insert(milestones).values(list.map((milestone, position) => ({ proposalId, position, ...milestone })));
}
