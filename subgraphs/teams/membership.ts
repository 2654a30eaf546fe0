import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor, Transaction } from '../../lib/db/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import type { TeamEventBase } from '../../lib/event-types.ts';
import { isUuid } from '../../lib/validation.ts';
import { teamColumns, teamMembers, teams, type TeamRow } from './db/schema.ts';

/**
 * Locks a team's row until the transaction ends. Every change to a team's membership, and every decision
 * on one of its join requests, takes this lock first (and a join request's row only after it): changes to
 * one team happen one at a time, so its last seat is given once, and no two transactions wait on each other.
 */
export async function lockTeam(tx: Transaction, teamId: string, strength: 'update' | 'share' = 'update'): Promise<TeamRow> {
  const [team] = isUuid(teamId) ? await tx.select(teamColumns).from(teams).where(eq(teams.id, teamId)).for(strength) : [];
  if (!team) throw new NotFoundError('Team', teamId);
  return team;
}

/** Member ids per team, the leader first, then by join time: one query for any number of teams. */
export async function memberIdsByTeam(db: Executor, teamIds: readonly string[]): Promise<Map<string, string[]>> {
  const byTeam = new Map<string, string[]>(teamIds.map((id) => [id, []]));
  const valid = teamIds.filter(isUuid);
  if (valid.length === 0) return byTeam;
  const rows = await db
    .select({ teamId: teamMembers.teamId, userId: teamMembers.userId })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(inArray(teamMembers.teamId, valid))
    .orderBy(desc(sql`${teamMembers.userId} = ${teams.leaderId}`), asc(teamMembers.joinedAt), asc(teamMembers.userId));
  for (const row of rows) byTeam.get(row.teamId)?.push(row.userId);
  return byTeam;
}

export async function isMember(db: Executor, teamId: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ userId: teamMembers.userId })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
  return row !== undefined;
}

export function teamEventBase(team: TeamRow): TeamEventBase {
  return { teamId: team.id, teamName: team.name, leaderId: team.leaderId };
}
