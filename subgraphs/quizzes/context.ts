import type { RequestContext } from '../../lib/subgraph.ts';
import type { Leaderboards } from './leaderboards.ts';
import type { QuizLoaders } from './loaders.ts';
import type { QuizzesService } from './service.ts';

export interface Context extends RequestContext {
  quizzes: QuizzesService;
  leaderboards: Leaderboards;
  loaders: QuizLoaders;
}

/** A User as this subgraph knows it: its key only; the users subgraph resolves the rest. */
export interface UserReference {
  id: string;
}
