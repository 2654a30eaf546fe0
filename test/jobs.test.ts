import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCEPT,
  CONTRACT_FIELDS,
  countQueries,
  describeOnEachRuntime,
  JOB_FIELDS,
  jobInput,
  postJob,
  PROPOSAL_FIELDS,
  proposalInput,
  recordJobEvents,
  submitProposal,
  utcDate,
} from './helpers/jobs.ts';
import { errorCode, type GraphQLResponse, type Stack } from './helpers/stack.ts';
import { registerUser } from './helpers/users.ts';

const POST_JOB = `mutation($input: PostJobInput!) { postJob(input: $input) { ${JOB_FIELDS} } }`;
const JOB = `query($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`;
const JOBS = `query($filter: JobFilter, $first: Int, $after: String) {
  jobs(filter: $filter, first: $first, after: $after) { totalCount edges { cursor node { id title status } } pageInfo { hasNextPage endCursor } }
}`;
const SUBMIT = `mutation($jobId: ID!, $input: ProposalInput!) { submitProposal(jobId: $jobId, input: $input) { ${PROPOSAL_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: ProposalInput!) { updateProposal(id: $id, input: $input) { ${PROPOSAL_FIELDS} } }`;
const WITHDRAW = `mutation($id: ID!) { withdrawProposal(id: $id) { id status } }`;
const PROPOSAL = `query($id: ID!) { proposal(id: $id) { id status totalCents } }`;
const JOB_PROPOSALS = `query($id: ID!) { job(id: $id) { proposals { id status } } }`;
const MY_PROPOSAL = `query($id: ID!) { job(id: $id) { proposalCount myProposal { id status } } }`;
const CONTRACT = `query($id: ID!) { contract(id: $id) { id status } }`;
const COMPLETE = `mutation($id: ID!) { completeContract(id: $id) { ${CONTRACT_FIELDS} } }`;
const CLOSE = `mutation($id: ID!) { closeJob(id: $id) { id status } }`;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

type User = Awaited<ReturnType<typeof registerUser>>;

/** A tag no other test uses: jobs posted with it as a skill (or word) are this test's own. */
const tag = () => `t${randomBytes(5).toString('hex')}`;
const field = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.field;

// The outbox relay runs only when a commit nudges it: SQL counted around a read is the read's own.
describeOnEachRuntime('jobs through the gateway', { OUTBOX_POLL_MS: '600000' }, (runningStack) => {
  let stack: Stack;
  let events: Awaited<ReturnType<typeof recordJobEvents>>;
  let client: User;
  let fred: User;
  let fay: User;
  let stranger: User;

  beforeAll(async () => {
    stack = runningStack();
    events = await recordJobEvents(stack);
    [client, fred, fay, stranger] = await Promise.all([
      registerUser(stack, 'Cleo Client'),
      registerUser(stack, 'Fred Freelancer'),
      registerUser(stack, 'Fay Freelancer'),
      registerUser(stack, 'Sam Stranger'),
    ]);
  });
  afterAll(() => events?.stop());

  describe('jobs', () => {
    it('posts a job with normalized skills, readable by anyone', async () => {
      const posted = await stack.graphql(POST_JOB, { input: jobInput({ title: '  Rust rewrite ', skills: ['Rust', ' rust ', 'WebAssembly'] }) }, { token: client.token });
      expect(posted.errors).toBeUndefined();
      expect(posted.data?.postJob).toMatchObject({ title: 'Rust rewrite', skills: ['rust', 'webassembly'], budgetCents: 500_000, status: 'OPEN', proposalCount: 0, client: { id: client.id } });

      const read = await stack.graphql(`query($id: ID!) { job(id: $id) { id title client { id name } } }`, { id: posted.data!.postJob.id });
      expect(read.data?.job).toEqual({ id: posted.data!.postJob.id, title: 'Rust rewrite', client: { id: client.id, name: 'Cleo Client' } });
    });

    it('publishes job.posted with the contract envelope', async () => {
      const jobId = await postJob(stack, client.token, { title: 'Evented job', skills: ['Go'], budgetCents: 1234 });
      await expect.poll(() => events.about(jobId).length, { timeout: 5000 }).toBe(1);
      expect(events.about(jobId)[0]).toMatchObject({
        type: 'job.posted',
        version: 1,
        producer: 'jobs',
        data: { jobId, title: 'Evented job', clientId: client.id, skills: ['go'], budgetCents: 1234 },
      });
      expect(events.about(jobId)[0]!.correlationId).toMatch(/[0-9a-f-]{36}/);
    });

    it('refuses postJob without a token, and bad input with the field at fault', async () => {
      expect(errorCode(await stack.graphql(POST_JOB, { input: jobInput() }))).toBe('UNAUTHENTICATED');
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ title: '   ' }, 'input.title'],
        [{ title: 'x'.repeat(201) }, 'input.title'],
        [{ description: '' }, 'input.description'],
        [{ budgetCents: 0 }, 'input.budgetCents'],
        [{ budgetCents: -100 }, 'input.budgetCents'],
        [{ skills: Array.from({ length: 21 }, (_, i) => `skill${i}`) }, 'input.skills'],
        [{ skills: ['ok', '  '] }, 'input.skills.1'],
      ];
      for (const [overrides, at] of cases) {
        const response = await stack.graphql(POST_JOB, { input: jobInput(overrides) }, { token: client.token });
        expect(errorCode(response), at).toBe('BAD_USER_INPUT');
        expect(field(response), at).toBe(at);
      }
    });

    it('answers null for an unknown or malformed job id', async () => {
      const response = await stack.graphql(`query { a: job(id: "${UNKNOWN_ID}") { id } b: job(id: "nope") { id } }`);
      expect(response.data).toEqual({ a: null, b: null });
    });

    it('answers the federated query with the clients from users, in a bounded number of SQL queries', async () => {
      const skill = tag();
      const clients = await Promise.all([registerUser(stack, 'Client A'), registerUser(stack, 'Client B'), registerUser(stack, 'Client C')]);
      await Promise.all(
        clients.map((owner, i) =>
          stack.graphql(`mutation($skills: [SkillInput!]!) { setSkills(skills: $skills) { id } }`, { skills: [{ name: `Skill${i}`, level: 3 }] }, { token: owner.token }),
        ),
      );
      const jobIds: string[] = [];
      for (let i = 0; i < 12; i++) jobIds.push(await postJob(stack, clients[i % 3]!.token, { title: `Job ${i}`, skills: [skill] }));
      await submitProposal(stack, fred.token, jobIds[11]!);
      await submitProposal(stack, fay.token, jobIds[11]!);
      await submitProposal(stack, fred.token, jobIds[10]!);

      const query = `query($filter: JobFilter, $first: Int) { jobs(filter: $filter, first: $first) { edges { node { title client { name skills { name } } proposalCount } } } }`;
      const run = (first: number) => stack.graphql(query, { filter: { skill }, first });
      let page: GraphQLResponse | undefined;
      const queries = await countQueries(stack, async () => (page = await run(12)));
      expect(page?.errors).toBeUndefined();
      expect(page?.data?.jobs.edges.slice(0, 3).map((edge: { node: unknown }) => edge.node)).toEqual([
        { title: 'Job 11', client: { name: 'Client C', skills: [{ name: 'skill2' }] }, proposalCount: 2 },
        { title: 'Job 10', client: { name: 'Client B', skills: [{ name: 'skill1' }] }, proposalCount: 1 },
        { title: 'Job 9', client: { name: 'Client A', skills: [{ name: 'skill0' }] }, proposalCount: 0 },
      ]);
      // jobs: the page, then every proposalCount in one batch; users: every client in one batch. The same for 2 jobs as for 12.
      expect(queries).toEqual({ users: 1, jobs: 2 });
      expect(await countQueries(stack, () => run(2))).toEqual(queries);
    });
  });

  describe('listing jobs', () => {
    it('filters by skill and by status, newest first', async () => {
      const skill = tag();
      const older = await postJob(stack, client.token, { skills: [skill, 'Docker'] });
      const newer = await postJob(stack, client.token, { skills: [skill.toUpperCase()] });
      const closed = await postJob(stack, client.token, { skills: [skill] });
      await stack.graphql(CLOSE, { id: closed }, { token: client.token });

      const all = await stack.graphql(JOBS, { filter: { skill: ` ${skill.toUpperCase()} ` } });
      expect(all.data?.jobs.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([closed, newer, older]);
      expect(all.data?.jobs.totalCount).toBe(3);

      const open = await stack.graphql(JOBS, { filter: { skill, status: 'OPEN' } });
      expect(open.data?.jobs.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([newer, older]);
      const closedOnly = await stack.graphql(JOBS, { filter: { skill, status: 'CLOSED' } });
      expect(closedOnly.data?.jobs).toMatchObject({ totalCount: 1, edges: [{ node: { id: closed, status: 'CLOSED' } }] });
    });

    it('searches titles and descriptions by word, stem and prefix', async () => {
      const skill = tag();
      const word = tag();
      const graphql = await postJob(stack, client.token, { skills: [skill], title: `GraphQL developers for ${word}`, description: 'Schema design.' });
      const redis = await postJob(stack, client.token, { skills: [skill], title: 'Caching layer', description: `Redis clusters, ${word} scale.` });
      const search = async (text: string) => {
        const response = await stack.graphql(JOBS, { filter: { skill, search: text } });
        expect(response.errors).toBeUndefined();
        return response.data?.jobs.edges.map((edge: { node: { id: string } }) => edge.node.id);
      };
      expect(await search(word)).toEqual([redis, graphql]);
      expect(await search('graph')).toEqual([graphql]);
      expect(await search('Developer')).toEqual([graphql]);
      expect(await search(`redis ${word}`)).toEqual([redis]);
      expect(await search('kubernetes')).toEqual([]);
      // Only words reach the query: tsquery syntax is plain text here.
      expect(await search(`${word} & !| :* ('`)).toEqual([redis, graphql]);
      expect(await search('   ')).toEqual([redis, graphql]);
      expect(field(await stack.graphql(JOBS, { filter: { search: 'x'.repeat(201) } }))).toBe('filter.search');
    });

    it('pages with opaque cursors, without gaps or repeats', async () => {
      const skill = tag();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await postJob(stack, client.token, { skills: [skill] }));
      const newestFirst = [...ids].reverse();

      const seen: string[] = [];
      let after: string | null = null;
      const pages: boolean[] = [];
      do {
        const page: GraphQLResponse = await stack.graphql(JOBS, { filter: { skill }, first: 2, after });
        expect(page.data?.jobs.totalCount).toBe(5);
        seen.push(...page.data!.jobs.edges.map((edge: { node: { id: string } }) => edge.node.id));
        pages.push(page.data!.jobs.pageInfo.hasNextPage);
        after = page.data!.jobs.pageInfo.hasNextPage ? page.data!.jobs.pageInfo.endCursor : null;
      } while (after);
      expect(seen).toEqual(newestFirst);
      expect(pages).toEqual([true, true, false]);

      const defaults = await stack.graphql(JOBS, { filter: { skill } });
      expect(defaults.data?.jobs.edges).toHaveLength(5);
      const none = await stack.graphql(JOBS, { filter: { skill }, first: 0 });
      expect(none.data?.jobs).toMatchObject({ edges: [], totalCount: 5, pageInfo: { hasNextPage: true, endCursor: null } });
    });

    it('refuses a page size over 100 and a cursor it did not make', async () => {
      for (const first of [101, -1]) {
        const response = await stack.graphql(JOBS, { first });
        expect(errorCode(response)).toBe('BAD_USER_INPUT');
        expect(field(response)).toBe('first');
      }
      for (const after of ['garbage', Buffer.from('["yesterday","x"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
        const response = await stack.graphql(JOBS, { after });
        expect(errorCode(response), after).toBe('BAD_USER_INPUT');
        expect(field(response)).toBe('after');
      }
    });
  });

  describe('proposals', () => {
    it('submits a proposal with its milestones in order; the total is their sum', async () => {
      const jobId = await postJob(stack, client.token);
      const input = proposalInput({
        milestones: [
          { description: ' Design ', amountCents: 100, dueDate: utcDate(0) },
          { description: 'Build', amountCents: 2_000, dueDate: utcDate(30) },
          { description: 'Ship', amountCents: 30_000, dueDate: utcDate(10) },
        ],
      });
      const response = await stack.graphql(SUBMIT, { jobId, input }, { token: fred.token });
      expect(response.errors).toBeUndefined();
      const proposal = response.data!.submitProposal;
      expect(proposal).toMatchObject({
        status: 'SUBMITTED',
        jobDuration: 'ONE_TO_THREE_MONTHS',
        totalCents: 32_100,
        job: { id: jobId },
        freelancer: { id: fred.id },
        milestones: [
          { description: 'Design', amountCents: 100, dueDate: utcDate(0) },
          { description: 'Build', amountCents: 2_000, dueDate: utcDate(30) },
          { description: 'Ship', amountCents: 30_000, dueDate: utcDate(10) },
        ],
      });

      await expect.poll(() => events.about(proposal.id).length, { timeout: 5000 }).toBe(1);
      expect(events.about(proposal.id)[0]).toMatchObject({
        type: 'proposal.submitted',
        data: { jobId, title: 'Build a GraphQL gateway', clientId: client.id, freelancerId: fred.id, proposalId: proposal.id, totalCents: 32_100 },
      });
    });

    it('refuses bad proposals with the field at fault', async () => {
      const jobId = await postJob(stack, client.token);
      const milestone = (overrides: Record<string, unknown> = {}) => ({ description: 'Work', amountCents: 1000, dueDate: utcDate(7), ...overrides });
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ milestones: [] }, 'input.milestones'],
        [{ milestones: Array.from({ length: 21 }, () => milestone()) }, 'input.milestones'],
        [{ milestones: [milestone(), milestone({ amountCents: 0 })] }, 'input.milestones.1.amountCents'],
        [{ milestones: [milestone({ amountCents: -5 })] }, 'input.milestones.0.amountCents'],
        [{ milestones: [milestone({ dueDate: utcDate(-1) })] }, 'input.milestones.0.dueDate'],
        [{ milestones: [milestone({ description: ' ' })] }, 'input.milestones.0.description'],
        // Each fits an Int, the sum does not.
        [{ milestones: [milestone({ amountCents: 2_000_000_000 }), milestone({ amountCents: 2_000_000_000 })] }, 'input.milestones'],
        [{ coverLetter: 'Too short' }, 'input.coverLetter'],
        [{ coverLetter: 'x'.repeat(5001) }, 'input.coverLetter'],
      ];
      for (const [overrides, at] of cases) {
        const response = await stack.graphql(SUBMIT, { jobId, input: proposalInput(overrides) }, { token: fred.token });
        expect(errorCode(response), at).toBe('BAD_USER_INPUT');
        expect(field(response), at).toBe(at);
      }
      const badDate = await stack.graphql(SUBMIT, { jobId, input: proposalInput({ milestones: [milestone({ dueDate: '2030-02-30' })] }) }, { token: fred.token });
      expect(errorCode(badDate)).toBe('BAD_USER_INPUT');
      const tooMuch = await stack.graphql(SUBMIT, { jobId, input: proposalInput({ milestones: [milestone({ amountCents: 2 ** 31 })] }) }, { token: fred.token });
      expect(errorCode(tooMuch)).toBe('BAD_USER_INPUT');
      // Nothing was stored by any of them.
      expect((await stack.graphql(MY_PROPOSAL, { id: jobId }, { token: fred.token })).data?.job).toEqual({ proposalCount: 0, myProposal: null });
    });

    it('allows one live proposal per freelancer and job; withdrawing one makes room for another', async () => {
      const jobId = await postJob(stack, client.token);
      const first = await submitProposal(stack, fred.token, jobId);
      const again = await stack.graphql(SUBMIT, { jobId, input: proposalInput() }, { token: fred.token });
      expect(errorCode(again)).toBe('CONFLICT');
      await submitProposal(stack, fay.token, jobId);

      const withdrawn = await stack.graphql(WITHDRAW, { id: first }, { token: fred.token });
      expect(withdrawn.data?.withdrawProposal).toEqual({ id: first, status: 'WITHDRAWN' });
      expect((await stack.graphql(MY_PROPOSAL, { id: jobId }, { token: fred.token })).data?.job).toEqual({ proposalCount: 1, myProposal: { id: first, status: 'WITHDRAWN' } });

      const second = await submitProposal(stack, fred.token, jobId);
      expect((await stack.graphql(MY_PROPOSAL, { id: jobId }, { token: fred.token })).data?.job).toEqual({ proposalCount: 2, myProposal: { id: second, status: 'SUBMITTED' } });
    });

    it("refuses a proposal on one's own job, an unknown job, a job not OPEN, and without a token", async () => {
      const jobId = await postJob(stack, client.token);
      expect(errorCode(await stack.graphql(SUBMIT, { jobId, input: proposalInput() }, { token: client.token }))).toBe('FORBIDDEN');
      expect(errorCode(await stack.graphql(SUBMIT, { jobId: UNKNOWN_ID, input: proposalInput() }, { token: fred.token }))).toBe('NOT_FOUND');
      expect(errorCode(await stack.graphql(SUBMIT, { jobId: 'not-an-id', input: proposalInput() }, { token: fred.token }))).toBe('NOT_FOUND');
      expect(errorCode(await stack.graphql(SUBMIT, { jobId, input: proposalInput() }))).toBe('UNAUTHENTICATED');
      await stack.graphql(CLOSE, { id: jobId }, { token: client.token });
      expect(errorCode(await stack.graphql(SUBMIT, { jobId, input: proposalInput() }, { token: fred.token }))).toBe('CONFLICT');
    });

    it('lets its freelancer update a submitted proposal, and no one else', async () => {
      const jobId = await postJob(stack, client.token);
      const id = await submitProposal(stack, fred.token, jobId);
      const input = proposalInput({
        coverLetter: 'Revised: I can start on Monday and ship in six weeks.',
        jobDuration: 'LESS_THAN_A_MONTH',
        milestones: [{ description: 'Everything', amountCents: 99_900, dueDate: utcDate(20) }],
      });

      expect(errorCode(await stack.graphql(UPDATE, { id, input }, { token: client.token }))).toBe('FORBIDDEN');
      expect(errorCode(await stack.graphql(UPDATE, { id, input }, { token: stranger.token }))).toBe('NOT_FOUND');
      expect(errorCode(await stack.graphql(UPDATE, { id, input }))).toBe('UNAUTHENTICATED');
      expect(field(await stack.graphql(UPDATE, { id, input: { ...input, milestones: [] } }, { token: fred.token }))).toBe('input.milestones');

      const updated = await stack.graphql(UPDATE, { id, input }, { token: fred.token });
      expect(updated.errors).toBeUndefined();
      expect(updated.data?.updateProposal).toMatchObject({
        id,
        status: 'SUBMITTED',
        coverLetter: input.coverLetter,
        jobDuration: 'LESS_THAN_A_MONTH',
        totalCents: 99_900,
        milestones: [{ description: 'Everything', amountCents: 99_900, dueDate: utcDate(20) }],
      });
      expect(Date.parse(updated.data!.updateProposal.updatedAt)).toBeGreaterThan(Date.parse(updated.data!.updateProposal.createdAt));

      await stack.graphql(WITHDRAW, { id }, { token: fred.token });
      expect(errorCode(await stack.graphql(UPDATE, { id, input }, { token: fred.token }))).toBe('CONFLICT');
    });

    it('lets its freelancer withdraw a submitted proposal, once', async () => {
      const jobId = await postJob(stack, client.token);
      const id = await submitProposal(stack, fred.token, jobId);
      expect(errorCode(await stack.graphql(WITHDRAW, { id }, { token: client.token }))).toBe('FORBIDDEN');
      expect(errorCode(await stack.graphql(WITHDRAW, { id }, { token: stranger.token }))).toBe('NOT_FOUND');
      expect(errorCode(await stack.graphql(WITHDRAW, { id: UNKNOWN_ID }, { token: fred.token }))).toBe('NOT_FOUND');
      expect(errorCode(await stack.graphql(WITHDRAW, { id }))).toBe('UNAUTHENTICATED');
      expect((await stack.graphql(WITHDRAW, { id }, { token: fred.token })).data?.withdrawProposal.status).toBe('WITHDRAWN');
      expect(errorCode(await stack.graphql(WITHDRAW, { id }, { token: fred.token }))).toBe('CONFLICT');
    });
  });

  describe('visibility', () => {
    it("shows a proposal to its freelancer and the job's client only", async () => {
      const jobId = await postJob(stack, client.token);
      const id = await submitProposal(stack, fred.token, jobId);
      expect((await stack.graphql(PROPOSAL, { id }, { token: fred.token })).data?.proposal).toMatchObject({ id, status: 'SUBMITTED' });
      expect((await stack.graphql(PROPOSAL, { id }, { token: client.token })).data?.proposal).toMatchObject({ id });
      expect((await stack.graphql(PROPOSAL, { id }, { token: fay.token })).data).toEqual({ proposal: null });
      expect((await stack.graphql(PROPOSAL, { id })).data).toEqual({ proposal: null });
      expect((await stack.graphql(PROPOSAL, { id: 'nope' }, { token: fred.token })).data).toEqual({ proposal: null });
    });

    it("shows Job.proposals to the job's client only, and myProposal to each their own", async () => {
      const jobId = await postJob(stack, client.token);
      const fredsId = await submitProposal(stack, fred.token, jobId);
      const faysId = await submitProposal(stack, fay.token, jobId);
      await stack.graphql(WITHDRAW, { id: faysId }, { token: fay.token });

      const seenByClient = await stack.graphql(JOB_PROPOSALS, { id: jobId }, { token: client.token });
      expect(seenByClient.data?.job.proposals).toEqual([{ id: fredsId, status: 'SUBMITTED' }]);
      for (const token of [fred.token, stranger.token, undefined]) {
        const response = await stack.graphql(JOB_PROPOSALS, { id: jobId }, { token });
        expect(errorCode(response)).toBe('FORBIDDEN');
        expect(response.data).toEqual({ job: null });
      }

      expect((await stack.graphql(MY_PROPOSAL, { id: jobId }, { token: fred.token })).data?.job.myProposal).toEqual({ id: fredsId, status: 'SUBMITTED' });
      expect((await stack.graphql(MY_PROPOSAL, { id: jobId }, { token: stranger.token })).data?.job.myProposal).toBeNull();
      expect((await stack.graphql(MY_PROPOSAL, { id: jobId })).data?.job.myProposal).toBeNull();
    });

    it("shows User.jobs, proposals and contracts to that user only: [] for anyone else's", async () => {
      const owner = await registerUser(stack, 'Owner');
      const worker = await registerUser(stack, 'Worker');
      const jobId = await postJob(stack, owner.token);
      const proposalId = await submitProposal(stack, worker.token, jobId);
      const contractId = (await stack.graphql(ACCEPT, { id: proposalId }, { token: owner.token })).data?.acceptProposal.id;
      expect(contractId).toBeTruthy();

      const lists = `query($id: ID!) { user(id: $id) { jobs { id } proposals { id } contracts { id } } }`;
      expect((await stack.graphql(lists, { id: owner.id }, { token: owner.token })).data?.user).toEqual({ jobs: [{ id: jobId }], proposals: [], contracts: [{ id: contractId }] });
      expect((await stack.graphql(lists, { id: worker.id }, { token: worker.token })).data?.user).toEqual({ jobs: [], proposals: [{ id: proposalId }], contracts: [{ id: contractId }] });
      const empty = { jobs: [], proposals: [], contracts: [] };
      expect((await stack.graphql(lists, { id: worker.id }, { token: owner.token })).data?.user).toEqual(empty);
      expect((await stack.graphql(lists, { id: owner.id }, { token: stranger.token })).data?.user).toEqual(empty);
      expect((await stack.graphql(lists, { id: owner.id })).data?.user).toEqual(empty);
      expect((await stack.graphql(`{ me { jobs { title } } }`, {}, { token: owner.token })).data?.me).toEqual({ jobs: [{ title: 'Build a GraphQL gateway' }] });
    });
  });

  describe('contracts', () => {
    it('accepts a proposal: one contract, the job IN_PROGRESS, the other submitted proposals REJECTED', async () => {
      const jobId = await postJob(stack, client.token, { title: 'Accept me' });
      const fredsId = await submitProposal(stack, fred.token, jobId);
      const faysId = await submitProposal(stack, fay.token, jobId);
      const strangersId = await submitProposal(stack, stranger.token, jobId);
      await stack.graphql(WITHDRAW, { id: strangersId }, { token: stranger.token });

      const accepted = await stack.graphql(ACCEPT, { id: fredsId }, { token: client.token });
      expect(accepted.errors).toBeUndefined();
      const contract = accepted.data!.acceptProposal;
      expect(contract).toMatchObject({
        status: 'ACTIVE',
        totalCents: 400_000,
        client: { id: client.id },
        freelancer: { id: fred.id },
        job: { id: jobId, status: 'IN_PROGRESS' },
        proposal: { id: fredsId, status: 'ACCEPTED' },
        completedAt: null,
      });

      const proposals = await stack.graphql(JOB_PROPOSALS, { id: jobId }, { token: client.token });
      expect(proposals.data?.job.proposals).toEqual([
        { id: faysId, status: 'REJECTED' },
        { id: fredsId, status: 'ACCEPTED' },
      ]);
      expect((await stack.graphql(PROPOSAL, { id: strangersId }, { token: stranger.token })).data?.proposal.status).toBe('WITHDRAWN');

      await expect.poll(() => events.about(jobId).length, { timeout: 5000 }).toBe(6);
      const outcome = events.about(jobId).filter((event) => event.type === 'proposal.accepted' || event.type === 'proposal.rejected');
      expect(outcome).toEqual([
        expect.objectContaining({
          type: 'proposal.accepted',
          data: { jobId, title: 'Accept me', clientId: client.id, freelancerId: fred.id, proposalId: fredsId, contractId: contract.id, totalCents: 400_000 },
        }),
        expect.objectContaining({
          type: 'proposal.rejected',
          data: { jobId, title: 'Accept me', clientId: client.id, freelancerId: fay.id, proposalId: faysId, reason: 'ANOTHER_PROPOSAL_ACCEPTED' },
        }),
      ]);

      // The job has its contract: nothing else can start one or join it.
      expect(errorCode(await stack.graphql(ACCEPT, { id: fredsId }, { token: client.token }))).toBe('CONFLICT');
      expect(errorCode(await stack.graphql(ACCEPT, { id: faysId }, { token: client.token }))).toBe('CONFLICT');
      expect(errorCode(await stack.graphql(SUBMIT, { jobId, input: proposalInput() }, { token: fay.token }))).toBe('CONFLICT');
      expect(errorCode(await stack.graphql(CLOSE, { id: jobId }, { token: client.token }))).toBe('CONFLICT');
      expect(errorCode(await stack.graphql(WITHDRAW, { id: fredsId }, { token: fred.token }))).toBe('CONFLICT');
    });

    it("lets only the job's client accept", async () => {
      const jobId = await postJob(stack, client.token);
      const id = await submitProposal(stack, fred.token, jobId);
      expect(errorCode(await stack.graphql(ACCEPT, { id }, { token: fred.token }))).toBe('FORBIDDEN');
      expect(errorCode(await stack.graphql(ACCEPT, { id }, { token: stranger.token }))).toBe('NOT_FOUND');
      expect(errorCode(await stack.graphql(ACCEPT, { id: UNKNOWN_ID }, { token: client.token }))).toBe('NOT_FOUND');
      expect(errorCode(await stack.graphql(ACCEPT, { id }))).toBe('UNAUTHENTICATED');
      const withdrawnId = await submitProposal(stack, fay.token, jobId);
      await stack.graphql(WITHDRAW, { id: withdrawnId }, { token: fay.token });
      expect(errorCode(await stack.graphql(ACCEPT, { id: withdrawnId }, { token: client.token }))).toBe('CONFLICT');
      // The failed accept changed nothing.
      expect((await stack.graphql(JOB, { id: jobId })).data?.job.status).toBe('OPEN');
    });

    it('shows a contract to its two parties only, and lets the client complete it', async () => {
      const jobId = await postJob(stack, client.token, { title: 'Complete me' });
      const proposalId = await submitProposal(stack, fred.token, jobId);
      const contractId = (await stack.graphql(ACCEPT, { id: proposalId }, { token: client.token })).data!.acceptProposal.id;

      expect((await stack.graphql(CONTRACT, { id: contractId }, { token: fred.token })).data?.contract).toEqual({ id: contractId, status: 'ACTIVE' });
      expect((await stack.graphql(CONTRACT, { id: contractId }, { token: client.token })).data?.contract).toEqual({ id: contractId, status: 'ACTIVE' });
      expect((await stack.graphql(CONTRACT, { id: contractId }, { token: stranger.token })).data).toEqual({ contract: null });
      expect((await stack.graphql(CONTRACT, { id: contractId })).data).toEqual({ contract: null });

      expect(errorCode(await stack.graphql(COMPLETE, { id: contractId }, { token: fred.token }))).toBe('FORBIDDEN');
      expect(errorCode(await stack.graphql(COMPLETE, { id: contractId }, { token: stranger.token }))).toBe('NOT_FOUND');
      expect(errorCode(await stack.graphql(COMPLETE, { id: contractId }))).toBe('UNAUTHENTICATED');

      const completed = await stack.graphql(COMPLETE, { id: contractId }, { token: client.token });
      expect(completed.errors).toBeUndefined();
      expect(completed.data?.completeContract).toMatchObject({ id: contractId, status: 'COMPLETED', job: { status: 'CLOSED' }, proposal: { status: 'ACCEPTED' } });
      expect(Date.parse(completed.data!.completeContract.completedAt)).not.toBeNaN();
      expect(errorCode(await stack.graphql(COMPLETE, { id: contractId }, { token: client.token }))).toBe('CONFLICT');

      await expect.poll(() => events.about(contractId).filter((event) => event.type === 'contract.completed').length, { timeout: 5000 }).toBe(1);
      expect(events.about(contractId).find((event) => event.type === 'contract.completed')?.data).toEqual({
        jobId,
        title: 'Complete me',
        clientId: client.id,
        freelancerId: fred.id,
        proposalId,
        contractId,
        totalCents: 400_000,
      });
    });

    it('lets the client close an OPEN job, rejecting its submitted proposals', async () => {
      const jobId = await postJob(stack, client.token, { title: 'Close me' });
      const id = await submitProposal(stack, fred.token, jobId);
      expect(errorCode(await stack.graphql(CLOSE, { id: jobId }, { token: fred.token }))).toBe('FORBIDDEN');
      expect(errorCode(await stack.graphql(CLOSE, { id: jobId }, { token: stranger.token }))).toBe('FORBIDDEN');
      expect(errorCode(await stack.graphql(CLOSE, { id: UNKNOWN_ID }, { token: client.token }))).toBe('NOT_FOUND');
      expect(errorCode(await stack.graphql(CLOSE, { id: jobId }))).toBe('UNAUTHENTICATED');

      expect((await stack.graphql(CLOSE, { id: jobId }, { token: client.token })).data?.closeJob).toEqual({ id: jobId, status: 'CLOSED' });
      expect((await stack.graphql(PROPOSAL, { id }, { token: fred.token })).data?.proposal.status).toBe('REJECTED');
      expect(errorCode(await stack.graphql(CLOSE, { id: jobId }, { token: client.token }))).toBe('CONFLICT');
      await expect.poll(() => events.about(id).filter((event) => event.type === 'proposal.rejected').length, { timeout: 5000 }).toBe(1);
      expect(events.about(id).find((event) => event.type === 'proposal.rejected')?.data).toMatchObject({ jobId, freelancerId: fred.id, reason: 'JOB_CLOSED' });
    });
  });
});
