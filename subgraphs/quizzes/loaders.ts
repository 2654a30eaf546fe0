import DataLoader from 'dataloader';
import { oneByKey } from '../../lib/loaders.ts';
import type { AttemptRow, QuizRow } from './db/schema.ts';
import { emptyQuizStats, type QuizzesService, type UserQuizStats } from './service.ts';

export interface QuizLoaders {
  quizById: DataLoader<string, QuizRow | null>;
  attemptById: DataLoader<string, AttemptRow | null>;
  /** Serves both `User.quizStats` and `User.verifiedSkills`: one query for every user of a fetch. */
  statsByUser: DataLoader<string, UserQuizStats>;
}

/** Per request: every entity reference and every per-user field of one subgraph fetch is one SQL query. */
export function createQuizLoaders(quizzes: QuizzesService): QuizLoaders {
  return {
    quizById: new DataLoader(async (ids) => oneByKey(ids, await quizzes.quizzesByIds(ids), (row) => row.id)),
    attemptById: new DataLoader(async (ids) => oneByKey(ids, await quizzes.attemptsByIds(ids), (row) => row.id)),
    statsByUser: new DataLoader(async (userIds) => {
      const stats = await quizzes.statsByUsers(userIds);
      return userIds.map((userId) => stats.get(userId.toLowerCase()) ?? emptyQuizStats());
    }),
  };
}
