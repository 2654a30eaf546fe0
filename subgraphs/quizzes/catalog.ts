import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../lib/db/index.ts';
import { quizzes, type AnswerKey, type QuestionRow, type QuizRecord } from './db/schema.ts';

/**
 * The quiz catalog ships with the product as one JSON file per quiz in `catalog/`. A question lists
 * its choices and the index of the correct one (`answer`); that index never leaves this subgraph.
 */
const CATALOG_FOLDER = new URL('./catalog/', import.meta.url);

const catalogQuestion = z
  .object({
    prompt: z.string().trim().min(1),
    choices: z.array(z.string().trim().min(1)).min(2).max(6),
    /** Index of the one correct choice. */
    answer: z.number().int().min(0),
  })
  .strict()
  .refine((question) => question.answer < question.choices.length, { message: 'answer is not the index of a choice' })
  .refine((question) => new Set(question.choices).size === question.choices.length, { message: 'choices must differ' });

const catalogQuiz = z
  .object({
    slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case words joined by hyphens'),
    title: z.string().trim().min(1),
    topic: z.string().regex(/^[a-z0-9][a-z0-9 .#+-]*$/, 'must be a skill name, trimmed and lower-case'),
    description: z.string().trim().min(1),
    passPercent: z.number().int().min(1).max(100),
    timeLimitSeconds: z.number().int().positive().nullable(),
    questions: z.array(catalogQuestion).min(5),
  })
  .strict()
  .refine((quiz) => new Set(quiz.questions.map((question) => question.prompt)).size === quiz.questions.length, {
    message: 'prompts must differ',
  });

export type CatalogQuiz = z.infer<typeof catalogQuiz>;

/** Reads and validates every quiz of the catalog; a bad file stops the start with its name and the problem. */
export function readCatalog(folder: URL = CATALOG_FOLDER): CatalogQuiz[] {
  const files = readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .sort();
  const catalog = files.map((file) => {
    const parsed = catalogQuiz.safeParse(JSON.parse(readFileSync(new URL(file, folder), 'utf8')));
    if (!parsed.success) throw new Error(`Quiz catalog ${file}: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  });
  const slugs = catalog.map((quiz) => quiz.slug);
  const duplicate = slugs.find((slug, index) => slugs.indexOf(slug) !== index);
  if (duplicate) throw new Error(`Quiz catalog: slug ${duplicate} is used twice`);
  return catalog;
}

/**
 * A quiz as stored. Ids are derived from the content (a name-based UUID), so every installation gives
 * the same quiz, question and choice the same id, and an answer stays valid across restarts.
 * Choices are shown ordered by their id, a hash: where the correct choice sits says nothing about it,
 * whatever order the catalog author wrote them in.
 */
export function toQuizRecord(quiz: CatalogQuiz): Omit<QuizRecord, 'updatedAt'> {
  const id = stableUuid(`quiz/${quiz.slug}`);
  const answerKey: AnswerKey = {};
  const questions = quiz.questions.map((question): QuestionRow => {
    const questionId = stableUuid(`question/${quiz.slug}/${question.prompt}`);
    const choices = question.choices.map((text) => ({ id: stableUuid(`choice/${questionId}/${text}`), text }));
    answerKey[questionId] = choices[question.answer]!.id;
    return { id: questionId, prompt: question.prompt, choices: choices.sort((a, b) => (a.id < b.id ? -1 : 1)) };
  });
  const { slug, title, topic, description, passPercent, timeLimitSeconds } = quiz;
  return { id, slug, title, topic, description, passPercent, timeLimitSeconds, questions, answerKey };
}

/**
 * Upserts the catalog by slug in one statement: missing quizzes are created, changed ones updated,
 * unchanged ones left alone. Safe to run at every start and from several replicas at once. A quiz
 * dropped from the catalog stays in the database, since attempts refer to it.
 */
export async function loadCatalog(db: Executor, catalog: CatalogQuiz[] = readCatalog()): Promise<void> {
  const records = catalog.map(toQuizRecord);
  const changed = sql`(${quizzes.title}, ${quizzes.topic}, ${quizzes.description}, ${quizzes.passPercent}, ${quizzes.timeLimitSeconds}, ${quizzes.questions}, ${quizzes.answerKey})
    IS DISTINCT FROM (excluded.title, excluded.topic, excluded.description, excluded.pass_percent, excluded.time_limit_seconds, excluded.questions, excluded.answer_key)`;
  await db
    .insert(quizzes)
    .values(records)
    .onConflictDoUpdate({
      target: quizzes.slug,
      set: {
        title: sql`excluded.title`,
        topic: sql`excluded.topic`,
        description: sql`excluded.description`,
        passPercent: sql`excluded.pass_percent`,
        timeLimitSeconds: sql`excluded.time_limit_seconds`,
        questions: sql`excluded.questions`,
        answerKey: sql`excluded.answer_key`,
        updatedAt: sql`now()`,
      },
      setWhere: changed,
    });
}

/** A name-based UUID (version 5 layout, SHA-1 in a namespace of our own). */
const NAMESPACE = Buffer.from('0b7c9a52e3f14d6c8a1e5f2d9c4b7a30', 'hex');
export function stableUuid(name: string): string {
  const bytes = createHash('sha1').update(NAMESPACE).update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
