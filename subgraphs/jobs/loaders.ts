import DataLoader from 'dataloader';
import { allByKey, oneByKey } from '../../lib/loaders.ts';
import { isContractParty, isProposalParty } from './access.ts';
import type { ContractRow, JobRow, MilestoneRow } from './db/schema.ts';
import type { ProposalRecord } from './models.ts';
import type { JobsReads } from './reads.ts';

export interface JobLoaders {
  jobById: DataLoader<string, JobRow | null>;
  /** Null for a proposal the caller may not see, as for one that does not exist. */
  proposalById: DataLoader<string, ProposalRecord | null>;
  /** Null for a contract the caller is not a party to. */
  contractById: DataLoader<string, ContractRow | null>;
  proposalCountByJob: DataLoader<string, number>;
  milestonesByProposal: DataLoader<string, MilestoneRow[]>;
  proposalsByJob: DataLoader<string, ProposalRecord[]>;
  /** The caller's latest proposal on each job; null for all when anonymous. */
  myProposalByJob: DataLoader<string, ProposalRecord | null>;
  jobsByClient: DataLoader<string, JobRow[]>;
  proposalsByFreelancer: DataLoader<string, ProposalRecord[]>;
  /** Contracts where the user is the client or the freelancer. */
  contractsByParty: DataLoader<string, ContractRow[]>;
}

/**
 * Per request, for one caller: every entity reference and every per-parent list in one subgraph fetch
 * becomes one SQL query, whatever the number of parents. Visibility is applied here, so no resolver
 * can hand out a proposal or a contract its caller may not see.
 */
export function createJobLoaders(reads: JobsReads, callerId: string | null): JobLoaders {
  return {
    jobById: new DataLoader(async (ids) => oneByKey(ids, await reads.jobsByIds(ids), (job) => job.id)),
    proposalById: new DataLoader(async (ids) => {
      const visible = (await reads.proposalsByIds(ids)).filter((proposal) => isProposalParty(proposal, callerId));
      return oneByKey(ids, visible, (proposal) => proposal.id);
    }),
    contractById: new DataLoader(async (ids) => {
      const visible = (await reads.contractsByIds(ids)).filter((contract) => isContractParty(contract, callerId));
      return oneByKey(ids, visible, (contract) => contract.id);
    }),
    proposalCountByJob: new DataLoader(async (jobIds) => {
      const counts = await reads.proposalCounts(jobIds);
      return jobIds.map((id) => counts.get(id) ?? 0);
    }),
    milestonesByProposal: new DataLoader(async (ids) => allByKey(ids, await reads.milestonesOf(ids), (milestone) => milestone.proposalId)),
    proposalsByJob: new DataLoader(async (jobIds) => allByKey(jobIds, await reads.proposalsOfJobs(jobIds), (proposal) => proposal.jobId)),
    myProposalByJob: new DataLoader(async (jobIds) =>
      callerId ? oneByKey(jobIds, await reads.latestProposalsOn(callerId, jobIds), (proposal) => proposal.jobId) : jobIds.map(() => null),
    ),
    jobsByClient: new DataLoader(async (ids) => allByKey(ids, await reads.jobsOfClients(ids), (job) => job.clientId)),
    proposalsByFreelancer: new DataLoader(async (ids) => allByKey(ids, await reads.proposalsOfFreelancers(ids), (proposal) => proposal.freelancerId)),
    contractsByParty: new DataLoader(async (ids) => {
      const rows = await reads.contractsOfParties(ids);
      return ids.map((id) => rows.filter((contract) => contract.clientId === id || contract.freelancerId === id));
    }),
  };
}

/** For a reference the database guarantees (a foreign key): a miss is a bug, not the client's doing. */
export async function loadExisting<TValue>(loader: DataLoader<string, TValue | null>, id: string, what: string): Promise<TValue> {
  const value = await loader.load(id);
  if (value === null) throw new Error(`${what} ${id} is referenced but cannot be loaded`);
  return value;
}
