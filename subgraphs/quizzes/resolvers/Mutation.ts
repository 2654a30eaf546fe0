import { requireCaller } from '../../../lib/subgraph.ts';
import type { MutationResolvers } from '../generated/resolvers.ts';

export const Mutation: MutationResolvers = {
  startQuiz: (_parent, { quizId }, context) => context.quizzes.startQuiz(requireCaller(context), quizId),
  submitQuizAttempt: (_parent, { attemptId, answers }, context) =>
    context.quizzes.submitAttempt(requireCaller(context), attemptId, answers, context.requestId),
};
