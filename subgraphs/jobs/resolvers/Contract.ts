import type { ContractResolvers } from '../generated/resolvers.ts';
import { loadExisting } from '../loaders.ts';

export const Contract: ContractResolvers = {
  /** Null unless the caller is one of its parties. */
  __resolveReference: ({ id }, { loaders }) => loaders.contractById.load(id),
  job: (contract, _args, { loaders }) => loadExisting(loaders.jobById, contract.jobId, 'Job'),
  // The contract's parties are the proposal's: whoever sees the contract sees its proposal.
  proposal: (contract, _args, { loaders }) => loadExisting(loaders.proposalById, contract.proposalId, 'Proposal'),
  client: (contract) => ({ id: contract.clientId }),
  freelancer: (contract) => ({ id: contract.freelancerId }),
};
