import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT, countQueries, postJob, submitProposal } from '../../test/helpers/jobs.ts';
import { postGraphQL, startStack, type GraphQLResponse, type Stack } from '../../test/helpers/stack.ts';
import { registerUser } from '../../test/helpers/users.ts';

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Job { id title proposalCount }
    ... on Proposal { id totalCents milestones { amountCents } job { id } }
    ... on Contract { id totalCents proposal { id } }
  }
}`;

describe('jobs subgraph', () => {
  let stack: Stack;
  let client: Awaited<ReturnType<typeof registerUser>>;
  let freelancers: Array<Awaited<ReturnType<typeof registerUser>>>;
  const jobIds: string[] = [];
  const proposalIds: string[] = [];
  const contractIds: string[] = [];

  /** Asks the jobs subgraph itself, as the gateway would, and counts its SQL statements. */
  async function entities(representations: Array<{ __typename: string; id: string }>, token?: string) {
    let response: GraphQLResponse | undefined;
    const queries = await countQueries(stack, async () => {
      response = await postGraphQL(stack.app.subgraphs.jobs!.url, ENTITIES, { representations }, { token });
    });
    expect(response?.errors).toBeUndefined();
    return { entities: response!.data!._entities as Array<Record<string, any> | null>, queries: queries.jobs };
  }

  beforeAll(async () => {
    // The outbox relay runs only when a commit nudges it: SQL counted around a read is the read's own.
    stack = await startStack({ services: ['gateway', 'users', 'jobs'], env: { OUTBOX_POLL_MS: '600000' } });
    [client, ...freelancers] = await Promise.all([registerUser(stack, 'Client'), registerUser(stack, 'Fred'), registerUser(stack, 'Fay')]);
    for (let i = 0; i < 4; i++) {
      const jobId = await postJob(stack, client.token, { title: `Job ${i}` });
      jobIds.push(jobId);
      for (const freelancer of freelancers) proposalIds.push(await submitProposal(stack, freelancer.token, jobId));
    }
    for (const id of proposalIds.slice(0, 4).filter((_, i) => i % 2 === 0)) {
      contractIds.push((await stack.graphql(ACCEPT, { id }, { token: client.token })).data!.acceptProposal.id);
    }
  });
  afterAll(() => stack?.destroy());

  it('resolves 100 job references, with their proposal counts, in two SQL queries', async () => {
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'Job', id: jobIds[i % jobIds.length]! }));
    const { entities: jobs, queries } = await entities(representations);
    expect(jobs).toHaveLength(100);
    expect(jobs[5]).toEqual({ id: jobIds[1], title: 'Job 1', proposalCount: 2 });
    expect(queries).toBe(2);
  });

  it('resolves 100 proposal references with their milestones and jobs in three SQL queries, null for those the caller may not see', async () => {
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'Proposal', id: proposalIds[i % proposalIds.length]! }));
    const asClient = await entities(representations, client.token);
    expect(asClient.entities.every((proposal) => proposal !== null)).toBe(true);
    expect(asClient.entities[1]).toEqual({ id: proposalIds[1], totalCents: 400_000, milestones: [{ amountCents: 150_000 }, { amountCents: 250_000 }], job: { id: jobIds[0] } });
    expect(asClient.queries).toBe(3);

    // Fred sees his own proposals only: every other one is Fay's.
    const asFred = await entities(representations, freelancers[0]!.token);
    expect(asFred.entities.map((proposal) => proposal !== null)).toEqual(representations.map((_, i) => i % 2 === 0));
    const anonymous = await entities(representations);
    expect(anonymous.entities.every((proposal) => proposal === null)).toBe(true);
  });

  it('resolves 100 contract references in two SQL queries, for their parties only', async () => {
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'Contract', id: contractIds[i % contractIds.length]! }));
    const asClient = await entities(representations, client.token);
    expect(asClient.entities[0]).toEqual({ id: contractIds[0], totalCents: 400_000, proposal: { id: proposalIds[0] } });
    expect(asClient.queries).toBe(2);
    const asFay = await entities(representations, freelancers[1]!.token);
    expect(asFay.entities.every((contract) => contract === null)).toBe(true);
  });

  it("answers a freelancer's proposals with their jobs and milestones in a fixed number of SQL queries", async () => {
    const query = `query($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on User { proposals { id status milestones { dueDate } job { title proposalCount myProposal { id } } } } }
    }`;
    const fred = freelancers[0]!;
    let response: GraphQLResponse | undefined;
    const queries = await countQueries(stack, async () => {
      response = await postGraphQL(stack.app.subgraphs.jobs!.url, query, { representations: [{ __typename: 'User', id: fred.id }] }, { token: fred.token });
    });
    expect(response?.errors).toBeUndefined();
    const proposals = response!.data!._entities[0].proposals;
    expect(proposals).toHaveLength(4);
    expect(proposals[0]).toMatchObject({ status: 'SUBMITTED', job: { title: 'Job 3', proposalCount: 2, myProposal: { id: proposals[0].id } } });
    // Proposals, then milestones, jobs, proposal counts and the caller's own proposals, each in one batch.
    expect(queries.jobs).toBe(5);
  });

  it('answers /health, /ready and /metrics', async () => {
    const base = stack.app.subgraphs.jobs!.url.replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'ready' });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('service="jobs"');
  });
});
