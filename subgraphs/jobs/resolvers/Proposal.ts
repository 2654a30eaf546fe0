import type { ProposalResolvers } from '../generated/resolvers.ts';
import { loadExisting } from '../loaders.ts';

export const Proposal: ProposalResolvers = {
  /** Null unless the caller is its freelancer or the job's client. */
  __resolveReference: ({ id }, { loaders }) => loaders.proposalById.load(id),
  job: (proposal, _args, { loaders }) => loadExisting(loaders.jobById, proposal.jobId, 'Job'),
  freelancer: (proposal) => ({ id: proposal.freelancerId }),
  milestones: (proposal, _args, { loaders }) => loaders.milestonesByProposal.load(proposal.id),
};
