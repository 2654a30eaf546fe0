import { and, eq, gte } from 'drizzle-orm';
import { vi } from 'vitest';
import { inbox, userReplicas } from '../../subgraphs/teams/db/schema.ts';
import { USER_REPLICA_QUEUE } from '../../subgraphs/teams/replica.ts';
import type { Stack } from './stack.ts';

export const TEAM_FIELDS = /* GraphQL */ `
  id name description hackathon requiredSkills maxMembers isOpen memberCount createdAt
  leader { id } members { id }
`;

export interface TeamInput {
  name?: string;
  description?: string;
  hackathon?: string | null;
  requiredSkills?: string[];
  maxMembers?: number;
}

/** Creates a team through the gateway as the holder of `token` and returns its id. */
export async function createTeam(stack: Stack, token: string, input: TeamInput = {}): Promise<string> {
  const response = await stack.graphql<{ createTeam: { id: string } }>(
    `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`,
    { input: { name: 'Team', description: 'We build things', requiredSkills: [], maxMembers: 4, ...input } },
    { token },
  );
  if (!response.data?.createTeam) throw new Error(`createTeam failed: ${JSON.stringify(response.errors)}`);
  return response.data.createTeam.id;
}

/** Asks to join and returns the join request's id. */
export async function requestToJoin(stack: Stack, token: string, teamId: string): Promise<string> {
  const response = await stack.graphql<{ requestToJoin: { id: string } }>(
    `mutation($teamId: ID!) { requestToJoin(teamId: $teamId) { id } }`,
    { teamId },
    { token },
  );
  if (!response.data?.requestToJoin) throw new Error(`requestToJoin failed: ${JSON.stringify(response.errors)}`);
  return response.data.requestToJoin.id;
}

export async function acceptJoinRequest(stack: Stack, token: string, id: string) {
  return stack.graphql(`mutation($id: ID!) { acceptJoinRequest(id: $id) { id status } }`, { id }, { token });
}

/** Declares the caller's skills in the users subgraph (which tells teams through `user.updated`). */
export async function setSkills(stack: Stack, token: string, skills: Array<{ name: string; level: number }>): Promise<void> {
  const response = await stack.graphql(`mutation($skills: [SkillInput!]!) { setSkills(skills: $skills) { id } }`, { skills }, { token });
  if (!response.data?.setSkills) throw new Error(`setSkills failed: ${JSON.stringify(response.errors)}`);
}

/** Waits until teams' replica of the user has caught up with (at least) `revision`. */
export async function waitForReplica(stack: Stack, userId: string, revision = 1): Promise<void> {
  const { db } = stack.app.subgraphs.teams!.deps;
  await waitUntil(`the replica of ${userId} at revision ${revision}`, async () => {
    const rows = await db.select().from(userReplicas).where(and(eq(userReplicas.id, userId), gte(userReplicas.revision, revision)));
    return rows.length === 1;
  });
}

/** Waits until the replica's consumer has handled the event with this id (applied or found stale). */
export async function waitForReplicaInbox(stack: Stack, messageId: string): Promise<void> {
  const { db } = stack.app.subgraphs.teams!.deps;
  await waitUntil(`event ${messageId} in the replica's inbox`, async () => {
    const rows = await db.select().from(inbox).where(and(eq(inbox.consumer, USER_REPLICA_QUEUE), eq(inbox.messageId, messageId)));
    return rows.length === 1;
  });
}

/** Polls `condition` (usable in hooks too, unlike `expect.poll`). */
async function waitUntil(what: string, condition: () => Promise<boolean>): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await condition())) throw new Error(`Still waiting for ${what}`);
    },
    { timeout: 10_000, interval: 20 },
  );
}
