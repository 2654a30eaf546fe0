import type { JobConnectionResolvers } from '../generated/resolvers.ts';

export const JobConnection: JobConnectionResolvers = {
  totalCount: (page) => page.totalCount(),
};
