import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from '../lib/bus/types.ts';
import { createEnvelope, type EventEnvelope } from '../lib/events.ts';
import type { UserUpdated } from '../lib/event-types.ts';
import { inbox, userReplicas } from '../subgraphs/teams/db/schema.ts';
import { USER_REPLICA_QUEUE } from '../subgraphs/teams/replica.ts';
import { realServicesEnv } from './helpers/real-services.ts';
import { realServices } from './helpers/services.ts';
import { errorCode, postGraphQL, startStack, type GraphQLResponse, type Stack } from './helpers/stack.ts';
import {
  acceptJoinRequest,
  createTeam,
  requestToJoin,
  setSkills,
  TEAM_FIELDS,
  waitForReplica,
  waitForReplicaInbox,
  type TeamInput,
} from './helpers/teams.ts';
import { registerUser } from './helpers/users.ts';

type User = Awaited<ReturnType<typeof registerUser>>;

/** A word no other test uses, for names, skills and hackathons that isolate a test's teams. */
const tag = () => randomUUID().slice(0, 8);

const TEAM = /* GraphQL */ `query($id: ID!) { team(id: $id) { ${TEAM_FIELDS} } }`;
const TEAMS = /* GraphQL */ `
  query($filter: TeamFilter, $first: Int, $after: String) {
    teams(filter: $filter, first: $first, after: $after) {
      totalCount
      edges { cursor node { id name } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const JOIN_REQUESTS = /* GraphQL */ `
  query($id: ID!, $status: JoinRequestStatus) { team(id: $id) { joinRequests(status: $status) { id status user { id } } } }
`;
const DECIDE = (mutation: string) => /* GraphQL */ `mutation($id: ID!) { ${mutation}(id: $id) { id status decidedAt team { id } user { id } } }`;
const LEAVE = /* GraphQL */ `mutation($teamId: ID!) { leaveTeam(teamId: $teamId) { id memberCount members { id } } }`;

/**
 * The whole teams contract through the gateway. Run on the embedded default, and again on PostgreSQL,
 * RabbitMQ and Redis when they are there: the same code path must hold on both.
 */
function teamsSuite(environment: () => { env: Record<string, string>; cleanup(): Promise<void> }) {
  let stack: Stack;
  let cleanup: (() => Promise<void>) | undefined;
  let ada: User;
  let bob: User;
  let cyd: User;
  let dee: User;

  beforeAll(async () => {
    const target = environment();
    cleanup = target.cleanup;
    stack = await startStack({ services: ['gateway', 'users', 'teams'], env: { EVENT_RETRY_DELAY_MS: '50', ...target.env } });
    [ada, bob, cyd, dee] = await Promise.all([registerUser(stack, 'Ada'), registerUser(stack, 'Bob'), registerUser(stack, 'Cyd'), registerUser(stack, 'Dee')]);
  });
  afterAll(async () => {
    await stack?.destroy();
    await cleanup?.();
  });

  const team = async (id: string, token?: string) => (await stack.graphql(TEAM, { id }, { token })).data?.team;
  const teams = (variables: Record<string, unknown>) => stack.graphql(TEAMS, variables);
  const names = (response: GraphQLResponse) => response.data?.teams.edges.map((edge: { node: { name: string } }) => edge.node.name);
  const decide = (mutation: string, token: string, id: string) => stack.graphql(DECIDE(mutation), { id }, { token });
  /** A team of `leader` with `member` already in it. */
  async function teamWithMember(leader: User, member: User, input: TeamInput = {}): Promise<string> {
    const teamId = await createTeam(stack, leader.token, input);
    expect(errorCode(await acceptJoinRequest(stack, leader.token, await requestToJoin(stack, member.token, teamId)))).toBeUndefined();
    return teamId;
  }

  describe('creating and reading teams', () => {
    it('makes the caller leader and first member, with normalized skills', async () => {
      const hackathon = `Hack ${tag()}`;
      const created = await stack.graphql(
        `mutation($input: CreateTeamInput!) { createTeam(input: $input) { ${TEAM_FIELDS} } }`,
        { input: { name: '  Graph Wizards ', description: 'GraphQL tools', hackathon: ` ${hackathon}  `, requiredSkills: [' GraphQL', 'TypeScript', 'graphql '], maxMembers: 3 } },
        { token: ada.token },
      );
      expect(created.errors).toBeUndefined();
      const { id, createdAt, ...rest } = created.data!.createTeam;
      expect(rest).toEqual({
        name: 'Graph Wizards',
        description: 'GraphQL tools',
        hackathon,
        requiredSkills: ['graphql', 'typescript'],
        maxMembers: 3,
        isOpen: true,
        memberCount: 1,
        leader: { id: ada.id },
        members: [{ id: ada.id }],
      });
      expect(createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

      // Users resolve the leader's and members' names; teams resolves User.teams.
      const federated = await stack.graphql(
        `query($id: ID!, $userId: ID!) { team(id: $id) { leader { name } members { name } } user(id: $userId) { teams { id } } }`,
        { id, userId: ada.id },
      );
      expect(federated.data?.team).toEqual({ leader: { name: 'Ada' }, members: [{ name: 'Ada' }] });
      expect(federated.data?.user.teams.map((t: { id: string }) => t.id)).toContain(id);
    });

    it('refuses an anonymous caller and bad input, naming the field', async () => {
      const create = (input: TeamInput, token?: string) =>
        stack.graphql(
          `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`,
          { input: { name: 'Team', description: 'About', requiredSkills: [], maxMembers: 4, ...input } },
          { token },
        );
      expect(errorCode(await create({}))).toBe('UNAUTHENTICATED');
      const cases: Array<[TeamInput, string]> = [
        [{ maxMembers: 1 }, 'input.maxMembers'],
        [{ maxMembers: 21 }, 'input.maxMembers'],
        [{ name: '   ' }, 'input.name'],
        [{ name: 'x'.repeat(101) }, 'input.name'],
        [{ description: '' }, 'input.description'],
        [{ hackathon: 'x'.repeat(101) }, 'input.hackathon'],
        [{ requiredSkills: ['go', '  '] }, 'input.requiredSkills.1'],
        [{ requiredSkills: Array.from({ length: 21 }, (_, i) => `skill ${i}`) }, 'input.requiredSkills'],
      ];
      for (const [input, field] of cases) {
        const response = await create(input, ada.token);
        expect(response.errors?.[0]?.extensions, field).toMatchObject({ code: 'BAD_USER_INPUT', field });
      }
    });

    it('answers null for an unknown or malformed team id', async () => {
      const response = await stack.graphql(`{ a: team(id: "00000000-0000-4000-8000-000000000000") { id } b: team(id: "nope") { id } }`);
      expect(response.data).toEqual({ a: null, b: null });
    });

    it('lists teams newest first, page by page, with the total count', async () => {
      const hackathon = `List ${tag()}`;
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push(await createTeam(stack, ada.token, { name: `List ${i}`, hackathon }));
      // The hackathon filter ignores case and spacing.
      const filter = { hackathon: `  ${hackathon.toUpperCase().replace(' ', '   ')} ` };
      const page = async (after?: string) => {
        const response = await stack.graphql(
          `query($filter: TeamFilter, $after: String) { teams(filter: $filter, first: 2, after: $after) {
            totalCount edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } } }`,
          { filter, after },
        );
        return response.data!.teams;
      };

      const pages = [await page()];
      while (pages.at(-1)!.pageInfo.hasNextPage) pages.push(await page(pages.at(-1)!.pageInfo.endCursor));
      expect(pages.map((p) => p.edges.length)).toEqual([2, 2, 1]);
      expect(pages.map((p) => p.totalCount)).toEqual([5, 5, 5]);
      expect(pages.at(-1)!.pageInfo.endCursor).toBe(pages.at(-1)!.edges[0].cursor);
      const nodes: Array<{ id: string; createdAt: string }> = pages.flatMap((p) => p.edges.map((edge: { node: unknown }) => edge.node));
      // Newest first, the id breaking ties: the order the cursors walk.
      const newestFirst = [...nodes].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
      expect(nodes).toEqual(newestFirst);
      expect(nodes.map((node) => node.id).sort()).toEqual([...created].sort());
    });

    it('refuses a page size out of bounds and a cursor it did not make', async () => {
      expect((await teams({ first: 101 })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      expect((await teams({ first: -1 })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      for (const after of ['garbage', Buffer.from('["yesterday","x"]').toString('base64url')]) {
        expect((await teams({ after })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      }
      expect((await teams({ filter: { search: 'x'.repeat(201) } })).errors?.[0]?.extensions).toMatchObject({ field: 'filter.search' });
      expect((await teams({ filter: { skill: ' ' } })).errors?.[0]?.extensions).toMatchObject({ field: 'filter.skill' });
    });

    it('filters by skill, free text, open seats and combinations of them', async () => {
      const hackathon = `Filter ${tag()}`;
      const skill = `skill-${tag()}`;
      const word = `zq${tag()}`;
      await createTeam(stack, ada.token, { name: `${word}alpha Builders`, description: 'Rust and Go', hackathon, requiredSkills: [skill, 'go'] });
      await createTeam(stack, ada.token, { name: 'Night Owls', description: `We like ${word}beta, 100% fun_stuff!`, hackathon, requiredSkills: ['python'] });
      await teamWithMember(ada, bob, { name: 'Full House', description: 'Nothing to see', hackathon, requiredSkills: [skill], maxMembers: 2 });
      // Sorted: the order is the listing test's concern, and these teams may share a millisecond.
      const list = async (filter: Record<string, unknown>) => names(await teams({ filter: { hackathon, ...filter } })).sort();

      expect(await list({ skill: ` ${skill.toUpperCase()} ` })).toEqual(['Full House', `${word}alpha Builders`].sort());
      expect(await list({ search: word.toUpperCase() })).toEqual(['Night Owls', `${word}alpha Builders`].sort());
      expect(await list({ search: `builders ${word}al` })).toEqual([`${word}alpha Builders`]);
      expect(await list({ search: 'fun_stuff 100%' })).toEqual(['Night Owls']);
      expect(await list({ search: 'rust go' })).toEqual([`${word}alpha Builders`]);
      // Wildcards, quotes and tsquery syntax are text like any other.
      for (const search of ['%', '_', "o'neil \\ :* & | ! <->", 'nothing-like-this']) expect(await list({ search }), search).toEqual([]);
      expect(await list({ openOnly: true })).toEqual(['Night Owls', `${word}alpha Builders`].sort());
      expect(await list({ openOnly: true, skill })).toEqual([`${word}alpha Builders`]);
      expect((await teams({ filter: { hackathon, openOnly: true } })).data?.teams.totalCount).toBe(2);
    });
  });

  describe('skill match', () => {
    it("scores the caller's skills from the replica; null when anonymous", async () => {
      await setSkills(stack, cyd.token, [
        { name: 'GraphQL', level: 3 },
        { name: 'Docker', level: 2 },
      ]);
      await waitForReplica(stack, cyd.id, 2);
      const demanding = await createTeam(stack, ada.token, { requiredSkills: ['graphql', 'rust', 'docker', 'go'] });
      const easygoing = await createTeam(stack, ada.token, { requiredSkills: [] });
      const match = async (id: string, token?: string) =>
        (await stack.graphql(`query($id: ID!) { team(id: $id) { skillMatch { score matched missing } } }`, { id }, { token })).data?.team.skillMatch;

      expect(await match(demanding, cyd.token)).toEqual({ score: 0.5, matched: ['graphql', 'docker'], missing: ['rust', 'go'] });
      expect(await match(easygoing, cyd.token)).toEqual({ score: 1, matched: [], missing: [] });
      expect(await match(demanding, dee.token)).toEqual({ score: 0, matched: [], missing: ['graphql', 'rust', 'docker', 'go'] });
      expect(await match(demanding)).toBeNull();
    });

    it('recommends open teams the caller is not in, best match first, then newest', async () => {
      const [a, b] = [`rec-a-${tag()}`, `rec-b-${tag()}`];
      await setSkills(stack, dee.token, [
        { name: a, level: 5 },
        { name: b, level: 1 },
      ]);
      await waitForReplica(stack, dee.id, 2);
      const olderFull = await createTeam(stack, ada.token, { requiredSkills: [a, b] });
      const twoThirds = await createTeam(stack, ada.token, { requiredSkills: [a, b, 'cobol'] });
      const quarter = await createTeam(stack, ada.token, { requiredSkills: [a, 'x', 'y', 'z'] });
      const newerFull = await createTeam(stack, ada.token, { requiredSkills: [b, a] });
      const full = await teamWithMember(ada, bob, { requiredSkills: [a, b], maxMembers: 2 });
      const own = await createTeam(stack, dee.token, { requiredSkills: [a, b] });
      const joined = await teamWithMember(ada, dee, { requiredSkills: [a, b] });

      const recommended = await stack.graphql(`{ recommendedTeams(first: 100) { id createdAt skillMatch { score } } }`, {}, { token: dee.token });
      expect(recommended.errors).toBeUndefined();
      const list: Array<{ id: string; createdAt: string; skillMatch: { score: number } }> = recommended.data!.recommendedTeams;
      const ids = list.map((t) => t.id);
      expect(ids.filter((id) => [olderFull, twoThirds, quarter, newerFull].includes(id))).toEqual([newerFull, olderFull, twoThirds, quarter]);
      for (const excluded of [full, own, joined]) expect(ids).not.toContain(excluded);
      // The ranking in SQL follows the scores skillMatch shows, then the newest.
      for (let i = 1; i < list.length; i++) {
        const [before, after] = [list[i - 1]!, list[i]!];
        expect(before.skillMatch.score).toBeGreaterThanOrEqual(after.skillMatch.score);
        if (before.skillMatch.score === after.skillMatch.score) expect(before.createdAt >= after.createdAt).toBe(true);
      }
      expect(list.find((t) => t.id === twoThirds)?.skillMatch.score).toBeCloseTo(2 / 3);

      const top = await stack.graphql(`{ recommendedTeams(first: 2) { id } }`, {}, { token: dee.token });
      expect(top.data?.recommendedTeams.map((t: { id: string }) => t.id)).toEqual(ids.slice(0, 2));
      expect(errorCode(await stack.graphql(`{ recommendedTeams { id } }`))).toBe('UNAUTHENTICATED');
      expect((await stack.graphql(`{ recommendedTeams(first: 101) { id } }`, {}, { token: dee.token })).errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'first',
      });
    });
  });

  describe('joining a team', () => {
    it('lets a developer ask to join once, and the leader accept', async () => {
      const teamId = await createTeam(stack, ada.token, { maxMembers: 3 });
      const requested = await stack.graphql(
        `mutation($teamId: ID!) { requestToJoin(teamId: $teamId, message: "  I know GraphQL ") { id status message decidedAt team { id } user { id name } } }`,
        { teamId },
        { token: bob.token },
      );
      expect(requested.data?.requestToJoin).toMatchObject({ status: 'PENDING', message: 'I know GraphQL', decidedAt: null, team: { id: teamId }, user: { id: bob.id, name: 'Bob' } });
      const requestId = requested.data!.requestToJoin.id;
      expect(errorCode(await stack.graphql(`mutation($teamId: ID!) { requestToJoin(teamId: $teamId) { id } }`, { teamId }, { token: bob.token }))).toBe('CONFLICT');

      const pending = await stack.graphql(JOIN_REQUESTS, { id: teamId, status: 'PENDING' }, { token: ada.token });
      expect(pending.data?.team.joinRequests).toEqual([{ id: requestId, status: 'PENDING', user: { id: bob.id } }]);

      expect(errorCode(await decide('acceptJoinRequest', bob.token, requestId))).toBe('FORBIDDEN');
      const accepted = await decide('acceptJoinRequest', ada.token, requestId);
      expect(accepted.data?.acceptJoinRequest).toMatchObject({ id: requestId, status: 'ACCEPTED', team: { id: teamId }, user: { id: bob.id } });
      expect(accepted.data?.acceptJoinRequest.decidedAt).toMatch(/Z$/);
      expect(errorCode(await decide('acceptJoinRequest', ada.token, requestId))).toBe('CONFLICT');

      await acceptJoinRequest(stack, ada.token, await requestToJoin(stack, cyd.token, teamId));
      expect(await team(teamId)).toMatchObject({ memberCount: 3, isOpen: false, members: [{ id: ada.id }, { id: bob.id }, { id: cyd.id }] });
      expect((await stack.graphql(JOIN_REQUESTS, { id: teamId, status: 'PENDING' }, { token: ada.token })).data?.team.joinRequests).toEqual([]);
      expect((await stack.graphql(JOIN_REQUESTS, { id: teamId }, { token: ada.token })).data?.team.joinRequests).toHaveLength(2);
      expect((await stack.graphql(`query($id: ID!) { user(id: $id) { teams { id } } }`, { id: cyd.id })).data?.user.teams[0]).toEqual({ id: teamId });
    });

    it('refuses a request from a member, to a full team, to an unknown team, and without a caller', async () => {
      const teamId = await teamWithMember(ada, bob, { maxMembers: 2 });
      const ask = (token: string | undefined, id = teamId, message?: string) =>
        stack.graphql(`mutation($id: ID!, $message: String) { requestToJoin(teamId: $id, message: $message) { id } }`, { id, message }, { token });
      expect(errorCode(await ask(ada.token))).toBe('CONFLICT');
      expect(errorCode(await ask(bob.token))).toBe('CONFLICT');
      expect(errorCode(await ask(cyd.token))).toBe('CONFLICT');
      expect(errorCode(await ask(cyd.token, '00000000-0000-4000-8000-000000000000'))).toBe('NOT_FOUND');
      expect(errorCode(await ask(cyd.token, 'not-a-uuid'))).toBe('NOT_FOUND');
      expect(errorCode(await ask(undefined))).toBe('UNAUTHENTICATED');
      const open = await createTeam(stack, ada.token);
      expect((await ask(cyd.token, open, 'x'.repeat(1001))).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'message' });
    });

    it('shows join requests to the leader only', async () => {
      const teamId = await createTeam(stack, ada.token);
      await requestToJoin(stack, bob.token, teamId);
      expect(errorCode(await stack.graphql(JOIN_REQUESTS, { id: teamId }, { token: bob.token }))).toBe('FORBIDDEN');
      expect(errorCode(await stack.graphql(JOIN_REQUESTS, { id: teamId }))).toBe('UNAUTHENTICATED');

      // As an entity (a notification's subject): its requester and the leader see it, nobody else.
      const [requestId] = (await stack.graphql(JOIN_REQUESTS, { id: teamId }, { token: ada.token })).data!.team.joinRequests.map((r: { id: string }) => r.id);
      const entity = async (token?: string) =>
        (
          await postGraphQL(
            stack.app.subgraphs.teams!.url,
            `query($r: [_Any!]!) { _entities(representations: $r) { ... on JoinRequest { id status } } }`,
            { r: [{ __typename: 'JoinRequest', id: requestId }] },
            { token },
          )
        ).data?._entities[0];
      expect(await entity(bob.token)).toEqual({ id: requestId, status: 'PENDING' });
      expect(await entity(ada.token)).toEqual({ id: requestId, status: 'PENDING' });
      expect(await entity(cyd.token)).toBeNull();
      expect(await entity()).toBeNull();
    });

    it('lets the leader reject and the requester cancel, each only while pending', async () => {
      const teamId = await createTeam(stack, ada.token);
      const rejectedId = await requestToJoin(stack, bob.token, teamId);
      expect(errorCode(await decide('rejectJoinRequest', bob.token, rejectedId))).toBe('FORBIDDEN');
      expect((await decide('rejectJoinRequest', ada.token, rejectedId)).data?.rejectJoinRequest).toMatchObject({ status: 'REJECTED' });
      expect(errorCode(await decide('cancelJoinRequest', bob.token, rejectedId))).toBe('CONFLICT');
      expect(errorCode(await decide('acceptJoinRequest', ada.token, rejectedId))).toBe('CONFLICT');

      // Decided requests no longer block a new one.
      const cancelledId = await requestToJoin(stack, bob.token, teamId);
      expect(errorCode(await decide('cancelJoinRequest', ada.token, cancelledId))).toBe('FORBIDDEN');
      expect((await decide('cancelJoinRequest', bob.token, cancelledId)).data?.cancelJoinRequest).toMatchObject({ status: 'CANCELLED' });
      expect(errorCode(await decide('rejectJoinRequest', ada.token, cancelledId))).toBe('CONFLICT');
      await requestToJoin(stack, bob.token, teamId);

      for (const mutation of ['acceptJoinRequest', 'rejectJoinRequest', 'cancelJoinRequest']) {
        expect(errorCode(await decide(mutation, ada.token, randomUUID())), mutation).toBe('NOT_FOUND');
        expect(errorCode(await decide(mutation, ada.token, 'nope')), mutation).toBe('NOT_FOUND');
        expect(errorCode(await stack.graphql(DECIDE(mutation), { id: cancelledId })), mutation).toBe('UNAUTHENTICATED');
      }
    });

    it('refuses to accept into a team that filled up meanwhile', async () => {
      const teamId = await createTeam(stack, ada.token, { maxMembers: 2 });
      const first = await requestToJoin(stack, bob.token, teamId);
      const second = await requestToJoin(stack, cyd.token, teamId);
      await acceptJoinRequest(stack, ada.token, first);
      expect(errorCode(await acceptJoinRequest(stack, ada.token, second))).toBe('CONFLICT');
      expect(await team(teamId)).toMatchObject({ memberCount: 2, isOpen: false });
    });

    it('gives the last seat to exactly one of two concurrent accepts', async () => {
      const rounds = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const teamId = await createTeam(stack, ada.token, { maxMembers: 2 });
          const requests = [await requestToJoin(stack, bob.token, teamId), await requestToJoin(stack, cyd.token, teamId)];
          const outcomes = await Promise.all(requests.map((id) => acceptJoinRequest(stack, ada.token, id)));
          return { teamId, outcomes };
        }),
      );
      for (const { teamId, outcomes } of rounds) {
        expect(outcomes.map((outcome) => errorCode(outcome) ?? 'ACCEPTED').sort()).toEqual(['ACCEPTED', 'CONFLICT']);
        const winner = outcomes[0]!.data?.acceptJoinRequest ? bob : cyd;
        expect(await team(teamId)).toMatchObject({ memberCount: 2, members: [{ id: ada.id }, { id: winner.id }] });
      }
    });

    it('keeps one pending request per user and team when two arrive at once', async () => {
      const teamId = await createTeam(stack, ada.token);
      const ask = () => stack.graphql(`mutation($id: ID!) { requestToJoin(teamId: $id) { id } }`, { id: teamId }, { token: bob.token });
      const outcomes = await Promise.all([ask(), ask(), ask()]);
      expect(outcomes.map((outcome) => errorCode(outcome) ?? 'OK').sort()).toEqual(['CONFLICT', 'CONFLICT', 'OK']);
    });
  });

  describe('leaving a team', () => {
    it('lets a member leave, reopening a seat', async () => {
      const teamId = await teamWithMember(ada, bob, { maxMembers: 2 });
      expect(errorCode(await stack.graphql(LEAVE, { teamId }, { token: cyd.token }))).toBe('FORBIDDEN');
      expect(errorCode(await stack.graphql(LEAVE, { teamId }))).toBe('UNAUTHENTICATED');
      expect(errorCode(await stack.graphql(LEAVE, { teamId: randomUUID() }, { token: bob.token }))).toBe('NOT_FOUND');
      expect(errorCode(await stack.graphql(LEAVE, { teamId }, { token: ada.token }))).toBe('CONFLICT');

      const left = await stack.graphql(LEAVE, { teamId }, { token: bob.token });
      expect(left.data?.leaveTeam).toEqual({ id: teamId, memberCount: 1, members: [{ id: ada.id }] });
      expect(await team(teamId)).toMatchObject({ isOpen: true, memberCount: 1 });
      expect(errorCode(await stack.graphql(LEAVE, { teamId }, { token: bob.token }))).toBe('FORBIDDEN');
    });

    it('dissolves the team when its leader leaves last, with its join requests', async () => {
      const teamId = await createTeam(stack, ada.token);
      const requestId = await requestToJoin(stack, bob.token, teamId);
      const left = await stack.graphql(LEAVE, { teamId }, { token: ada.token });
      expect(left.data?.leaveTeam).toEqual({ id: teamId, memberCount: 0, members: [] });
      expect(await team(teamId)).toBeNull();
      expect(errorCode(await decide('cancelJoinRequest', bob.token, requestId))).toBe('NOT_FOUND');
      const adaTeams = (await stack.graphql(`query($id: ID!) { user(id: $id) { teams { id } } }`, { id: ada.id })).data?.user.teams;
      expect(adaTeams.map((t: { id: string }) => t.id)).not.toContain(teamId);
    });
  });

  describe('events', () => {
    it('announces each step through the outbox, with what notifications need', async () => {
      const events: EventEnvelope[] = [];
      const consumer: Consumer = await stack.runtime.bus.consume({
        queue: 'test.team-events',
        exclusive: true,
        bindings: ['team.*'],
        handler: async (event) => void events.push(event),
      });
      try {
        const teamId = await createTeam(stack, ada.token, { name: 'Evented', hackathon: 'Hack', requiredSkills: ['Go'], maxMembers: 3 });
        const bobRequest = await requestToJoin(stack, bob.token, teamId);
        await acceptJoinRequest(stack, ada.token, bobRequest);
        const cydRequest = await requestToJoin(stack, cyd.token, teamId);
        await decide('rejectJoinRequest', ada.token, cydRequest);
        await stack.graphql(LEAVE, { teamId }, { token: bob.token });
        await stack.graphql(LEAVE, { teamId }, { token: ada.token });

        const base = { teamId, teamName: 'Evented', leaderId: ada.id };
        const expected = [
          { type: 'team.created', data: { ...base, hackathon: 'Hack', requiredSkills: ['go'], maxMembers: 3 } },
          { type: 'team.join_requested', data: { ...base, joinRequestId: bobRequest, requesterId: bob.id, message: null } },
          { type: 'team.join_accepted', data: { ...base, joinRequestId: bobRequest, requesterId: bob.id, memberIds: [ada.id, bob.id] } },
          { type: 'team.join_requested', data: { ...base, joinRequestId: cydRequest, requesterId: cyd.id, message: null } },
          { type: 'team.join_rejected', data: { ...base, joinRequestId: cydRequest, requesterId: cyd.id } },
          { type: 'team.member_left', data: { ...base, memberId: bob.id, remainingMemberIds: [ada.id], dissolved: false } },
          { type: 'team.member_left', data: { ...base, memberId: ada.id, remainingMemberIds: [], dissolved: true } },
        ];
        const ofTeam = () => events.filter((event) => (event.data as { teamId: string }).teamId === teamId);
        await expect.poll(() => ofTeam().length, { timeout: 10_000 }).toBe(expected.length);
        expect(ofTeam().map(({ type, data }) => ({ type, data }))).toEqual(expected);
        for (const event of ofTeam()) expect(event).toMatchObject({ version: 1, producer: 'teams', correlationId: expect.any(String) });
      } finally {
        await consumer.stop();
      }
    });
  });

  describe('the users replica', () => {
    const userUpdated = (userId: string, revision: number, skills: UserUpdated['skills'] = []) =>
      createEnvelope<UserUpdated>({ type: 'user.updated', data: { userId, name: `Revision ${revision}`, bio: null, skills, revision } }, { producer: 'users' });
    const replicaOf = async (userId: string) => {
      const [row] = await stack.app.subgraphs.teams!.deps.db.select().from(userReplicas).where(eq(userReplicas.id, userId));
      return row && { name: row.name, skills: row.skills, revision: row.revision };
    };

    it("catches up with the users subgraph's events", async () => {
      const eve = await registerUser(stack, 'Eve');
      await waitForReplica(stack, eve.id, 1);
      expect(await replicaOf(eve.id)).toEqual({ name: 'Eve', skills: [], revision: 1 });
      await stack.graphql(`mutation { updateProfile(input: { name: "Eve Smith" }) { id } }`, {}, { token: eve.token });
      await setSkills(stack, eve.token, [{ name: 'Kubernetes', level: 4 }]);
      await waitForReplica(stack, eve.id, 3);
      expect(await replicaOf(eve.id)).toEqual({ name: 'Eve Smith', skills: [{ name: 'kubernetes', level: 4 }], revision: 3 });
    });

    it('applies a redelivered event once, and an older event never overwrites a newer state', async () => {
      const userId = randomUUID();
      const { bus } = stack.runtime;
      const second = userUpdated(userId, 2, [{ name: 'go', level: 2 }]);
      await bus.publish(second);
      await waitForReplicaInbox(stack, second.id);
      expect(await replicaOf(userId)).toEqual({ name: 'Revision 2', skills: [{ name: 'go', level: 2 }], revision: 2 });

      const fifth = userUpdated(userId, 5, [{ name: 'rust', level: 3 }]);
      await bus.publish(fifth);
      await bus.publish(fifth);
      const fourth = userUpdated(userId, 4, [{ name: 'cobol', level: 5 }]);
      await bus.publish(fourth);
      await waitForReplicaInbox(stack, fourth.id);
      await waitForReplicaInbox(stack, fifth.id);
      expect(await replicaOf(userId)).toEqual({ name: 'Revision 5', skills: [{ name: 'rust', level: 3 }], revision: 5 });
      const processed = await stack.app.subgraphs.teams!.deps.db.select().from(inbox).where(eq(inbox.messageId, fifth.id));
      expect(processed).toHaveLength(1);
    });

    it('dead-letters an event it cannot read, and goes on with the next', async () => {
      const broken = createEnvelope({ type: 'user.updated', data: { userId: 'not-a-uuid' } }, { producer: 'users' });
      await stack.runtime.bus.publish(broken);
      const next = userUpdated(randomUUID(), 1);
      await stack.runtime.bus.publish(next);
      await waitForReplicaInbox(stack, next.id);
      await expect
        .poll(async () => (await stack.runtime.bus.deadLetters(USER_REPLICA_QUEUE)).map((letter) => letter.event.id), { timeout: 10_000 })
        .toContain(broken.id);
    });
  });
}

describe('teams through the gateway, on the embedded default', () => {
  teamsSuite(() => ({ env: {}, cleanup: async () => {} }));
});

describe.skipIf(!realServices.databaseUrl || !realServices.amqpUrl)('teams through the gateway, on PostgreSQL, RabbitMQ and Redis', () => {
  teamsSuite(() => realServicesEnv());
});
