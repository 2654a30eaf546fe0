import DataLoader from 'dataloader';
import { allByKey, oneByKey } from '../../lib/loaders.ts';
import type { JoinRequestRow, JoinRequestStatus, TeamRow, UserReplicaRow } from './db/schema.ts';
import type { JoinRequestsService, JoinRequestWithLeader } from './join-requests.ts';
import type { UserReplica } from './replica.ts';
import type { TeamsService } from './service.ts';

export interface TeamJoinRequestsKey {
  teamId: string;
  /** Null for every status. */
  status: JoinRequestStatus | null;
}

export interface TeamLoaders {
  teamById: DataLoader<string, TeamRow | null>;
  memberIdsByTeamId: DataLoader<string, string[]>;
  teamsByMemberId: DataLoader<string, TeamRow[]>;
  joinRequestById: DataLoader<string, JoinRequestWithLeader | null>;
  joinRequestsByTeam: DataLoader<TeamJoinRequestsKey, JoinRequestRow[], string>;
  /** The caller's skills come from here: read once per request, whatever the number of teams. */
  userReplicaById: DataLoader<string, UserReplicaRow | null>;
}

/** Per request: every entity reference and every per-team list in one subgraph fetch is one SQL query. */
export function createTeamLoaders(services: { teams: TeamsService; joinRequests: JoinRequestsService; replica: UserReplica }): TeamLoaders {
  const { teams, joinRequests, replica } = services;
  return {
    teamById: new DataLoader(async (ids) => oneByKey(ids, await teams.byIds(ids), (team) => team.id)),
    memberIdsByTeamId: new DataLoader(async (ids) => {
      const byTeam = await teams.memberIds(ids);
      return ids.map((id) => byTeam.get(id) ?? []);
    }),
    teamsByMemberId: new DataLoader(async (userIds) => {
      const rows = await teams.teamsOfMembers(userIds);
      return allByKey(userIds, rows, (row) => row.memberId).map((memberships) => memberships.map((row) => row.team));
    }),
    joinRequestById: new DataLoader(async (ids) => oneByKey(ids, await joinRequests.byIds(ids), (found) => found.request.id)),
    joinRequestsByTeam: new DataLoader(
      async (keys) => {
        // One query for the whole batch: every team asked for, with every status asked for.
        const statuses = keys.some((key) => key.status === null) ? null : [...new Set(keys.map((key) => key.status!))];
        const rows = await joinRequests.ofTeams([...new Set(keys.map((key) => key.teamId))], statuses);
        return keys.map((key) => rows.filter((row) => row.teamId === key.teamId && (key.status === null || row.status === key.status)));
      },
      { cacheKeyFn: (key) => `${key.teamId}:${key.status ?? '*'}` },
    ),
    userReplicaById: new DataLoader(async (ids) => oneByKey(ids, await replica.byIds(ids), (user) => user.id)),
  };
}
