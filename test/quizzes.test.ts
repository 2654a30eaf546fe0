import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { durableQueueNames } from '../lib/bus/rabbitmq.ts';
import { inbox, outbox } from '../lib/db/messaging.ts';
import type { EventEnvelope } from '../lib/events.ts';
import type { LeaderboardUpdated, QuizCompleted, QuizScored } from '../lib/event-types.ts';
import { EVALUATION_QUEUE } from '../subgraphs/quizzes/evaluation.ts';
import { createLeaderboards, GLOBAL_LEADERBOARD_KEY, quizLeaderboardKey } from '../subgraphs/quizzes/leaderboards.ts';
import { createQuizzesService } from '../subgraphs/quizzes/service.ts';
import { ATTEMPT, SUBMIT, START_QUIZ, answersFor, catalogByTopic, manualClock, takeQuiz, waitUntilScored } from './helpers/quizzes.ts';
import { realServicesEnv, removeRedisKeys } from './helpers/real-services.ts';
import { realServices } from './helpers/services.ts';
import { errorCode, postGraphQL, startStack, type GraphQLResponse, type Stack } from './helpers/stack.ts';
import { registerUser } from './helpers/users.ts';

const catalog = catalogByTopic();
const quiz = (topic: string) => catalog.get(topic)!;
const TEST_EVENTS_QUEUE = 'test.quizzes-events';

const LEADERBOARD = /* GraphQL */ `
  query Leaderboard($quizId: ID, $first: Int) { leaderboard(quizId: $quizId, first: $first) { rank score user { id name } } }
`;

interface Harness {
  stack: Stack;
  /** Sends an operation through the gateway and keeps the response for the leak check. */
  graphql: (...args: Parameters<Stack['graphql']>) => Promise<GraphQLResponse>;
  /** Every response `graphql` received, in order. */
  responses: GraphQLResponse[];
  /** Every event quizzes published since the stack started. */
  events: EventEnvelope[];
}

/**
 * Starts the stack for a describe block, with a consumer that records what quizzes publishes. Every
 * response is kept, so that a last test can look through all of them for a correct choice.
 */
function useStack(env: () => Record<string, string> | undefined): Harness {
  const harness = { events: [], responses: [] } as unknown as Harness;
  beforeAll(async () => {
    harness.stack = await startStack({ services: ['gateway', 'users', 'quizzes'], env: env() });
    harness.graphql = async (query, variables, options) => {
      const response = await harness.stack.graphql(query, variables, options);
      harness.responses.push(response);
      return response;
    };
    await harness.stack.runtime.bus.consume({
      queue: TEST_EVENTS_QUEUE,
      bindings: ['quiz.*', 'leaderboard.updated'],
      handler: async (event) => void harness.events.push(event),
    });
  });
  return harness;
}

function eventsOf<TData>(harness: Harness, type: string, attemptId?: string): Array<EventEnvelope<TData>> {
  return harness.events.filter(
    (event) => event.type === type && (attemptId === undefined || (event.data as { attemptId?: string }).attemptId === attemptId),
  ) as Array<EventEnvelope<TData>>;
}

const waitFor = <T>(check: () => Promise<T> | T) => vi.waitFor(check, { timeout: 10_000, interval: 50 });

/** The asynchronous path, the same on the in-process bus and on RabbitMQ. */
function asynchronousScoring(harness: Harness, rebuildLeaderboards: () => Promise<void>) {
  const deps = () => harness.stack.app.subgraphs.quizzes!.deps;

  it('answers SUBMITTED at once, then scores and publishes quiz.scored and leaderboard.updated', async () => {
    const user = await registerUser(harness.stack, 'Async');
    const rabbitmq = quiz('rabbitmq');
    const submitted = await takeQuiz(harness.stack, user.token, rabbitmq, 5);
    expect(submitted).toMatchObject({ status: 'SUBMITTED' });

    const scored = await waitUntilScored(harness.stack, user.token, submitted.id);
    expect(scored).toMatchObject({ status: 'SCORED', score: 5, maxScore: 6, percent: 83.33, passed: true, user: { id: user.id } });

    const leaderboardUpdate = () => eventsOf<LeaderboardUpdated>(harness, 'leaderboard.updated').find((event) => event.data.userId === user.id);
    await waitFor(() => expect(leaderboardUpdate()).toBeDefined());
    const [completed] = eventsOf<QuizCompleted>(harness, 'quiz.completed', submitted.id);
    expect(completed).toMatchObject({
      version: 1,
      producer: 'quizzes',
      data: { attemptId: submitted.id, userId: user.id, quizId: rabbitmq.id, quizTitle: rabbitmq.title, topic: 'rabbitmq' },
    });
    expect(eventsOf<QuizScored>(harness, 'quiz.scored', submitted.id)).toEqual([
      expect.objectContaining({
        producer: 'quizzes',
        correlationId: completed!.correlationId,
        data: {
          attemptId: submitted.id,
          userId: user.id,
          quizId: rabbitmq.id,
          quizTitle: rabbitmq.title,
          topic: 'rabbitmq',
          score: 5,
          maxScore: 6,
          percent: 83.33,
          passed: true,
          scoredAt: scored.scoredAt,
        },
      }),
    ]);
    expect(leaderboardUpdate()?.data).toEqual({
      userId: user.id,
      quizId: rabbitmq.id,
      topic: 'rabbitmq',
      bestScore: 5,
      bestPercent: 83.33,
      globalScore: 83.33,
      reachedAt: scored.submittedAt,
    });

    const board = await harness.graphql(LEADERBOARD, { quizId: rabbitmq.id, first: 100 });
    expect(board.data?.leaderboard).toContainEqual({ rank: expect.any(Number), score: 5, user: { id: user.id, name: 'Async' } });
  });

  it('scores a redelivered quiz.completed once', async () => {
    const user = await registerUser(harness.stack, 'Twice');
    const terraform = quiz('terraform');
    const submitted = await takeQuiz(harness.stack, user.token, terraform, 3);
    const before = await waitUntilScored(harness.stack, user.token, submitted.id);
    await waitFor(() => expect(eventsOf(harness, 'quiz.completed', submitted.id)).toHaveLength(1));
    const [completed] = eventsOf<QuizCompleted>(harness, 'quiz.completed', submitted.id);

    const handled = async () =>
      (await deps().metrics.eventsConsumed.get()).values.find((value) => value.labels.queue === EVALUATION_QUEUE && value.labels.outcome === 'ok')?.value ?? 0;
    const handledBefore = await handled();
    await Promise.all([harness.stack.runtime.bus.publish(completed!), harness.stack.runtime.bus.publish(completed!)]);
    await waitFor(async () => expect(await handled()).toBe(handledBefore + 2));
    await harness.stack.app.subgraphs.quizzes!.drainOutbox();

    const published = (type: string) =>
      deps()
        .db.select({ n: count() })
        .from(outbox)
        .where(and(eq(outbox.type, type), sql`${outbox.envelope}->'data'->>'userId' = ${user.id}`));
    expect(await published('quiz.scored')).toEqual([{ n: 1 }]);
    expect(await published('leaderboard.updated')).toEqual([{ n: 1 }]);
    expect(await deps().db.select({ n: count() }).from(inbox).where(and(eq(inbox.consumer, EVALUATION_QUEUE), eq(inbox.messageId, completed!.id)))).toEqual([{ n: 1 }]);
    expect((await harness.graphql(ATTEMPT, { id: submitted.id }, { token: user.token })).data?.attempt).toEqual(before);
    const global = await harness.graphql(LEADERBOARD, { first: 100 });
    expect(global.data?.leaderboard.filter((entry: { user: { id: string } }) => entry.user.id === user.id)).toEqual([
      { rank: expect.any(Number), score: 50, user: { id: user.id, name: 'Twice' } },
    ]);
  });

  it('rebuilds the leaderboards from the database after their keys were emptied', async () => {
    const user = await registerUser(harness.stack, 'Rebuilt');
    await waitUntilScored(harness.stack, user.token, (await takeQuiz(harness.stack, user.token, quiz('postgresql'), 6)).id);
    const boards = async () =>
      Promise.all([
        harness.graphql(LEADERBOARD, { first: 100 }).then((response) => response.data?.leaderboard),
        ...[...catalog.values()].map((each) => harness.graphql(LEADERBOARD, { quizId: each.id, first: 100 }).then((response) => response.data?.leaderboard)),
      ]);
    const before = await boards();
    expect(before[0]).toContainEqual({ rank: expect.any(Number), score: 100, user: { id: user.id, name: 'Rebuilt' } });

    await harness.stack.runtime.cache.del(GLOBAL_LEADERBOARD_KEY, ...[...catalog.values()].map((each) => quizLeaderboardKey(each.id)));
    expect((await boards()).every((board) => board?.length === 0)).toBe(true);
    await rebuildLeaderboards();
    expect(await boards()).toEqual(before);
  });
}

describe('quizzes through the gateway, on the embedded default', () => {
  const harness = useStack(() => undefined);
  afterAll(() => harness.stack?.destroy());
  const deps = () => harness.stack.app.subgraphs.quizzes!.deps;

  it('lists the catalog, by topic, and finds a quiz by id or by slug', async () => {
    const all = await harness.graphql(`{ quizzes { id slug topic title questionCount passPercent timeLimitSeconds questions { id prompt choices { id text } } } }`);
    expect(all.errors).toBeUndefined();
    expect(new Set(all.data?.quizzes.map((each: { topic: string }) => each.topic))).toEqual(new Set(catalog.keys()));
    const redis = all.data?.quizzes.find((each: { topic: string }) => each.topic === 'redis');
    expect(redis).toMatchObject({ id: quiz('redis').id, slug: 'redis-essentials', questionCount: 6, passPercent: 60, timeLimitSeconds: 450 });

    const byTopic = await harness.graphql(`{ quizzes(topic: " Redis ") { id } }`);
    expect(byTopic.data?.quizzes).toEqual([{ id: redis.id }]);
    const found = await harness.graphql(`query($id: ID, $slug: String) { byId: quiz(id: $id) { slug } bySlug: quiz(slug: $slug) { id } }`, { id: redis.id, slug: redis.slug });
    expect(found.data).toEqual({ byId: { slug: redis.slug }, bySlug: { id: redis.id } });
    const missing = await harness.graphql(`{ a: quiz(id: "00000000-0000-4000-8000-000000000000") { id } b: quiz(id: "nope") { id } c: quiz(slug: "nope") { id } }`);
    expect(missing.data).toEqual({ a: null, b: null, c: null });
    expect(errorCode(await harness.graphql(`{ quiz { id } }`))).toBe('BAD_USER_INPUT');
    expect(errorCode(await harness.graphql(`query($id: ID) { quiz(id: $id, slug: "redis-essentials") { id } }`, { id: redis.id }))).toBe('BAD_USER_INPUT');
  });

  it('scores all right, all wrong and partial answers, and counts them in quizStats and verifiedSkills', async () => {
    const user = await registerUser(harness.stack, 'Sam');
    const results = [];
    for (const [topic, correct] of [['redis', 6], ['docker', 0], ['kubernetes', 4], ['kubernetes', 3]] as const) {
      const submitted = await takeQuiz(harness.stack, user.token, quiz(topic), correct);
      expect(submitted).toMatchObject({ status: 'SUBMITTED', score: null, percent: null, passed: null, scoredAt: null });
      results.push(await waitUntilScored(harness.stack, user.token, submitted.id));
    }
    expect(results.map(({ score, percent, passed }) => ({ score, percent, passed }))).toEqual([
      { score: 6, percent: 100, passed: true },
      { score: 0, percent: 0, passed: false },
      { score: 4, percent: 66.67, passed: true },
      { score: 3, percent: 50, passed: false },
    ]);

    const stats = await harness.graphql(`{ me { verifiedSkills quizStats { attempts passed averagePercent bestByTopic { topic percent } } } }`, {}, { token: user.token });
    expect(stats.data?.me).toEqual({
      verifiedSkills: ['kubernetes', 'redis'],
      quizStats: {
        attempts: 4,
        passed: 2,
        averagePercent: 54.17,
        bestByTopic: [
          { topic: 'docker', percent: 0 },
          { topic: 'kubernetes', percent: 66.67 },
          { topic: 'redis', percent: 100 },
        ],
      },
    });
    const seenByOthers = await harness.graphql(`query($id: ID!) { user(id: $id) { name verifiedSkills } }`, { id: user.id });
    expect(seenByOthers.data?.user).toEqual({ name: 'Sam', verifiedSkills: ['kubernetes', 'redis'] });
  });

  asynchronousScoring(harness, async () => {
    expect(await createLeaderboards(deps().db, harness.stack.runtime.cache).restoreIfIncomplete()).toBe(true);
  });

  it('validates answers, with the field at fault and nothing about which choice is correct', async () => {
    const user = await registerUser(harness.stack, 'Careful');
    const graphql = quiz('graphql');
    const attemptId = (await harness.graphql(START_QUIZ, { quizId: graphql.id }, { token: user.token })).data?.startQuiz.id;
    const submit = (answers: unknown) => harness.graphql(SUBMIT, { attemptId, answers }, { token: user.token });
    const [first, second] = graphql.questions;
    const right = (question: typeof first) => graphql.answerKey[question!.id]!;
    const wrong = (question: typeof first) => question!.choices.find((choice) => choice.id !== right(question))!.id;

    const otherQuiz = await submit([{ questionId: quiz('redis').questions[0]!.id, choiceId: quiz('redis').questions[0]!.choices[0]!.id }]);
    expect(otherQuiz.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'answers.0.questionId' });
    const twice = await submit([{ questionId: first!.id, choiceId: right(first) }, { questionId: first!.id, choiceId: wrong(first) }]);
    expect(twice.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'answers.1.questionId' });
    // A choice of another question is refused the same way whether or not it is that question's correct one.
    const foreignRight = await submit([{ questionId: first!.id, choiceId: right(second) }]);
    const foreignWrong = await submit([{ questionId: first!.id, choiceId: wrong(second) }]);
    expect(foreignRight.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'answers.0.choiceId' });
    expect(foreignRight.errors).toEqual(foreignWrong.errors);

    const other = await registerUser(harness.stack, 'Intruder');
    expect(errorCode(await harness.graphql(SUBMIT, { attemptId, answers: [] }, { token: other.token }))).toBe('FORBIDDEN');
    expect(errorCode(await harness.graphql(SUBMIT, { attemptId, answers: [] }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await harness.graphql(START_QUIZ, { quizId: graphql.id }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await harness.graphql(START_QUIZ, { quizId: randomUUID() }, { token: user.token }))).toBe('NOT_FOUND');
    expect(errorCode(await harness.graphql(SUBMIT, { attemptId: randomUUID(), answers: [] }, { token: user.token }))).toBe('NOT_FOUND');
    expect(errorCode(await harness.graphql(SUBMIT, { attemptId: 'not-an-id', answers: [] }, { token: user.token }))).toBe('NOT_FOUND');

    expect((await submit(answersFor(graphql, 2))).data?.submitQuizAttempt.status).toBe('SUBMITTED');
    expect(errorCode(await submit(answersFor(graphql, 6)))).toBe('CONFLICT');
  });

  it('shows an attempt to its user only', async () => {
    const owner = await registerUser(harness.stack, 'Owner');
    const attempt = (await harness.graphql(START_QUIZ, { quizId: quiz('django').id }, { token: owner.token })).data?.startQuiz;
    expect(attempt).toMatchObject({ status: 'IN_PROGRESS', maxScore: 6, submittedAt: null });

    const own = await harness.graphql(ATTEMPT, { id: attempt.id }, { token: owner.token });
    expect(own.data?.attempt).toMatchObject({ id: attempt.id, status: 'IN_PROGRESS', quiz: { slug: 'django-essentials' }, user: { id: owner.id } });
    const other = await registerUser(harness.stack, 'Curious');
    expect((await harness.graphql(ATTEMPT, { id: attempt.id }, { token: other.token })).data).toEqual({ attempt: null });
    expect((await harness.graphql(ATTEMPT, { id: attempt.id })).data).toEqual({ attempt: null });
    expect((await harness.graphql(ATTEMPT, { id: 'not-an-id' }, { token: owner.token })).data).toEqual({ attempt: null });
  });

  it('shows an attempt left open past its time limit as EXPIRED', async () => {
    const user = await registerUser(harness.stack, 'Slow');
    const clock = manualClock('2026-01-01T10:00:00.000Z');
    const attempt = await createQuizzesService(deps(), { clock: clock.clock }).startQuiz(user.id, quiz('django').id);
    const seen = await harness.graphql(ATTEMPT, { id: attempt.id }, { token: user.token });
    expect(seen.data?.attempt).toMatchObject({ status: 'EXPIRED', score: null });
    const submitted = await harness.graphql(SUBMIT, { attemptId: attempt.id, answers: answersFor(quiz('django'), 6) }, { token: user.token });
    expect(submitted.data?.submitQuizAttempt).toMatchObject({ status: 'EXPIRED', score: null, scoredAt: null });
  });

  it('orders leaderboards by score, then by who got there first, whatever order they were scored in', async () => {
    const microservices = quiz('microservices');
    const users = await Promise.all(['Ana', 'Ben', 'Cy', 'Dee'].map((name) => registerUser(harness.stack, name)));
    const [ana, ben, cy, dee] = users;
    const clock = manualClock('2026-05-01T09:00:00.000Z');
    const service = createQuizzesService(deps(), { clock: clock.clock });
    /** Submits at the given time and waits for the score, so attempts are scored in the order listed. */
    const scoreAt = async (user: typeof ana, correct: number, submittedAt: string) => {
      clock.set('2026-05-01T09:00:00.000Z');
      const attempt = await service.startQuiz(user!.id, microservices.id);
      clock.set(submittedAt);
      await service.submitAttempt(user!.id, attempt.id, answersFor(microservices, correct), randomUUID());
      await waitUntilScored(harness.stack, user!.token, attempt.id);
    };
    // Ana's 4 of 09:03 is scored before her 4 of 09:02 (a slow worker): she still got there at 09:02,
    // before Dee, after Cy. Her later 2 changes nothing.
    await scoreAt(cy, 4, '2026-05-01T09:01:00.000Z');
    await scoreAt(ana, 4, '2026-05-01T09:03:00.000Z');
    await scoreAt(dee, 4, '2026-05-01T09:02:30.000Z');
    await scoreAt(ana, 4, '2026-05-01T09:02:00.000Z');
    await scoreAt(ana, 2, '2026-05-01T09:04:00.000Z');
    await scoreAt(ben, 6, '2026-05-01T09:05:00.000Z');

    const ours = (entries: Array<{ rank: number; score: number; user: { id: string; name: string } }>) =>
      entries.filter((entry) => users.some((user) => user.id === entry.user.id)).map(({ score, user }) => [user.name, score]);
    const onQuiz = await harness.graphql(LEADERBOARD, { quizId: microservices.id, first: 100 });
    expect(ours(onQuiz.data?.leaderboard)).toEqual([['Ben', 6], ['Cy', 4], ['Ana', 4], ['Dee', 4]]);
    expect(onQuiz.data?.leaderboard.map((entry: { rank: number }) => entry.rank)).toEqual(onQuiz.data?.leaderboard.map((_: unknown, i: number) => i + 1));
    const throughQuiz = await harness.graphql(`query($id: ID!) { quiz(id: $id) { leaderboard(first: 100) { rank score user { id name } } } }`, { id: microservices.id });
    expect(throughQuiz.data?.quiz.leaderboard).toEqual(onQuiz.data?.leaderboard);

    const global = await harness.graphql(LEADERBOARD, { first: 100 });
    expect(ours(global.data?.leaderboard)).toEqual([['Ben', 100], ['Cy', 66.67], ['Ana', 66.67], ['Dee', 66.67]]);
    const top = await harness.graphql(LEADERBOARD, { first: 1 });
    expect(top.data?.leaderboard).toEqual([global.data?.leaderboard[0]]);
    expect(top.data?.leaderboard[0].rank).toBe(1);
  });

  it('refuses a leaderboard size outside 1..100 and an unknown quiz', async () => {
    for (const first of [0, 101]) {
      const response = await harness.graphql(LEADERBOARD, { first });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    }
    expect(errorCode(await harness.graphql(`{ quiz(slug: "redis-essentials") { leaderboard(first: 500) { rank } } }`))).toBe('BAD_USER_INPUT');
    expect(errorCode(await harness.graphql(LEADERBOARD, { quizId: randomUUID() }))).toBe('NOT_FOUND');
    expect(errorCode(await harness.graphql(LEADERBOARD, { quizId: 'nope' }))).toBe('NOT_FOUND');
  });

  // Last: it looks through every response the tests above received.
  it('never reveals a correct choice, in the schema or in any response', async () => {
    const introspection = await harness.graphql(`{ __schema { types { name fields { name args { name } } inputFields { name } enumValues { name } } } }`);
    const names = JSON.stringify(introspection.data).match(/"name":"[^"]*"/g)!;
    expect(names.length).toBeGreaterThan(100);
    expect(names.filter((name) => /correct|answerkey|solution|isright/i.test(name))).toEqual([]);
    const sdl = await postGraphQL(harness.stack.app.subgraphs.quizzes!.url, `{ _service { sdl } }`);
    expect(sdl.data?._service.sdl).not.toMatch(/answerKey|isCorrect|correctChoice/);

    const { responses } = harness;
    const correctChoices = new Set([...catalog.values()].flatMap((each) => Object.values(each.answerKey)));
    const leaks: string[] = [];
    const walk = (value: unknown, path: string) => {
      if (typeof value === 'string' && correctChoices.has(value) && !/\.questions\.\d+\.choices\.\d+\.id$/.test(path)) leaks.push(path);
      if (typeof value !== 'object' || value === null) return;
      for (const [key, child] of Object.entries(value)) {
        if (/correct|answerkey|solution|isright/i.test(key)) leaks.push(`${path}.${key}`);
        walk(child, `${path}.${key}`);
      }
    };
    responses.forEach((response, index) => walk(response, `response${index}`));
    expect(responses.length).toBeGreaterThan(50);
    // The walk does find a correct choice where it is listed among its question's choices.
    expect(JSON.stringify(responses)).toContain([...correctChoices][0]);
    expect(leaks).toEqual([]);
  });
});

describe.skipIf(!realServices.databaseUrl || !realServices.amqpUrl || !realServices.redisUrl)('quizzes on PostgreSQL, RabbitMQ and Redis', () => {
  const real = realServicesEnv();
  const harness = useStack(() => real.env);
  afterAll(async () => {
    await harness.stack?.destroy();
    await removeBrokerObjects(real.env);
    await removeRedisKeys(real.env.REDIS_KEY_PREFIX!);
    await real.cleanup();
  });

  asynchronousScoring(harness, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'subgraphs/quizzes/rebuild-leaderboards.ts'], {
      env: { ...process.env, ...real.env, LOG_LEVEL: 'silent' },
    });
    expect(stdout).toMatch(/Leaderboards rebuilt: \d+ quiz entries, \d+ global entries/);
  });
});

async function removeBrokerObjects(env: Record<string, string>): Promise<void> {
  const connection = await connect(realServices.amqpUrl!);
  try {
    const channel = await connection.createChannel();
    for (const queue of [EVALUATION_QUEUE, TEST_EVENTS_QUEUE]) {
      for (const name of Object.values(durableQueueNames(env.AMQP_QUEUE_PREFIX!, queue))) await channel.deleteQueue(name);
    }
    await channel.deleteExchange(env.EVENTS_EXCHANGE!);
  } finally {
    await connection.close();
  }
}

