import { BadUserInputError, NotFoundError } from '../../../lib/errors.ts';
import type { QueryResolvers } from '../generated/resolvers.ts';
import { leaderboardSize, visibleAttempt } from './shared.ts';

export const Query: QueryResolvers = {
  quizzes: (_parent, { topic }, { quizzes }) => quizzes.listQuizzes(topic),
  quiz: (_parent, { id, slug }, { quizzes, loaders }) => {
    if ((id == null) === (slug == null)) throw new BadUserInputError('Give exactly one of id and slug', id == null ? 'id' : 'slug');
    return id != null ? loaders.quizById.load(id) : quizzes.quizBySlug(slug!);
  },
  attempt: (_parent, { id }, context) => visibleAttempt(context, id),
  leaderboard: async (_parent, { quizId, first }, { leaderboards, loaders }) => {
    const size = leaderboardSize(first);
    if (quizId != null && !(await loaders.quizById.load(quizId))) throw new NotFoundError('Quiz', quizId);
    return leaderboards.top(quizId ?? null, size);
  },
};
