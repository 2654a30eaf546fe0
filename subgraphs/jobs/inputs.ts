import { BadUserInputError } from '../../lib/errors.ts';
import { normalizeSkillName, normalizeSkillNames, requireIntInRange, requireText } from '../../lib/validation.ts';
import type { JobStatus, ProposalRow } from './db/schema.ts';

/** GraphQL's Int is 32-bit signed: a larger total could be stored but never returned. */
export const MAX_INT = 2 ** 31 - 1;
export const MAX_JOB_SKILLS = 20;
export const MAX_MILESTONES = 20;
const MAX_SEARCH_WORDS = 10;

export interface JobInput {
  title: string;
  description: string;
  skills: string[];
  budgetCents: number;
}

export interface MilestoneInput {
  description: string;
  amountCents: number;
  dueDate: string;
}

export interface ProposalInput {
  coverLetter: string;
  jobDuration: ProposalRow['jobDuration'];
  milestones: readonly MilestoneInput[];
}

export interface ValidProposal extends ProposalInput {
  totalCents: number;
}

export interface JobFilterInput {
  skill?: string | null;
  status?: JobStatus | null;
  search?: string | null;
}

/** A filter ready for SQL: the skill normalized, the search as a `to_tsquery` expression. */
export interface JobFilter {
  skill?: string;
  status?: JobStatus;
  searchQuery?: string;
}

export function validJob(input: JobInput): JobInput {
  return {
    title: requireText(input.title, 'input.title', { max: 200 }),
    description: requireText(input.description, 'input.description', { max: 10_000 }),
    skills: normalizeSkillNames(input.skills, 'input.skills', MAX_JOB_SKILLS),
    budgetCents: requireIntInRange(input.budgetCents, 'input.budgetCents', 1, MAX_INT),
  };
}

/** Checks a proposal against `today` (UTC, `YYYY-MM-DD`) and adds its total. */
export function validProposal(input: ProposalInput, today: string): ValidProposal {
  const coverLetter = requireText(input.coverLetter, 'input.coverLetter', { min: 20, max: 5000 });
  const count = input.milestones.length;
  if (count < 1 || count > MAX_MILESTONES) {
    throw new BadUserInputError(`A proposal has 1 to ${MAX_MILESTONES} milestones`, 'input.milestones');
  }
  const milestones = input.milestones.map((milestone, index) => validMilestone(milestone, `input.milestones.${index}`, today));
  const totalCents = milestones.reduce((sum, milestone) => sum + milestone.amountCents, 0);
  if (totalCents > MAX_INT) throw new BadUserInputError(`The milestones add up to more than ${MAX_INT} cents`, 'input.milestones');
  return {
    coverLetter,
    jobDuration: input.jobDuration,
    milestones,
    totalCents,
  };
}

function validMilestone(input: MilestoneInput, field: string, today: string): MilestoneInput {
  // Both are YYYY-MM-DD (the Date scalar checked it): string order is date order.
  if (input.dueDate < today) throw new BadUserInputError(`A due date cannot be in the past (today is ${today} UTC)`, `${field}.dueDate`);
  return {
    description: requireText(input.description, `${field}.description`, { max: 500 }),
    amountCents: requireIntInRange(input.amountCents, `${field}.amountCents`, 1, MAX_INT),
    dueDate: input.dueDate,
  };
}

export function validJobFilter(input: JobFilterInput | null | undefined): JobFilter {
  const filter: JobFilter = {};
  if (input?.skill !== null && input?.skill !== undefined) filter.skill = normalizeSkillName(input.skill, 'filter.skill');
  if (input?.status) filter.status = input.status;
  if (input?.search !== null && input?.search !== undefined) {
    if (input.search.length > 200) throw new BadUserInputError('filter.search must be at most 200 characters', 'filter.search');
    filter.searchQuery = prefixQuery(input.search);
  }
  return filter;
}

/**
 * Every word must match, each as a prefix (`graph` finds GraphQL). Only letters and digits reach the
 * query, so nothing a client types is read as tsquery syntax. No word at all means no search.
 */
function prefixQuery(search: string): string | undefined {
  const words = search.match(/[\p{L}\p{N}]+/gu)?.slice(0, MAX_SEARCH_WORDS) ?? [];
  return words.length ? words.map((word) => `${word}:*`).join(' & ') : undefined;
}

/** Today's date in UTC, the calendar due dates are checked against. */
export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
