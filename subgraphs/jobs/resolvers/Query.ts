import type { QueryResolvers } from '../generated/resolvers.ts';

export const Query: QueryResolvers = {
  job: (_parent, { id }, { loaders }) => loaders.jobById.load(id),
  jobs: (_parent, { filter, first, after }, { reads }) => reads.jobsPage(filter, first, after),
  proposal: (_parent, { id }, { loaders }) => loaders.proposalById.load(id),
  contract: (_parent, { id }, { loaders }) => loaders.contractById.load(id),
};
