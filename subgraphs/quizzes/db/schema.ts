import { sql } from 'drizzle-orm';
import { boolean, check, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export { inbox, outbox } from '../../../lib/db/messaging.ts';

export interface ChoiceRow {
  id: string;
  text: string;
}

/** A question as clients may see it: nothing here says which choice is correct. */
export interface QuestionRow {
  id: string;
  prompt: string;
  choices: ChoiceRow[];
}

/** Which choice is correct, by question id: read by the scorer only, never selected for the API. */
export type AnswerKey = Record<string, string>;

export interface AnswerRow {
  questionId: string;
  choiceId: string;
}

/**
 * The catalog, shipped with the product and upserted by slug at every start. A quiz's questions are
 * read together and written together, so they live with it as JSON; the answer key sits in its own
 * column so that the queries serving the API can leave it out entirely.
 */
export const quizzes = pgTable(
  'quizzes',
  {
    id: uuid('id').primaryKey(),
    slug: text('slug').notNull(),
    title: text('title').notNull(),
    /** A skill name: trimmed, lower-case. */
    topic: text('topic').notNull(),
    description: text('description').notNull(),
    passPercent: integer('pass_percent').notNull(),
    timeLimitSeconds: integer('time_limit_seconds'),
    questions: jsonb('questions').$type<QuestionRow[]>().notNull(),
    answerKey: jsonb('answer_key').$type<AnswerKey>().notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('quizzes_slug_key').on(table.slug), index('quizzes_topic_idx').on(table.topic, table.title)],
);

export const ATTEMPT_STATUSES = ['IN_PROGRESS', 'SUBMITTED', 'SCORED', 'EXPIRED'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export const attempts = pgTable(
  'quiz_attempts',
  {
    id: uuid('id').primaryKey(),
    quizId: uuid('quiz_id')
      .notNull()
      .references(() => quizzes.id),
    userId: uuid('user_id').notNull(),
    status: text('status').$type<AttemptStatus>().notNull(),
    /** The questions the quiz had when the attempt started: a later catalog change does not move the goalposts. */
    maxScore: integer('max_score').notNull(),
    /** Null without a time limit. */
    deadlineAt: timestamp('deadline_at', { withTimezone: true, mode: 'date' }),
    /** Stored at submission; unanswered questions count as wrong. */
    answers: jsonb('answers').$type<AnswerRow[]>(),
    score: integer('score'),
    percent: doublePrecision('percent'),
    passed: boolean('passed'),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true, mode: 'date' }),
    scoredAt: timestamp('scored_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    check('quiz_attempts_status_check', sql`${table.status} IN ('IN_PROGRESS', 'SUBMITTED', 'SCORED', 'EXPIRED')`),
    // quizStats and verifiedSkills read a user's scored attempts.
    index('quiz_attempts_user_scored_idx').on(table.userId, table.quizId).where(sql`${table.status} = 'SCORED'`),
  ],
);

/**
 * Each user's best result per quiz: the database side of the leaderboards, from which Redis is
 * rebuilt. `reachedAt` is when the best score was first reached (the submission time of the earliest
 * attempt with that score), which breaks ties.
 */
export const bestScores = pgTable(
  'quiz_best_scores',
  {
    userId: uuid('user_id').notNull(),
    quizId: uuid('quiz_id')
      .notNull()
      .references(() => quizzes.id),
    score: integer('score').notNull(),
    percent: doublePrecision('percent').notNull(),
    reachedAt: timestamp('reached_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.quizId] }), index('quiz_best_scores_quiz_idx').on(table.quizId)],
);

export type QuizRecord = typeof quizzes.$inferSelect;
/** A quiz as the API reads it: every column but the answer key. */
export type QuizRow = Omit<QuizRecord, 'answerKey'>;
export type AttemptRow = typeof attempts.$inferSelect;
export type BestScoreRow = typeof bestScores.$inferSelect;
