import type { QuizAttemptResolvers } from '../generated/resolvers.ts';
import { visibleAttempt } from './shared.ts';

export const QuizAttempt: QuizAttemptResolvers = {
  /** Other subgraphs (notifications) reference attempts too; the same rule applies: its user only. */
  __resolveReference: ({ id }, context) => visibleAttempt(context, id),
  quiz: async (attempt, _args, { loaders }) => (await loaders.quizById.load(attempt.quizId))!,
  user: (attempt) => ({ id: attempt.userId }),
  status: (attempt, _args, { quizzes }) => quizzes.statusOf(attempt),
};
