import type { AnswerKey, AnswerRow } from './db/schema.ts';

export interface AttemptResult {
  /** Questions answered correctly. */
  score: number;
  /** score / maxScore in percent, rounded to two decimals. */
  percent: number;
  passed: boolean;
}

/**
 * Scores answers against the answer key. Unanswered questions, and answers to questions the quiz no
 * longer has, earn nothing. `passed` compares exact fractions, so rounding `percent` up to the pass
 * mark never turns a fail into a pass.
 */
export function scoreAnswers(answers: readonly AnswerRow[], answerKey: AnswerKey, maxScore: number, passPercent: number): AttemptResult {
  const correct = new Set(answers.filter((answer) => answerKey[answer.questionId] === answer.choiceId).map((answer) => answer.questionId));
  const score = Math.min(correct.size, maxScore);
  return {
    score,
    percent: maxScore === 0 ? 0 : Math.round((score * 10_000) / maxScore) / 100,
    passed: maxScore > 0 && score * 100 >= passPercent * maxScore,
  };
}
