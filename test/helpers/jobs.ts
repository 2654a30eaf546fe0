import { afterAll, beforeAll, describe } from 'vitest';
import type { EventEnvelope } from '../../lib/events.ts';
import { realServicesEnv } from './real-services.ts';
import { realServices } from './services.ts';
import { startStack, type Stack } from './stack.ts';

/**
 * Declares `body` twice, each with its own gateway + users + jobs stack: on the embedded default, and on
 * PostgreSQL, RabbitMQ and Redis when their URLs are set (skipped otherwise, and said so). `body` reaches
 * the running stack through `stack()` from its own hooks and tests.
 */
export function describeOnEachRuntime(title: string, env: Record<string, string>, body: (stack: () => Stack) => void): void {
  const runtimes = [
    { name: 'on the embedded default', skip: false, real: undefined },
    { name: 'on PostgreSQL, RabbitMQ and Redis', skip: !realServices.databaseUrl, real: realServicesEnv() },
  ];
  for (const { name, skip, real } of runtimes) {
    describe.skipIf(skip)(`${title}, ${name}`, () => {
      let stack: Stack | undefined;
      beforeAll(async () => {
        stack = await startStack({ services: ['gateway', 'users', 'jobs'], env: { ...env, ...real?.env } });
      });
      afterAll(async () => {
        await stack?.destroy();
        await real?.cleanup();
      });
      body(() => stack!);
    });
  }
}

/** `YYYY-MM-DD`, `days` from today in UTC (negative: in the past). */
export function utcDate(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export const JOB_FIELDS = 'id title description skills budgetCents status proposalCount createdAt client { id }';
export const PROPOSAL_FIELDS =
  'id status coverLetter jobDuration totalCents milestones { description amountCents dueDate } job { id } freelancer { id } createdAt updatedAt';
export const CONTRACT_FIELDS = 'id status totalCents client { id } freelancer { id } job { id status } proposal { id status } createdAt completedAt';

export function jobInput(overrides: Record<string, unknown> = {}) {
  return { title: 'Build a GraphQL gateway', description: 'Federation 2, TypeScript, PostgreSQL.', skills: ['GraphQL', 'TypeScript'], budgetCents: 500_000, ...overrides };
}

export function proposalInput(overrides: Record<string, unknown> = {}) {
  return {
    coverLetter: 'I have built three federated supergraphs in production.',
    jobDuration: 'ONE_TO_THREE_MONTHS',
    milestones: [
      { description: 'Schema and gateway', amountCents: 150_000, dueDate: utcDate(14) },
      { description: 'Subgraphs and tests', amountCents: 250_000, dueDate: utcDate(45) },
    ],
    ...overrides,
  };
}

/** Posts a job through the gateway and returns its id. */
export async function postJob(stack: Stack, token: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await stack.graphql<{ postJob: { id: string } }>(
    `mutation($input: PostJobInput!) { postJob(input: $input) { id } }`,
    { input: jobInput(overrides) },
    { token },
  );
  if (!response.data?.postJob) throw new Error(`postJob failed: ${JSON.stringify(response.errors)}`);
  return response.data.postJob.id;
}

/** Submits a proposal through the gateway and returns its id. */
export async function submitProposal(stack: Stack, token: string, jobId: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await stack.graphql<{ submitProposal: { id: string } }>(
    `mutation($jobId: ID!, $input: ProposalInput!) { submitProposal(jobId: $jobId, input: $input) { id } }`,
    { jobId, input: proposalInput(overrides) },
    { token },
  );
  if (!response.data?.submitProposal) throw new Error(`submitProposal failed: ${JSON.stringify(response.errors)}`);
  return response.data.submitProposal.id;
}

export const ACCEPT = `mutation($id: ID!) { acceptProposal(id: $id) { ${CONTRACT_FIELDS} } }`;

/**
 * Records every jobs event the stack publishes from now on, for assertions on what was emitted. On a
 * private queue, which goes away with the consumer (nothing left behind on a shared broker).
 */
export async function recordJobEvents(stack: Stack) {
  const events: EventEnvelope<Record<string, unknown>>[] = [];
  const consumer = await stack.runtime.bus.consume({
    queue: 'test.jobs-events',
    exclusive: true,
    bindings: ['job.*', 'proposal.*', 'contract.*'],
    handler: async (event) => void events.push(event as EventEnvelope<Record<string, unknown>>),
  });
  return {
    events,
    /** The events about one entity (any `data` field equal to `id`), in publication order. */
    about: (id: string) => events.filter((event) => Object.values(event.data).includes(id)),
    stop: () => consumer.stop(),
  };
}

/**
 * SQL statements each subgraph runs during `work`. Outboxes are drained first, so that with a long
 * `OUTBOX_POLL_MS` no relay pass runs meanwhile: what is counted is the work's own.
 */
export async function countQueries(stack: Stack, work: () => Promise<unknown>): Promise<Record<string, number>> {
  const subgraphs = Object.values(stack.app.subgraphs);
  await Promise.all(subgraphs.map((subgraph) => subgraph.drainOutbox()));
  const read = async () =>
    Object.fromEntries(await Promise.all(subgraphs.map(async (subgraph) => [subgraph.name, (await subgraph.deps.metrics.sqlQueries.get()).values[0]?.value ?? 0] as const)));
  const before = await read();
  await work();
  const after = await read();
  return Object.fromEntries(subgraphs.map(({ name }) => [name, after[name]! - before[name]!]));
}
