import type { TeamConnectionResolvers } from '../generated/resolvers.ts';

export const TeamConnection: TeamConnectionResolvers = {
  /** Counted only when asked for: a page alone is one query. */
  totalCount: (page, _args, { teams }) => teams.count(page.search),
};
