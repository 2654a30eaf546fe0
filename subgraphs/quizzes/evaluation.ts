import { eq, sql } from 'drizzle-orm';
import { handleOnce } from '../../lib/bus/inbox.ts';
import type { ConsumerOptions } from '../../lib/bus/types.ts';
import type { Transaction } from '../../lib/db/index.ts';
import type { LeaderboardUpdated, QuizCompleted, QuizScored } from '../../lib/event-types.ts';
import type { SubgraphDeps, UnitOfWork } from '../../lib/subgraph.ts';
import { attempts, bestScores, quizzes, type AttemptRow } from './db/schema.ts';
import { globalStanding, type Leaderboards } from './leaderboards.ts';
import { scoreAnswers } from './scoring.ts';
import type { Clock } from './service.ts';

export const EVALUATION_QUEUE = 'quizzes.evaluation';

/**
 * The evaluation worker: scores each submitted attempt once, whatever the redeliveries. The inbox
 * claim, the score, the best score and the outgoing `quiz.scored` / `leaderboard.updated` commit in one
 * transaction; the cached leaderboards follow from the database afterwards.
 */
export function evaluationConsumer(deps: SubgraphDeps, leaderboards: Leaderboards, clock: Clock): ConsumerOptions {
  return {
    queue: EVALUATION_QUEUE,
    bindings: ['quiz.completed'],
    async handler(event) {
      const completed = event.data as QuizCompleted;
      await deps.transaction(event.correlationId, ({ tx, emit }) =>
        handleOnce(tx, EVALUATION_QUEUE, event, (inner) => scoreAttempt(inner, emit, completed.attemptId, clock())),
      );
      // On every delivery, not only the first: an earlier one may have committed the score and then
      // failed before reaching the cache. The sync is idempotent, so repeating it costs nothing.
      await leaderboards.syncUser(completed.userId, completed.quizId);
    },
  };
}

async function scoreAttempt(tx: Transaction, emit: UnitOfWork['emit'], attemptId: string, scoredAt: Date): Promise<void> {
  const [found] = await tx
    .select({ attempt: attempts, quiz: { title: quizzes.title, topic: quizzes.topic, passPercent: quizzes.passPercent, answerKey: quizzes.answerKey } })
    .from(attempts)
    .innerJoin(quizzes, eq(quizzes.id, attempts.quizId))
    .where(eq(attempts.id, attemptId))
    .for('update', { of: attempts });
  // Only SUBMITTED attempts are scored, so a second quiz.completed for one attempt changes nothing.
  if (!found || found.attempt.status !== 'SUBMITTED') return;
  const { attempt, quiz } = found;

  const result = scoreAnswers(attempt.answers ?? [], quiz.answerKey, attempt.maxScore, quiz.passPercent);
  await tx
    .update(attempts)
    .set({ status: 'SCORED', ...result, scoredAt })
    .where(eq(attempts.id, attemptId));
  const about = { attemptId, userId: attempt.userId, quizId: attempt.quizId, quizTitle: quiz.title, topic: quiz.topic };
  await emit<QuizScored>('quiz.scored', { ...about, ...result, maxScore: attempt.maxScore, scoredAt: scoredAt.toISOString() });

  const best = await recordBestScore(tx, { ...attempt, ...result });
  if (!best) return;
  const global = await globalStanding(tx, attempt.userId);
  await emit<LeaderboardUpdated>('leaderboard.updated', {
    userId: attempt.userId,
    quizId: attempt.quizId,
    topic: quiz.topic,
    bestScore: best.score,
    bestPercent: best.percent,
    globalScore: global!.units / 100,
    reachedAt: best.reachedAt.toISOString(),
  });
}

/**
 * Keeps the user's best on the quiz: replaced by a higher score, or by the same score reached earlier
 * (attempts may be scored in another order than they were submitted). Returns the new best, or null
 * when this attempt did not improve on it.
 */
async function recordBestScore(tx: Transaction, attempt: AttemptRow & { score: number; percent: number }) {
  const reachedAt = attempt.submittedAt!;
  const [best] = await tx
    .insert(bestScores)
    .values({ userId: attempt.userId, quizId: attempt.quizId, score: attempt.score, percent: attempt.percent, reachedAt })
    .onConflictDoUpdate({
      target: [bestScores.userId, bestScores.quizId],
      set: { score: sql`excluded.score`, percent: sql`excluded.percent`, reachedAt: sql`excluded.reached_at` },
      setWhere: sql`excluded.score > ${bestScores.score} OR (excluded.score = ${bestScores.score} AND excluded.reached_at < ${bestScores.reachedAt})`,
    })
    .returning();
  return best ?? null;
}
