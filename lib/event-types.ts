/**
 * The catalog of event payloads (the `data` of the envelope), by type: what producers promise and
 * consumers rely on. A change that breaks a consumer gets a new `version`.
 */

export interface SkillPayload {
  name: string;
  level: number;
}

/** users → teams (skill replica), notifications (WELCOME). */
export interface UserRegistered {
  userId: string;
  name: string;
  skills: SkillPayload[];
  /** Grows with every change to the user: a replica keeps the state of the highest revision it saw. */
  revision: number;
}

/** users → teams (skill replica). Carries the full state, not a diff. */
export interface UserUpdated {
  userId: string;
  name: string;
  bio: string | null;
  skills: SkillPayload[];
  revision: number;
}

/** quizzes (API) → quizzes (evaluation worker): an attempt was submitted in time and awaits scoring. */
export interface QuizCompleted {
  attemptId: string;
  userId: string;
  quizId: string;
  quizTitle: string;
  topic: string;
  submittedAt: string;
}

/** quizzes (evaluation worker) → notifications (QUIZ_SCORED), users/teams where useful. */
export interface QuizScored {
  attemptId: string;
  userId: string;
  quizId: string;
  quizTitle: string;
  topic: string;
  score: number;
  maxScore: number;
  /** 0..100, two decimals. */
  percent: number;
  /** percent >= the quiz's passPercent: the topic is now among the user's verified skills. */
  passed: boolean;
  scoredAt: string;
}

/** quizzes (evaluation worker): a user's best on a quiz rose (or was first set), so both leaderboards moved. */
export interface LeaderboardUpdated {
  userId: string;
  quizId: string;
  topic: string;
  /** The user's best score on this quiz: their entry on its leaderboard. */
  bestScore: number;
  bestPercent: number;
  /** Sum of the user's best percentages across quizzes: their entry on the global leaderboard. */
  globalScore: number;
  /** When the best score was first reached; earlier ranks higher among equal scores. */
  reachedAt: string;
}

export interface EventPayloads {
  'user.registered': UserRegistered;
  'user.updated': UserUpdated;
  'quiz.completed': QuizCompleted;
  'quiz.scored': QuizScored;
  'leaderboard.updated': LeaderboardUpdated;
}

export type EventType = keyof EventPayloads;
