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

type Data = Record<string, unknown>;
type Rule = (data: Data) => NotificationDraft[];

const text = (data: Data, key: string, fallback = '') => (typeof data[key] === 'string' ? (data[key] as string) : fallback);
const ids = (data: Data, key: string) => (Array.isArray(data[key]) ? (data[key] as unknown[]).filter((id): id is string => typeof id === 'string') : []);
const percent = (value: unknown) => (typeof value === 'number' ? `${Math.round(value * 10) / 10}%` : '');

/**
 * Who is notified of what (CONTRACT.md, "Who is notified of what"), one rule per event type. The events
 * carry every id and name needed, so no other subgraph is called.
 */
export const NOTIFICATION_RULES: Record<string, Rule> = {
  'user.registered': (data) => [
    {
      recipientId: text(data, 'userId'),
      kind: 'WELCOME',
      title: `Welcome to Skillgraph, ${text(data, 'name', 'developer')}!`,
      body: 'Prove your skills with a quiz, join a hackathon team or win a freelance job.',
      subject: null,
    },
  ],
  'team.join_requested': (data) => [
    {
      recipientId: text(data, 'leaderId'),
      kind: 'TEAM_JOIN_REQUESTED',
      title: `New request to join ${text(data, 'teamName', 'your team')}`,
      body: text(data, 'message') || 'Someone would like to join your team.',
      subject: { type: 'JoinRequest', id: text(data, 'joinRequestId') },
    },
  ],
  'team.join_accepted': (data) => {
    const requesterId = text(data, 'requesterId');
    const teamName = text(data, 'teamName', 'the team');
    return [
      {
        recipientId: requesterId,
        kind: 'TEAM_JOIN_ACCEPTED',
        title: `You joined ${teamName}`,
        body: `Your request to join ${teamName} was accepted.`,
        subject: { type: 'JoinRequest', id: text(data, 'joinRequestId') },
      },
      ...ids(data, 'memberIds')
        .filter((memberId) => memberId !== requesterId)
        .map((memberId): NotificationDraft => ({
          recipientId: memberId,
          kind: 'TEAM_MEMBER_JOINED',
          title: `A new member joined ${teamName}`,
          body: `${teamName} has a new member.`,
          subject: { type: 'Team', id: text(data, 'teamId') },
        })),
    ];
  },
  'team.join_rejected': (data) => [
    {
      recipientId: text(data, 'requesterId'),
      kind: 'TEAM_JOIN_REJECTED',
      title: `Your request to join ${text(data, 'teamName', 'a team')} was declined`,
      body: 'Other teams are looking for your skills: see your recommended teams.',
      subject: { type: 'JoinRequest', id: text(data, 'joinRequestId') },
    },
  ],
  'team.member_left': (data) =>
    ids(data, 'remainingMemberIds')
      .filter((memberId) => memberId !== text(data, 'memberId'))
      .map((memberId) => ({
        recipientId: memberId,
        kind: 'TEAM_MEMBER_LEFT',
        title: `A member left ${text(data, 'teamName', 'your team')}`,
        body: `${text(data, 'teamName', 'Your team')} has a free seat.`,
        subject: { type: 'Team', id: text(data, 'teamId') },
      })),
  'proposal.submitted': (data) => [
    {
      recipientId: text(data, 'clientId'),
      kind: 'PROPOSAL_SUBMITTED',
      title: `New proposal for ${text(data, 'jobTitle', 'your job')}`,
      body: 'A freelancer sent a proposal.',
      subject: { type: 'Proposal', id: text(data, 'proposalId') },
    },
  ],
  'proposal.accepted': (data) => [
    {
      recipientId: text(data, 'freelancerId'),
      kind: 'PROPOSAL_ACCEPTED',
      title: `Your proposal for ${text(data, 'jobTitle', 'a job')} was accepted`,
      body: 'A contract has started.',
      subject: { type: 'Proposal', id: text(data, 'proposalId') },
    },
  ],
  'proposal.rejected': (data) => [
    {
      recipientId: text(data, 'freelancerId'),
      kind: 'PROPOSAL_REJECTED',
      title: `Your proposal for ${text(data, 'jobTitle', 'a job')} was not selected`,
      body: 'The client chose another proposal.',
      subject: { type: 'Proposal', id: text(data, 'proposalId') },
    },
  ],
  'contract.completed': (data) => [
    {
      recipientId: text(data, 'freelancerId'),
      kind: 'CONTRACT_COMPLETED',
      title: `Contract for ${text(data, 'jobTitle', 'a job')} completed`,
      body: 'The client marked the contract completed.',
      subject: { type: 'Contract', id: text(data, 'contractId') },
    },
  ],
  'quiz.scored': (data) => [
    {
      recipientId: text(data, 'userId'),
      kind: 'QUIZ_SCORED',
      title: `${text(data, 'quizTitle', 'Your quiz')}: ${percent(data.percent)}${data.passed === true ? ', passed' : ''}`,
      body: data.passed === true ? `You verified your ${text(data, 'topic', 'skill')} skill.` : 'Not passed this time: try again.',
      subject: { type: 'QuizAttempt', id: text(data, 'attemptId') },
    },
  ],
};

export const NOTIFIED_EVENT_TYPES = Object.keys(NOTIFICATION_RULES);

/**
 * The notifications an event causes. A draft without a valid recipient (a malformed event) is dropped;
 * one whose subject id is missing keeps its text and loses only the subject.
 */
export function notificationsFor(event: EventEnvelope): NotificationDraft[] {
  const rule = NOTIFICATION_RULES[event.type];
  if (!rule || typeof event.data !== 'object' || event.data === null) return [];
  return rule(event.data as Data)
    .filter((draft) => isUuid(draft.recipientId))
    .map((draft) => (draft.subject && !draft.subject.id ? { ...draft, subject: null } : draft));
}
