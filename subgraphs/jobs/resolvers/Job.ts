import { ForbiddenError } from '../../../lib/errors.ts';
import type { JobResolvers } from '../generated/resolvers.ts';

export const Job: JobResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.jobById.load(id),
  client: (job) => ({ id: job.clientId }),
  proposalCount: (job, _args, { loaders }) => loaders.proposalCountByJob.load(job.id),
  proposals: (job, _args, { userId, loaders }) => {
    if (job.clientId !== userId) throw new ForbiddenError("Only the job's client can see its proposals");
    return loaders.proposalsByJob.load(job.id);
  },
  myProposal: (job, _args, { loaders }) => loaders.myProposalByJob.load(job.id),
};
