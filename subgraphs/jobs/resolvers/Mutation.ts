import { requireCaller } from '../../../lib/subgraph.ts';
import type { MutationResolvers } from '../generated/resolvers.ts';

export const Mutation: MutationResolvers = {
  postJob: (_parent, { input }, context) => context.jobs.postJob(requireCaller(context), input, context.requestId),
  closeJob: (_parent, { id }, context) => context.jobs.closeJob(requireCaller(context), id, context.requestId),
  submitProposal: (_parent, { jobId, input }, context) => context.jobs.submitProposal(requireCaller(context), jobId, input, context.requestId),
  updateProposal: (_parent, { id, input }, context) => context.jobs.updateProposal(requireCaller(context), id, input, context.requestId),
  withdrawProposal: (_parent, { id }, context) => context.jobs.withdrawProposal(requireCaller(context), id),
  acceptProposal: (_parent, { id }, context) => context.jobs.acceptProposal(requireCaller(context), id, context.requestId),
  completeContract: (_parent, { id }, context) => context.jobs.completeContract(requireCaller(context), id, context.requestId),
};
