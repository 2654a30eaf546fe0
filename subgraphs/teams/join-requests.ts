import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Transaction } from '../../lib/db/index.ts';
import { isUniqueViolation } from '../../lib/db/index.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import type { TeamJoinAccepted, TeamJoinRejected, TeamJoinRequested } from '../../lib/event-types.ts';
import type { SubgraphDeps } from '../../lib/subgraph.ts';
import { isUuid, optionalText } from '../../lib/validation.ts';
import { joinRequests, teamMembers, teams, type JoinRequestRow, type JoinRequestStatus, type TeamRow } from './db/schema.ts';
import { isMember, lockTeam, memberIdsByTeam, teamEventBase } from './membership.ts';

const MAX_MESSAGE_LENGTH = 1000;

/** A join request with the one thing that decides who may see it besides its requester. */
export interface JoinRequestWithLeader {
  request: JoinRequestRow;
  leaderId: string;
}

export type JoinRequestsService = ReturnType<typeof createJoinRequestsService>;

/** The join workflow: asking to join, and the leader's (or the requester's) decision. */
export function createJoinRequestsService(deps: SubgraphDeps) {
  const { db } = deps;

  return {
    /** One query for any number of ids; unknown (or malformed) ids are simply absent. */
    async byIds(ids: readonly string[]): Promise<JoinRequestWithLeader[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      return db
        .select({ request: joinRequests, leaderId: teams.leaderId })
        .from(joinRequests)
        .innerJoin(teams, eq(teams.id, joinRequests.teamId))
        .where(inArray(joinRequests.id, valid));
    },

    /** The requests of several teams, newest first, with one of `statuses` (any when null): one query. */
    async ofTeams(teamIds: readonly string[], statuses: readonly JoinRequestStatus[] | null): Promise<JoinRequestRow[]> {
      const valid = teamIds.filter(isUuid);
      if (valid.length === 0) return [];
      return db
        .select()
        .from(joinRequests)
        .where(and(inArray(joinRequests.teamId, valid), statuses ? inArray(joinRequests.status, [...statuses]) : undefined))
        .orderBy(desc(joinRequests.createdAt), desc(joinRequests.id));
    },

    async request(userId: string, teamId: string, message: string | null | undefined, correlationId: string): Promise<JoinRequestRow> {
      const note = optionalText(message, 'message', MAX_MESSAGE_LENGTH);
      try {
        return await deps.transaction(correlationId, async ({ tx, emit }) => {
          // A share lock: an accept or a leave on this team waits for this request, or this request for it.
          const team = await lockTeam(tx, teamId, 'share');
          if (await isMember(tx, team.id, userId)) throw new ConflictError('You are already a member of this team');
          if (!hasFreeSeat(team)) throw new ConflictError('This team is full');
          const [created] = await tx.insert(joinRequests).values({ id: randomUUID(), teamId: team.id, userId, message: note }).returning();
          await emit<TeamJoinRequested>('team.join_requested', {
            ...teamEventBase(team),
            joinRequestId: created!.id,
            requesterId: userId,
            message: note,
          });
          return created!;
        });
      } catch (error) {
        // The partial unique index on pending requests decides, even for two requests sent at once.
        if (isUniqueViolation(error)) throw new ConflictError('You already have a pending request to join this team');
        throw error;
      }
    },

    async accept(userId: string, id: string, correlationId: string): Promise<JoinRequestRow> {
      return deps.transaction(correlationId, async ({ tx, emit }) => {
        const { team, request } = await lockForDecision(tx, id);
        if (team.leaderId !== userId) throw new ForbiddenError('Only the team leader can accept a join request');
        requirePending(request);
        // Under the team's lock: of two accepts for the last seat, the second sees the first one's member.
        if (!hasFreeSeat(team)) throw new ConflictError('This team is full');
        await tx.insert(teamMembers).values({ teamId: team.id, userId: request.userId });
        await tx
          .update(teams)
          .set({ memberCount: sql`${teams.memberCount} + 1` })
          .where(eq(teams.id, team.id));
        const accepted = await decide(tx, request, 'ACCEPTED');
        const memberIds = (await memberIdsByTeam(tx, [team.id])).get(team.id) ?? [];
        await emit<TeamJoinAccepted>('team.join_accepted', { ...teamEventBase(team), joinRequestId: id, requesterId: request.userId, memberIds });
        return accepted;
      });
    },

    async reject(userId: string, id: string, correlationId: string): Promise<JoinRequestRow> {
      return deps.transaction(correlationId, async ({ tx, emit }) => {
        const { team, request } = await lockForDecision(tx, id);
        if (team.leaderId !== userId) throw new ForbiddenError('Only the team leader can reject a join request');
        requirePending(request);
        const rejected = await decide(tx, request, 'REJECTED');
        await emit<TeamJoinRejected>('team.join_rejected', { ...teamEventBase(team), joinRequestId: id, requesterId: request.userId });
        return rejected;
      });
    },

    async cancel(userId: string, id: string, correlationId: string): Promise<JoinRequestRow> {
      return deps.transaction(correlationId, async ({ tx }) => {
        const { request } = await lockForDecision(tx, id);
        if (request.userId !== userId) throw new ForbiddenError('Only the requester can cancel a join request');
        requirePending(request);
        return decide(tx, request, 'CANCELLED');
      });
    },
  };
}

function hasFreeSeat(team: TeamRow): boolean {
  return team.memberCount < team.maxMembers;
}

/** Locks the request's team, then the request (the order of membership.ts's `lockTeam`), and reads both. */
async function lockForDecision(tx: Transaction, id: string): Promise<{ team: TeamRow; request: JoinRequestRow }> {
  const notFound = new NotFoundError('Join request', id);
  if (!isUuid(id)) throw notFound;
  const [found] = await tx.select({ teamId: joinRequests.teamId }).from(joinRequests).where(eq(joinRequests.id, id));
  if (!found) throw notFound;
  const team = await lockTeam(tx, found.teamId);
  // Read again under the lock: a decision made meanwhile is seen, a request whose team was dissolved is gone.
  const [request] = await tx.select().from(joinRequests).where(eq(joinRequests.id, id)).for('update');
  if (!request) throw notFound;
  return { team, request };
}

function requirePending(request: JoinRequestRow): void {
  if (request.status !== 'PENDING') throw new ConflictError(`This join request is already ${request.status.toLowerCase()}`);
}

async function decide(tx: Transaction, request: JoinRequestRow, status: Exclude<JoinRequestStatus, 'PENDING'>): Promise<JoinRequestRow> {
  const [decided] = await tx
    .update(joinRequests)
    .set({ status, decidedAt: sql`now()` })
    .where(eq(joinRequests.id, request.id))
    .returning();
  return decided!;
}
