import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubgraphName } from '../../lib/config.ts';
import { postGraphQL, startStack, type Stack } from '../../test/helpers/stack.ts';
import { acceptJoinRequest, createTeam, requestToJoin, setSkills, waitForReplica } from '../../test/helpers/teams.ts';
import { registerUser } from '../../test/helpers/users.ts';

const TEAM_COUNT = 50;

/** The federated query of the "done when". */
const TEAM_LIST = /* GraphQL */ `
  query($first: Int) {
    teams(first: $first) { edges { node { name leader { name } members { name skills { name } } skillMatch { score } } } }
  }
`;

describe('teams subgraph', () => {
  let stack: Stack;
  let callerToken: string;
  let teamIds: string[];
  let memberIds: string[];

  beforeAll(async () => {
    // No outbox polling: the relays run only when a commit nudges them, so nothing but the request under
    // test sends SQL while it is measured.
    stack = await startStack({ services: ['gateway', 'users', 'teams'], env: { OUTBOX_POLL_MS: '3600000' } });
    const users = await Promise.all(['Lead 0', 'Lead 1', 'Lead 2', 'Lead 3', 'Lead 4', 'Joiner', 'Caller'].map((name) => registerUser(stack, name)));
    const leaders = users.slice(0, 5);
    const [joiner, caller] = users.slice(5) as [(typeof users)[number], (typeof users)[number]];
    callerToken = caller.token;
    memberIds = users.map((user) => user.id);
    await setSkills(stack, joiner.token, [{ name: 'Go', level: 3 }]);
    await setSkills(stack, caller.token, [{ name: 'GraphQL', level: 4 }]);

    teamIds = [];
    for (let i = 0; i < TEAM_COUNT; i++) {
      const leader = leaders[i % leaders.length]!;
      const teamId = await createTeam(stack, leader.token, { name: `Team ${i}`, requiredSkills: i % 2 ? ['graphql', 'go'] : ['rust'] });
      await acceptJoinRequest(stack, leader.token, await requestToJoin(stack, joiner.token, teamId));
      teamIds.push(teamId);
    }
    await Promise.all([...users.map((user) => waitForReplica(stack, user.id)), waitForReplica(stack, joiner.id, 2), waitForReplica(stack, caller.id, 2)]);
    await Promise.all(Object.values(stack.app.subgraphs).map((subgraph) => subgraph.drainOutbox()));
  });
  afterAll(() => stack?.destroy());

  /** SQL statements and GraphQL fetches each subgraph has served so far. */
  async function load(name: SubgraphName) {
    const { metrics } = stack.app.subgraphs[name]!.deps;
    const queries = (await metrics.sqlQueries.get()).values[0]?.value ?? 0;
    const fetches = (await metrics.httpRequests.get()).values
      .filter((value) => value.metricName === 'http_request_duration_seconds_count' && value.labels.route === '/graphql')
      .reduce((sum, value) => sum + value.value, 0);
    return { queries, fetches };
  }

  async function measure<T>(run: () => Promise<T>) {
    const before = { teams: await load('teams'), users: await load('users') };
    const result = await run();
    const after = { teams: await load('teams'), users: await load('users') };
    const delta = (name: 'teams' | 'users') => ({
      queries: after[name].queries - before[name].queries,
      fetches: after[name].fetches - before[name].fetches,
    });
    return { result, teams: delta('teams'), users: delta('users') };
  }

  it('answers the federated team list with the same few SQL queries per subgraph fetch, whatever the page size', async () => {
    const page = (first: number) =>
      measure(async () => {
        const response = await stack.graphql(TEAM_LIST, { first }, { token: callerToken });
        expect(response.errors).toBeUndefined();
        return response.data!.teams.edges.map((edge: { node: unknown }) => edge.node);
      });

    const small = await page(5);
    const large = await page(TEAM_COUNT);
    expect(small.result).toHaveLength(5);
    expect(large.result).toHaveLength(TEAM_COUNT);
    expect(large.result[0]).toEqual({
      name: `Team ${TEAM_COUNT - 1}`,
      leader: { name: `Lead ${(TEAM_COUNT - 1) % 5}` },
      members: [
        { name: `Lead ${(TEAM_COUNT - 1) % 5}`, skills: [] },
        { name: 'Joiner', skills: [{ name: 'go' }] },
      ],
      skillMatch: { score: 0.5 },
    });
    expect(large.result[1]).toMatchObject({ name: `Team ${TEAM_COUNT - 2}`, skillMatch: { score: 0 } });

    // teams: the page, every team's members, the caller's skills. users: one query per fetch.
    expect(large.teams).toEqual({ fetches: 1, queries: 3 });
    expect(large.users.queries).toBe(large.users.fetches);
    expect(large.users.fetches).toBeGreaterThan(0);
    expect({ teams: large.teams, users: large.users }).toEqual({ teams: small.teams, users: small.users });
  });

  it('resolves 100 team references, their members and skill match with one SQL query each', async () => {
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'Team', id: teamIds[i % teamIds.length] }));
    const { result, teams } = await measure(() =>
      postGraphQL(
        stack.app.subgraphs.teams!.url,
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Team { id name members { id } skillMatch { score } } } }`,
        { representations },
        { token: callerToken },
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toHaveLength(100);
    expect(result.data?._entities[51]).toMatchObject({ id: teamIds[1], name: 'Team 1', skillMatch: { score: 0.5 } });
    expect(teams).toEqual({ fetches: 1, queries: 3 });
  });

  it("resolves every user's teams with one SQL query", async () => {
    const representations = memberIds.map((id) => ({ __typename: 'User', id }));
    const { result, teams } = await measure(() =>
      postGraphQL(
        stack.app.subgraphs.teams!.url,
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id teams { id } } } }`,
        { representations },
      ),
    );
    expect(result.errors).toBeUndefined();
    const teamCounts = result.data?._entities.map((user: { teams: unknown[] }) => user.teams.length);
    // Five leaders of ten teams each, the joiner in all fifty, the caller in none.
    expect(teamCounts).toEqual([10, 10, 10, 10, 10, TEAM_COUNT, 0]);
    expect(teams).toEqual({ fetches: 1, queries: 1 });
  });

  it('answers /health, /ready and /metrics', async () => {
    const base = stack.app.subgraphs.teams!.url.replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('events_consumed_total{queue="teams.user-replica",outcome="ok",service="teams"}');
  });
});
