import { randomUUID } from 'node:crypto';
import { and, arrayContains, count, desc, eq, inArray, notExists, sql, type SQL } from 'drizzle-orm';
import { BadUserInputError, ConflictError, ForbiddenError } from '../../lib/errors.ts';
import type { TeamCreated, TeamMemberLeft } from '../../lib/event-types.ts';
import { decodeCursor, newestFirst, olderThan, toConnection } from '../../lib/pagination.ts';
import type { SubgraphDeps } from '../../lib/subgraph.ts';
import { isUuid, normalizeSkillName, normalizeSkillNames, optionalText, requireIntInRange, requireText } from '../../lib/validation.ts';
import { teamColumns, teamMembers, teams, type TeamRow } from './db/schema.ts';
import { lockTeam, memberIdsByTeam, teamEventBase } from './membership.ts';
import type { TeamPage, TeamSearch } from './models.ts';
import { skillMatchScoreSql } from './skill-match.ts';

const MAX_REQUIRED_SKILLS = 20;
const MAX_SEARCH_LENGTH = 200;

export interface CreateTeamInput {
  name: string;
  description: string;
  hackathon?: string | null;
  requiredSkills: readonly string[];
  maxMembers: number;
}

export interface TeamFilterInput {
  skill?: string | null;
  hackathon?: string | null;
  search?: string | null;
  openOnly?: boolean | null;
}

export type TeamsService = ReturnType<typeof createTeamsService>;

/** Teams: creating, reading, listing and ranking them, and leaving one. Join requests are in join-requests.ts. */
export function createTeamsService(deps: SubgraphDeps) {
  const { db } = deps;

  return {
    /** One query for any number of ids; unknown (or malformed) ids are simply absent. */
    async byIds(ids: readonly string[]): Promise<TeamRow[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      return db.select(teamColumns).from(teams).where(inArray(teams.id, valid));
    },

    memberIds: (teamIds: readonly string[]) => memberIdsByTeam(db, teamIds),

    /** The teams of each user, the most recently joined first: one query for any number of users. */
    async teamsOfMembers(userIds: readonly string[]): Promise<Array<{ memberId: string; team: TeamRow }>> {
      const valid = userIds.filter(isUuid);
      if (valid.length === 0) return [];
      return db
        .select({ memberId: teamMembers.userId, team: teamColumns })
        .from(teamMembers)
        .innerJoin(teams, eq(teams.id, teamMembers.teamId))
        .where(inArray(teamMembers.userId, valid))
        .orderBy(desc(teamMembers.joinedAt), desc(teams.id));
    },

    /** A newest-first page of the teams matching `filter`. */
    async list(filter: TeamFilterInput | null | undefined, size: number, after: string | null | undefined): Promise<TeamPage> {
      const search = normalizeFilter(filter);
      const cursor = after ? decodeCursor(after) : undefined;
      const rows = await db
        .select(teamColumns)
        .from(teams)
        .where(and(...conditionsOf(search), cursor && olderThan(teams.createdAt, teams.id, cursor)))
        .orderBy(...newestFirst(teams.createdAt, teams.id))
        .limit(size + 1);
      return { ...toConnection(rows, size), search };
    },

    async count(search: TeamSearch): Promise<number> {
      const [row] = await db.select({ total: count() }).from(teams).where(and(...conditionsOf(search)));
      return row?.total ?? 0;
    },

    /**
     * Open teams `userId` is not in, best skill match first, then newest. The database scores and sorts
     * (a top-N sort, in bounded memory), so thousands of open teams cost one scan and no transfer.
     */
    async recommended(userId: string, skills: ReadonlySet<string>, size: number): Promise<TeamRow[]> {
      const membership = db
        .select({ one: sql`1` })
        .from(teamMembers)
        .where(and(eq(teamMembers.teamId, teams.id), eq(teamMembers.userId, userId)));
      return db
        .select(teamColumns)
        .from(teams)
        .where(and(isOpen(), notExists(membership)))
        .orderBy(desc(skillMatchScoreSql(teams.requiredSkills, skills)), ...newestFirst(teams.createdAt, teams.id))
        .limit(size);
    },

    async create(leaderId: string, input: CreateTeamInput, correlationId: string): Promise<TeamRow> {
      const values = validateTeam(input);
      return deps.transaction(correlationId, async ({ tx, emit }) => {
        const [created] = await tx
          .insert(teams)
          .values({ id: randomUUID(), ...values, leaderId, memberCount: 1 })
          .returning(teamColumns);
        const team = created!;
        await tx.insert(teamMembers).values({ teamId: team.id, userId: leaderId });
        await emit<TeamCreated>('team.created', {
          ...teamEventBase(team),
          hackathon: team.hackathon,
          requiredSkills: team.requiredSkills,
          maxMembers: team.maxMembers,
        });
        return team;
      });
    },

    /**
     * `userId` leaves the team. The leader cannot leave others behind; the leader leaving alone dissolves
     * the team (deleted with its join requests), and the team is returned as it ends: with no members.
     */
    async leave(userId: string, teamId: string, correlationId: string): Promise<TeamRow> {
      return deps.transaction(correlationId, async ({ tx, emit }) => {
        const team = await lockTeam(tx, teamId);
        const members = (await memberIdsByTeam(tx, [team.id])).get(team.id) ?? [];
        if (!members.includes(userId)) throw new ForbiddenError('Only a member can leave a team');
        const remainingMemberIds = members.filter((id) => id !== userId);
        const isLeader = team.leaderId === userId;
        if (isLeader && remainingMemberIds.length > 0) throw new ConflictError('The leader cannot leave a team that has other members');

        // The leader can only leave last, and the team goes with them.
        const dissolved = isLeader;
        if (dissolved) {
          await tx.delete(teams).where(eq(teams.id, team.id));
        } else {
          await tx.delete(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.userId, userId)));
          await tx
            .update(teams)
            .set({ memberCount: sql`${teams.memberCount} - 1` })
            .where(eq(teams.id, team.id));
        }
        await emit<TeamMemberLeft>('team.member_left', { ...teamEventBase(team), memberId: userId, remainingMemberIds, dissolved });
        // Under the team's lock, the count read above is still the count.
        return { ...team, memberCount: team.memberCount - 1 };
      });
    },
  };
}

function validateTeam(input: CreateTeamInput) {
  return {
    name: requireText(input.name, 'input.name', { max: 100 }),
    description: requireText(input.description, 'input.description', { max: 5000 }),
    hackathon: normalizeHackathon(optionalText(input.hackathon, 'input.hackathon', 100)),
    requiredSkills: normalizeSkillNames(input.requiredSkills, 'input.requiredSkills', MAX_REQUIRED_SKILLS),
    maxMembers: requireIntInRange(input.maxMembers, 'input.maxMembers', 2, 20),
  };
}

/** Hackathon names are matched case-insensitively; inner runs of spaces count as one. */
function normalizeHackathon(name: string | null): string | null {
  return name?.replace(/\s+/g, ' ') ?? null;
}

function normalizeFilter(filter: TeamFilterInput | null | undefined): TeamSearch {
  const search = filter?.search?.trim();
  if (search && search.length > MAX_SEARCH_LENGTH) throw new BadUserInputError(`filter.search must be at most ${MAX_SEARCH_LENGTH} characters`, 'filter.search');
  return {
    skill: filter?.skill ? normalizeSkillName(filter.skill, 'filter.skill') : undefined,
    hackathon: normalizeHackathon(filter?.hackathon?.trim() || null) ?? undefined,
    search: search || undefined,
    openOnly: filter?.openOnly ?? false,
  };
}

/** Each filter has an index: GIN on the skills and on the search vector, b-trees for the hackathon and open teams. */
function conditionsOf(search: TeamSearch): SQL[] {
  const conditions: SQL[] = [];
  if (search.skill) conditions.push(arrayContains(teams.requiredSkills, [search.skill]));
  if (search.hackathon) conditions.push(sql`lower(${teams.hackathon}) = lower(${search.hackathon})`);
  if (search.search) conditions.push(matchesWords(search.search));
  if (search.openOnly) conditions.push(isOpen());
  return conditions;
}

/** The condition of the partial index `teams_open_newest_idx`, written the same way so the planner uses it. */
function isOpen(): SQL {
  return sql`${teams.memberCount} < ${teams.maxMembers}`;
}

/**
 * Every word of `text` (split at spaces) must start a word of the name or description: `graph` finds
 * "GraphQL". Each is quoted, so no tsquery syntax reaches PostgreSQL from the client, and parsed by the
 * same parser that built the search vector, so `node.js` finds "node.js" and `fun_stuff` finds "fun stuff".
 * A word with no letters or digits (`%`) is dropped; text with none at all matches nothing. The query is
 * a plain parameter, so the planner sees it and can tell a rare word (GIN index) from a common one.
 */
function matchesWords(text: string): SQL {
  const prefixes = text
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}':*`);
  return sql`${teams.searchVector} @@ to_tsquery('simple', ${prefixes.join(' & ')})`;
}
