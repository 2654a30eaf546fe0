import type { EventPayloads } from '../../lib/event-types.ts';
import type { EventEnvelope } from '../../lib/events.ts';
import { isUuid } from '../../lib/validation.ts';
import type { NotificationKind } from './generated/resolvers.ts';

export type SubjectType = 'Team' | 'JoinRequest' | 'Job' | 'Proposal' | 'Contract' | 'QuizAttempt';

/** A notification to create for one recipient, before it gets its id and place in their sequence. */
export interface NotificationDraft {
  recipientId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  subject: { type: SubjectType; id: string } | null;
}

type NotifiedType =
  | 'user.registered'
  | 'team.join_requested'
  | 'team.join_accepted'
  | 'team.join_rejected'
  | 'team.member_left'
  | 'proposal.submitted'
  | 'proposal.accepted'
  | 'proposal.rejected'
  | 'contract.completed'
  | 'quiz.scored';

type Rules = { [Type in NotifiedType]: (data: EventPayloads[Type]) => NotificationDraft[] };

const percent = (value: number) => `${Math.round(value * 10) / 10}%`;

/**
 * Who is notified of what (CONTRACT.md, "Who is notified of what"), one rule per event type, typed by
 * the event catalog. The events carry every id and name needed, so no other subgraph is called.
 */
export const NOTIFICATION_RULES: Rules = {
  'user.registered': (data) => [
    {
      recipientId: data.userId,
      kind: 'WELCOME',
      title: `Welcome to Skillgraph, ${data.name}!`,
      body: 'Prove your skills with a quiz, join a hackathon team or win a freelance job.',
      subject: null,
    },
  ],
  'team.join_requested': (data) => [
    {
      recipientId: data.leaderId,
      kind: 'TEAM_JOIN_REQUESTED',
      title: `New request to join ${data.teamName}`,
      body: data.message || 'Someone would like to join your team.',
      subject: { type: 'JoinRequest', id: data.joinRequestId },
    },
  ],
  'team.join_accepted': (data) => [
    {
      recipientId: data.requesterId,
      kind: 'TEAM_JOIN_ACCEPTED',
      title: `You joined ${data.teamName}`,
      body: `Your request to join ${data.teamName} was accepted.`,
      subject: { type: 'JoinRequest', id: data.joinRequestId },
    },
    ...data.memberIds
      .filter((memberId) => memberId !== data.requesterId)
      .map((memberId): NotificationDraft => ({
        recipientId: memberId,
        kind: 'TEAM_MEMBER_JOINED',
        title: `A new member joined ${data.teamName}`,
        body: `${data.teamName} has a new member.`,
        subject: { type: 'Team', id: data.teamId },
      })),
  ],
  'team.join_rejected': (data) => [
    {
      recipientId: data.requesterId,
      kind: 'TEAM_JOIN_REJECTED',
      title: `Your request to join ${data.teamName} was declined`,
      body: 'Other teams are looking for your skills: see your recommended teams.',
      subject: { type: 'JoinRequest', id: data.joinRequestId },
    },
  ],
  'team.member_left': (data) =>
    data.remainingMemberIds
      .filter((memberId) => memberId !== data.memberId)
      .map((memberId) => ({
        recipientId: memberId,
        kind: 'TEAM_MEMBER_LEFT',
        title: `A member left ${data.teamName}`,
        body: `${data.teamName} has a free seat.`,
        subject: { type: 'Team', id: data.teamId },
      })),
  'proposal.submitted': (data) => [
    {
      recipientId: data.clientId,
      kind: 'PROPOSAL_SUBMITTED',
      title: `New proposal for ${data.title}`,
      body: 'A freelancer sent a proposal.',
      subject: { type: 'Proposal', id: data.proposalId },
    },
  ],
  'proposal.accepted': (data) => [
    {
      recipientId: data.freelancerId,
      kind: 'PROPOSAL_ACCEPTED',
      title: `Your proposal for ${data.title} was accepted`,
      body: 'A contract has started.',
      subject: { type: 'Proposal', id: data.proposalId },
    },
  ],
  'proposal.rejected': (data) => [
    {
      recipientId: data.freelancerId,
      kind: 'PROPOSAL_REJECTED',
      title: `Your proposal for ${data.title} was not selected`,
      body: data.reason === 'JOB_CLOSED' ? 'The client closed the job.' : 'The client chose another proposal.',
      subject: { type: 'Proposal', id: data.proposalId },
    },
  ],
  'contract.completed': (data) => [
    {
      recipientId: data.freelancerId,
      kind: 'CONTRACT_COMPLETED',
      title: `Contract for ${data.title} completed`,
      body: 'The client marked the contract completed.',
      subject: { type: 'Contract', id: data.contractId },
    },
  ],
  'quiz.scored': (data) => [
    {
      recipientId: data.userId,
      kind: 'QUIZ_SCORED',
      title: `${data.quizTitle}: ${percent(data.percent)}${data.passed ? ', passed' : ''}`,
      body: data.passed ? `You verified your ${data.topic} skill.` : 'Not passed this time: try again.',
      subject: { type: 'QuizAttempt', id: data.attemptId },
    },
  ],
};

export const NOTIFIED_EVENT_TYPES = Object.keys(NOTIFICATION_RULES);

/**
 * The notifications an event causes. A draft without a valid recipient (a malformed event) is dropped;
 * one whose subject id is missing keeps its text and loses only the subject.
 */
export function notificationsFor(event: EventEnvelope): NotificationDraft[] {
  const rule = NOTIFICATION_RULES[event.type as NotifiedType] as ((data: unknown) => NotificationDraft[]) | undefined;
  if (!rule || typeof event.data !== 'object' || event.data === null) return [];
  let drafts: NotificationDraft[];
  try {
    drafts = rule(event.data);
  } catch (error) {
    // A payload missing what its version promises cannot be made into notifications: dead-letter it.
    throw new Error(`Malformed ${event.type} event ${event.id}: ${(error as Error).message}`);
  }
  return drafts
    .filter((draft) => isUuid(draft.recipientId))
    .map((draft) => (draft.subject && !draft.subject.id ? { ...draft, subject: null } : draft));
}
