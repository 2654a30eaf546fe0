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

export interface EventPayloads {
  'user.registered': UserRegistered;
  'user.updated': UserUpdated;
  'job.posted': JobPosted;
  'proposal.submitted': ProposalSubmitted;
  'proposal.accepted': ProposalAccepted;
  'proposal.rejected': ProposalRejected;
  'contract.completed': ContractCompleted;
}

export type EventType = keyof EventPayloads;
