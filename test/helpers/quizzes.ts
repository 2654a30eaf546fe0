import { expect, vi } from 'vitest';
import { readCatalog, toQuizRecord } from '../../subgraphs/quizzes/catalog.ts';
import type { QuizRecord } from '../../subgraphs/quizzes/db/schema.ts';
import type { Stack } from './stack.ts';

export type CatalogRecord = Omit<QuizRecord, 'updatedAt'>;

/** The catalog as stored, answer keys included: what a test needs to answer right or wrong on purpose. */
export function catalogByTopic(): Map<string, CatalogRecord> {
  return new Map(readCatalog().map(toQuizRecord).map((quiz) => [quiz.topic, quiz]));
}

/** Answers every question of the quiz: the first `correct` ones right, the rest wrong. */
export function answersFor(quiz: CatalogRecord, correct: number) {
  return quiz.questions.map((question, index) => {
    const right = quiz.answerKey[question.id]!;
    const choiceId = index < correct ? right : question.choices.find((choice) => choice.id !== right)!.id;
    return { questionId: question.id, choiceId };
  });
}

/** A clock a test moves by hand: the service reads the time from it, so no test sleeps. */
export function manualClock(start: string) {
  let now = new Date(start);
  return {
    clock: () => new Date(now),
    set: (iso: string) => void (now = new Date(iso)),
    advanceSeconds: (seconds: number) => void (now = new Date(now.getTime() + seconds * 1000)),
  };
}

export const START_QUIZ = /* GraphQL */ `
  mutation Start($quizId: ID!) { startQuiz(quizId: $quizId) { id status maxScore startedAt submittedAt scoredAt score percent passed } }
`;
export const SUBMIT = /* GraphQL */ `
  mutation Submit($attemptId: ID!, $answers: [AnswerInput!]!) {
    submitQuizAttempt(attemptId: $attemptId, answers: $answers) { id status score percent passed submittedAt scoredAt }
  }
`;
export const ATTEMPT = /* GraphQL */ `
  query Attempt($id: ID!) { attempt(id: $id) { id status score maxScore percent passed startedAt submittedAt scoredAt quiz { id slug } user { id } } }
`;

/** Waits until the evaluation worker has scored the attempt, and returns it as its user sees it. */
export async function waitUntilScored(stack: Stack, token: string, attemptId: string) {
  return vi.waitFor(
    async () => {
      const attempt = (await stack.graphql(ATTEMPT, { id: attemptId }, { token })).data?.attempt;
      expect(attempt?.status).toBe('SCORED');
      return attempt as Record<string, any>;
    },
    { timeout: 10_000, interval: 50 },
  );
}

/** Starts and submits an attempt through the gateway; returns the SUBMITTED attempt. */
export async function takeQuiz(stack: Stack, token: string, quiz: CatalogRecord, correct: number) {
  const started = await stack.graphql(START_QUIZ, { quizId: quiz.id }, { token });
  if (!started.data?.startQuiz) throw new Error(`startQuiz failed: ${JSON.stringify(started.errors)}`);
  const submitted = await stack.graphql(SUBMIT, { attemptId: started.data.startQuiz.id, answers: answersFor(quiz, correct) }, { token });
  if (!submitted.data?.submitQuizAttempt) throw new Error(`submitQuizAttempt failed: ${JSON.stringify(submitted.errors)}`);
  return submitted.data.submitQuizAttempt as { id: string; status: string };
}
