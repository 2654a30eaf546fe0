import { randomUUID } from 'node:crypto';
import { and, asc, count, eq, getTableColumns, inArray, max, sql, sum } from 'drizzle-orm';
import type { Executor } from '../../lib/db/index.ts';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import type { QuizCompleted } from '../../lib/event-types.ts';
import type { SubgraphDeps } from '../../lib/subgraph.ts';
import { isUuid, normalizeSkillName } from '../../lib/validation.ts';
import { attempts, quizzes, type AnswerRow, type AttemptRow, type AttemptStatus, type QuestionRow, type QuizRow } from './db/schema.ts';

/** Where the service reads the time: injected so that tests can move it instead of sleeping. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export interface TopicPercent {
  topic: string;
  percent: number;
}

/** What `User.quizStats` and `User.verifiedSkills` show, over the user's scored attempts. */
export interface UserQuizStats {
  attempts: number;
  passed: number;
  averagePercent: number | null;
  /** Best percentage per topic, by topic name. */
  bestByTopic: TopicPercent[];
  /** Topics of the quizzes the user passed, by name. */
  verifiedSkills: string[];
}

/** Every column but the answer key: what the API's queries select, so the key is never even read for them. */
const { answerKey: _answerKey, ...publicQuizColumns } = getTableColumns(quizzes);

const roundToHundredths = (value: number) => Math.round(value * 100) / 100;
export const emptyQuizStats = (): UserQuizStats => ({ attempts: 0, passed: 0, averagePercent: null, bestByTopic: [], verifiedSkills: [] });

export type QuizzesService = ReturnType<typeof createQuizzesService>;

export function createQuizzesService(deps: SubgraphDeps, { clock = systemClock }: { clock?: Clock } = {}) {
  const { db } = deps;

  return {
    /** IN_PROGRESS past its deadline reads as EXPIRED, before anyone submits it. */
    statusOf(attempt: AttemptRow): AttemptStatus {
      return attempt.status === 'IN_PROGRESS' && isPastDeadline(attempt, clock()) ? 'EXPIRED' : attempt.status;
    },

    async quizzesByIds(ids: readonly string[]): Promise<QuizRow[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      return db.select(publicQuizColumns).from(quizzes).where(inArray(quizzes.id, valid));
    },

    async quizBySlug(slug: string): Promise<QuizRow | null> {
      const [quiz] = await db.select(publicQuizColumns).from(quizzes).where(eq(quizzes.slug, slug.trim().toLowerCase()));
      return quiz ?? null;
    },

    /** The catalog, optionally of one topic, by topic then title. */
    async listQuizzes(topic: string | null | undefined): Promise<QuizRow[]> {
      const where = topic === null || topic === undefined ? undefined : eq(quizzes.topic, normalizeSkillName(topic, 'topic'));
      return db.select(publicQuizColumns).from(quizzes).where(where).orderBy(asc(quizzes.topic), asc(quizzes.title));
    },

    async attemptsByIds(ids: readonly string[]): Promise<AttemptRow[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      return db.select().from(attempts).where(inArray(attempts.id, valid));
    },

    /**
     * One query for any number of users: per user and topic, then folded per user. Keyed by the
     * lower-case id, as PostgreSQL writes uuids.
     */
    async statsByUsers(userIds: readonly string[]): Promise<Map<string, UserQuizStats>> {
      const valid = userIds.filter(isUuid).map((userId) => userId.toLowerCase());
      const rows = valid.length
        ? await db
            .select({
              userId: attempts.userId,
              topic: quizzes.topic,
              attempts: count(),
              passed: sql`count(*) filter (where ${attempts.passed})`.mapWith(Number),
              percentSum: sum(attempts.percent).mapWith(Number),
              best: max(attempts.percent).mapWith(Number),
            })
            .from(attempts)
            .innerJoin(quizzes, eq(quizzes.id, attempts.quizId))
            .where(and(inArray(attempts.userId, valid), eq(attempts.status, 'SCORED')))
            .groupBy(attempts.userId, quizzes.topic)
            .orderBy(asc(quizzes.topic))
        : [];
      const byUser = new Map(valid.map((userId) => [userId, emptyQuizStats()]));
      const percentSums = new Map<string, number>();
      for (const row of rows) {
        const stats = byUser.get(row.userId)!;
        stats.attempts += row.attempts;
        stats.passed += row.passed;
        stats.bestByTopic.push({ topic: row.topic, percent: row.best });
        if (row.passed > 0) stats.verifiedSkills.push(row.topic);
        percentSums.set(row.userId, (percentSums.get(row.userId) ?? 0) + row.percentSum);
      }
      for (const [userId, stats] of byUser) {
        if (stats.attempts > 0) stats.averagePercent = roundToHundredths(percentSums.get(userId)! / stats.attempts);
      }
      return byUser;
    },

    /** Opens an attempt; its time limit, if the quiz has one, runs from now. */
    async startQuiz(userId: string, quizId: string): Promise<AttemptRow> {
      const [quiz] = isUuid(quizId)
        ? await db.select({ questions: quizzes.questions, timeLimitSeconds: quizzes.timeLimitSeconds }).from(quizzes).where(eq(quizzes.id, quizId))
        : [];
      if (!quiz) throw new NotFoundError('Quiz', quizId);
      const startedAt = clock();
      const [attempt] = await db
        .insert(attempts)
        .values({
          id: randomUUID(),
          quizId,
          userId,
          status: 'IN_PROGRESS',
          maxScore: quiz.questions.length,
          deadlineAt: quiz.timeLimitSeconds === null ? null : new Date(startedAt.getTime() + quiz.timeLimitSeconds * 1000),
          startedAt,
        })
        .returning();
      return attempt!;
    },

    /**
     * Stores the answers and returns the attempt SUBMITTED; `quiz.completed` leaves through the outbox
     * in the same transaction and the evaluation worker scores it. Past the deadline the attempt becomes
     * EXPIRED instead, unscored. Only an IN_PROGRESS attempt can be submitted, once.
     */
    async submitAttempt(userId: string, attemptId: string, input: ReadonlyArray<AnswerRow>, correlationId: string): Promise<AttemptRow> {
      const [found] = isUuid(attemptId)
        ? await db
            .select({ attempt: attempts, title: quizzes.title, topic: quizzes.topic, questions: quizzes.questions })
            .from(attempts)
            .innerJoin(quizzes, eq(quizzes.id, attempts.quizId))
            .where(eq(attempts.id, attemptId))
        : [];
      if (!found) throw new NotFoundError('QuizAttempt', attemptId);
      const { attempt, title, topic, questions } = found;
      if (attempt.userId !== userId) throw new ForbiddenError('Only the user who started this attempt can submit it');
      if (attempt.status !== 'IN_PROGRESS') throw alreadyClosed(attempt.status);
      const answers = validateAnswers(input, questions);
      const submittedAt = clock();

      if (isPastDeadline(attempt, submittedAt)) {
        return closeAttempt(db, attemptId, { status: 'EXPIRED', submittedAt });
      }
      return deps.transaction(correlationId, async ({ tx, emit }) => {
        const submitted = await closeAttempt(tx, attemptId, { status: 'SUBMITTED', answers, submittedAt });
        await emit<QuizCompleted>('quiz.completed', {
          attemptId,
          userId,
          quizId: attempt.quizId,
          quizTitle: title,
          topic,
          submittedAt: submittedAt.toISOString(),
        });
        return submitted;
      });
    },
  };
}

const isPastDeadline = (attempt: AttemptRow, at: Date) => attempt.deadlineAt !== null && at.getTime() > attempt.deadlineAt.getTime();

const alreadyClosed = (status: AttemptStatus) => new ConflictError(`This attempt is already ${status.toLowerCase()}: it can no longer be submitted`);

/** Moves an attempt out of IN_PROGRESS; a concurrent submission that got there first makes this a CONFLICT. */
async function closeAttempt(
  db: Executor,
  attemptId: string,
  changes: Pick<AttemptRow, 'status' | 'submittedAt'> & { answers?: AnswerRow[] },
): Promise<AttemptRow> {
  const [closed] = await db
    .update(attempts)
    .set(changes)
    .where(and(eq(attempts.id, attemptId), eq(attempts.status, 'IN_PROGRESS')))
    .returning();
  if (!closed) throw new ConflictError('This attempt has just been submitted: it can no longer be submitted');
  return closed;
}

/**
 * Each answer must name a question of this quiz, at most once, and one of that question's choices.
 * Questions left out count as wrong. The messages say nothing about which choice is correct.
 */
function validateAnswers(answers: ReadonlyArray<AnswerRow>, questions: readonly QuestionRow[]): AnswerRow[] {
  const byId = new Map(questions.map((question) => [question.id, question]));
  const answered = new Set<string>();
  return answers.map(({ questionId, choiceId }, index) => {
    const question = byId.get(questionId);
    if (!question) throw new BadUserInputError('This question is not part of the quiz', `answers.${index}.questionId`);
    if (answered.has(questionId)) throw new BadUserInputError('A question can be answered once', `answers.${index}.questionId`);
    answered.add(questionId);
    if (!question.choices.some((choice) => choice.id === choiceId)) {
      throw new BadUserInputError('This choice is not one of the question', `answers.${index}.choiceId`);
    }
    return { questionId, choiceId };
  });
}
