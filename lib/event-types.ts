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

/** What every jobs event says about the job it concerns. */
export interface JobFacts {
  jobId: string;
  /** The job's title. */
  title: string;
  /** The job's client. */
  clientId: string;
}

/** jobs → notifications (and anyone who lists new jobs). */
export interface JobPosted extends JobFacts {
  skills: string[];
  budgetCents: number;
}

/** jobs → notifications: PROPOSAL_SUBMITTED, to the job's client. */
export interface ProposalSubmitted extends JobFacts {
  proposalId: string;
  freelancerId: string;
  totalCents: number;
}

/** jobs → notifications: PROPOSAL_ACCEPTED, to the freelancer. Sent with the contract it started. */
export interface ProposalAccepted extends JobFacts {
  proposalId: string;
  freelancerId: string;
  contractId: string;
  totalCents: number;
}

/** jobs → notifications: PROPOSAL_REJECTED, to the freelancer. */
export interface ProposalRejected extends JobFacts {
  proposalId: string;
  freelancerId: string;
  /** Another proposal of the job was accepted, or its client closed the job. */
  reason: 'ANOTHER_PROPOSAL_ACCEPTED' | 'JOB_CLOSED';
}

/** jobs → notifications: CONTRACT_COMPLETED, to the freelancer. */
export interface ContractCompleted extends JobFacts {
  contractId: string;
  proposalId: string;
  freelancerId: string;
  totalCents: number;
}

/** What every team event says about its team, so a consumer needs no call back to teams. */
export interface TeamEventBase {
  teamId: string;
  teamName: string;
  leaderId: string;
}

/** teams → notifications. */
export interface TeamCreated extends TeamEventBase {
  hackathon: string | null;
  requiredSkills: string[];
  maxMembers: number;
}

/** teams → notifications (TEAM_JOIN_REQUESTED to the leader). */
export interface TeamJoinRequested extends TeamEventBase {
  joinRequestId: string;
  requesterId: string;
  message: string | null;
}

/** teams → notifications (TEAM_JOIN_ACCEPTED to the requester, TEAM_MEMBER_JOINED to every other member). */
export interface TeamJoinAccepted extends TeamEventBase {
  joinRequestId: string;
  requesterId: string;
  /** Every member once the requester joined, the requester included: leader first, then by join time. */
  memberIds: string[];
}

/** teams → notifications (TEAM_JOIN_REJECTED to the requester). */
export interface TeamJoinRejected extends TeamEventBase {
  joinRequestId: string;
  requesterId: string;
}

/** teams → notifications (TEAM_MEMBER_LEFT to the remaining members). */
export interface TeamMemberLeft extends TeamEventBase {
  memberId: string;
  /** Leader first, then by join time; empty when the team was dissolved. */
  remainingMemberIds: string[];
  /** The leader left as the last member: the team and its join requests are gone. */
  dissolved: boolean;
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
  'job.posted': JobPosted;
  'proposal.submitted': ProposalSubmitted;
  'proposal.accepted': ProposalAccepted;
  'proposal.rejected': ProposalRejected;
  'contract.completed': ContractCompleted;
  'team.created': TeamCreated;
  'team.join_requested': TeamJoinRequested;
  'team.join_accepted': TeamJoinAccepted;
  'team.join_rejected': TeamJoinRejected;
  'team.member_left': TeamMemberLeft;
  'quiz.completed': QuizCompleted;
  'quiz.scored': QuizScored;
  'leaderboard.updated': LeaderboardUpdated;
}

export type EventType = keyof EventPayloads;
