import { eq, inArray } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { contracts, jobs, proposals } from '../subgraphs/jobs/db/schema.ts';
import { ACCEPT, describeOnEachRuntime, postJob, proposalInput, recordJobEvents, submitProposal } from './helpers/jobs.ts';
import { errorCode, type GraphQLResponse, type Stack } from './helpers/stack.ts';
import { registerUser } from './helpers/users.ts';

const SUBMIT = `mutation($jobId: ID!, $input: ProposalInput!) { submitProposal(jobId: $jobId, input: $input) { id } }`;
const CLOSE = `mutation($id: ID!) { closeJob(id: $id) { id } }`;
/** Jobs raced at once: on PostgreSQL, requests that truly overlap, each on its own pooled connection. */
const ROUNDS = 6;

type User = Awaited<ReturnType<typeof registerUser>>;

/** Each outcome of a race: exactly one side wins, the other gets CONFLICT. */
function winnerOf(responses: GraphQLResponse[]): number {
  const winners = responses.flatMap((response, index) => (response.errors ? [] : [index]));
  expect(winners, JSON.stringify(responses)).toHaveLength(1);
  expect(responses.filter((response) => response.errors).map(errorCode)).toEqual(['CONFLICT']);
  return winners[0]!;
}

describeOnEachRuntime('jobs races', {}, (runningStack) => {
  let stack: Stack;
  let client: User;
  let fred: User;
  let fay: User;
  const db = () => stack.app.subgraphs.jobs!.deps.db;

  beforeAll(async () => {
    stack = runningStack();
    [client, fred, fay] = await Promise.all([registerUser(stack, 'Client'), registerUser(stack, 'Fred'), registerUser(stack, 'Fay')]);
  });

  /** `ROUNDS` open jobs, each with a proposal from Fred and one from Fay. */
  async function jobsWithTwoProposals() {
    return Promise.all(
      Array.from({ length: ROUNDS }, async () => {
        const jobId = await postJob(stack, client.token);
        const [fredsId, faysId] = await Promise.all([submitProposal(stack, fred.token, jobId), submitProposal(stack, fay.token, jobId)]);
        return { jobId, proposalIds: [fredsId, faysId] };
      }),
    );
  }

  it('two accepts of two proposals of one job make exactly one contract', async () => {
    const rounds = await jobsWithTwoProposals();
    const events = await recordJobEvents(stack);
    try {
      // Every accept of every round at once.
      const outcomes = await Promise.all(
        rounds.map(({ proposalIds }) => Promise.all(proposalIds.map((id) => stack.graphql(ACCEPT, { id }, { token: client.token })))),
      );

      for (const [index, { jobId, proposalIds }] of rounds.entries()) {
        const winner = winnerOf(outcomes[index]!);
        const acceptedId = proposalIds[winner]!;
        const stored = await db().select().from(contracts).where(eq(contracts.jobId, jobId));
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject({ proposalId: acceptedId, status: 'ACTIVE' });
        expect(outcomes[index]![winner]!.data?.acceptProposal).toMatchObject({ id: stored[0]!.id, job: { status: 'IN_PROGRESS' } });
        const statuses = await db().select({ id: proposals.id, status: proposals.status }).from(proposals).where(eq(proposals.jobId, jobId));
        expect(Object.fromEntries(statuses.map((row) => [row.id, row.status]))).toEqual({
          [acceptedId]: 'ACCEPTED',
          [proposalIds[1 - winner]!]: 'REJECTED',
        });
      }

      // One proposal.accepted and one proposal.rejected per job: the loser's transaction emitted nothing.
      const outcomeEvents = (jobId: string) =>
        events.about(jobId).filter((event) => event.type === 'proposal.accepted' || event.type === 'proposal.rejected');
      await stack.app.subgraphs.jobs!.drainOutbox();
      await expect.poll(() => rounds.flatMap(({ jobId }) => outcomeEvents(jobId)).length, { timeout: 5000 }).toBe(2 * ROUNDS);
      for (const { jobId } of rounds) {
        expect(outcomeEvents(jobId).map((event) => event.type).sort()).toEqual(['proposal.accepted', 'proposal.rejected']);
      }
    } finally {
      await events.stop();
    }
  });

  it('two submits by one freelancer to one job keep one live proposal', async () => {
    const jobIds = await Promise.all(Array.from({ length: ROUNDS }, () => postJob(stack, client.token)));
    const outcomes = await Promise.all(
      jobIds.map((jobId) => Promise.all([0, 1].map(() => stack.graphql(SUBMIT, { jobId, input: proposalInput() }, { token: fred.token })))),
    );
    outcomes.forEach(winnerOf);
    const stored = await db().select({ jobId: proposals.jobId }).from(proposals).where(inArray(proposals.jobId, jobIds));
    expect(stored).toHaveLength(ROUNDS);
  });

  it('an accept racing a close leaves either a contract or a closed job, never both', async () => {
    const rounds = await jobsWithTwoProposals();
    const outcomes = await Promise.all(
      rounds.map(({ jobId, proposalIds }) =>
        Promise.all([stack.graphql(ACCEPT, { id: proposalIds[0] }, { token: client.token }), stack.graphql(CLOSE, { id: jobId }, { token: client.token })]),
      ),
    );
    for (const [index, { jobId }] of rounds.entries()) {
      const accepted = winnerOf(outcomes[index]!) === 0;
      const [job] = await db().select({ status: jobs.status }).from(jobs).where(eq(jobs.id, jobId));
      const stored = await db().select().from(contracts).where(eq(contracts.jobId, jobId));
      const statuses = (await db().select({ status: proposals.status }).from(proposals).where(eq(proposals.jobId, jobId))).map((row) => row.status).sort();
      expect({ job: job?.status, contracts: stored.length, statuses }).toEqual(
        accepted
          ? { job: 'IN_PROGRESS', contracts: 1, statuses: ['ACCEPTED', 'REJECTED'] }
          : { job: 'CLOSED', contracts: 0, statuses: ['REJECTED', 'REJECTED'] },
      );
    }
  });
});
