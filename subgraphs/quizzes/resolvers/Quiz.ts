import type { QuizResolvers } from '../generated/resolvers.ts';
import { leaderboardSize } from './shared.ts';

export const Quiz: QuizResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.quizById.load(id),
  questionCount: (quiz) => quiz.questions.length,
  leaderboard: (quiz, { first }, { leaderboards }) => leaderboards.top(quiz.id, leaderboardSize(first)),
};
