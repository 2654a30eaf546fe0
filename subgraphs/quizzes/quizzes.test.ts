import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTokenSigner } from '../../lib/auth.ts';
import { outbox } from '../../lib/db/messaging.ts';
import { catalogByTopic, answersFor, manualClock, type CatalogRecord } from '../../test/helpers/quizzes.ts';
import { postGraphQL, startStack, type Stack } from '../../test/helpers/stack.ts';
import { loadCatalog, readCatalog, toQuizRecord } from './catalog.ts';
import { attempts, quizzes } from './db/schema.ts';
import { createLeaderboards, decodeUnits, encodeScore, GLOBAL_LEADERBOARD_KEY, quizLeaderboardKey } from './leaderboards.ts';
import { scoreAnswers } from './scoring.ts';
import { createQuizzesService } from './service.ts';

const TOPICS = ['django', 'microservices', 'redis', 'rabbitmq', 'docker', 'kubernetes', 'terraform', 'graphql', 'typescript', 'postgresql'];

describe('the catalog', () => {
  const records = readCatalog().map(toQuizRecord);

  it('has at least one quiz per topic, each with at least 5 questions and one correct choice per question', () => {
    for (const topic of TOPICS) expect(records.some((quiz) => quiz.topic === topic), topic).toBe(true);
    for (const quiz of records) {
      expect(quiz.questions.length, quiz.slug).toBeGreaterThanOrEqual(5);
      expect(Object.keys(quiz.answerKey).sort()).toEqual(quiz.questions.map((question) => question.id).sort());
      for (const question of quiz.questions) {
        const correct = question.choices.filter((choice) => quiz.answerKey[question.id] === choice.id);
        expect(correct, question.prompt).toHaveLength(1);
      }
    }
  });

  it('gives every quiz, question and choice a unique id that is the same on every load', () => {
    const ids = records.flatMap((quiz) => [quiz.id, ...quiz.questions.flatMap((question) => [question.id, ...question.choices.map((choice) => choice.id)])]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(readCatalog().map(toQuizRecord)).toEqual(records);
  });

  it('shows choices in an order that says nothing about which one is correct', () => {
    const positions = records.flatMap((quiz) =>
      quiz.questions.map((question) => question.choices.findIndex((choice) => choice.id === quiz.answerKey[question.id])),
    );
    const counts = [0, 1, 2, 3].map((position) => positions.filter((p) => p === position).length);
    // 60 questions of 4 choices: every position holds the correct choice somewhere, none most of the time.
    for (const count of counts) expect(count).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan(positions.length / 2);
  });
});

describe('scoreAnswers', () => {
  const key = { q1: 'a', q2: 'b', q3: 'c', q4: 'd', q5: 'e' };
  const all = Object.entries(key).map(([questionId, choiceId]) => ({ questionId, choiceId }));

  it('scores all right, all wrong and partial answers', () => {
    expect(scoreAnswers(all, key, 5, 60)).toEqual({ score: 5, percent: 100, passed: true });
    expect(scoreAnswers(all.map((answer) => ({ ...answer, choiceId: 'x' })), key, 5, 60)).toEqual({ score: 0, percent: 0, passed: false });
    expect(scoreAnswers(all.slice(0, 3), key, 5, 60)).toEqual({ score: 3, percent: 60, passed: true });
    expect(scoreAnswers(all.slice(0, 2), key, 5, 60)).toEqual({ score: 2, percent: 40, passed: false });
  });

  it('rounds the percentage to two decimals but passes on the exact fraction', () => {
    expect(scoreAnswers(all.slice(0, 2), { q1: 'a', q2: 'b', q3: 'c' }, 3, 67)).toEqual({ score: 2, percent: 66.67, passed: false });
    expect(scoreAnswers(all.slice(0, 2), { q1: 'a', q2: 'b', q3: 'c' }, 3, 66)).toEqual({ score: 2, percent: 66.67, passed: true });
  });

  it('counts a question once and nothing for questions the quiz does not have', () => {
    expect(scoreAnswers([...all.slice(0, 1), ...all.slice(0, 1), { questionId: 'gone', choiceId: 'a' }], key, 5, 60).score).toBe(1);
  });
});

describe('leaderboard score encoding', () => {
  const early = new Date('2025-03-01T10:00:00.000Z');
  const late = new Date('2160-01-01T00:00:00.000Z');

  it('ranks a higher total first, whenever it was reached', () => {
    expect(encodeScore(5, late)).toBeGreaterThan(encodeScore(4, early));
  });

  it('ranks whoever reached an equal total first higher, to the second', () => {
    expect(encodeScore(4, early)).toBeGreaterThan(encodeScore(4, new Date(early.getTime() + 1000)));
    expect(encodeScore(4, early)).toBe(encodeScore(4, new Date(early.getTime() + 999)));
  });

  it('gives the total back exactly, up to the largest one it takes', () => {
    for (const units of [0, 1, 6, 123_456, 2 ** 21 - 1]) {
      expect(decodeUnits(encodeScore(units, early))).toBe(units);
      expect(decodeUnits(encodeScore(units, new Date('2024-01-01T00:00:00.000Z')))).toBe(units);
    }
    expect(() => encodeScore(2 ** 21, early)).toThrow(RangeError);
    expect(() => encodeScore(1.5, early)).toThrow(RangeError);
  });
});

describe('quizzes subgraph', () => {
  let stack: Stack;
  let url: string;
  const catalog = catalogByTopic();
  const tokenFor = async (userId: string) => {
    const signer = await createTokenSigner(stack.runtime.keys.privateKey!, stack.runtime.config.jwt);
    return signer.sign(userId);
  };
  const sqlQueries = async () => (await stack.app.subgraphs.quizzes!.deps.metrics.sqlQueries.get()).values[0]?.value ?? 0;
  const deps = () => stack.app.subgraphs.quizzes!.deps;

  /** Starts and submits an attempt at the times the clock says, through a service that reads it. */
  async function attemptAt(clock: ReturnType<typeof manualClock>, userId: string, quiz: CatalogRecord, correct: number, startedAt: string, submittedAt: string) {
    const service = createQuizzesService(deps(), { clock: clock.clock });
    clock.set(startedAt);
    const attempt = await service.startQuiz(userId, quiz.id);
    clock.set(submittedAt);
    return service.submitAttempt(userId, attempt.id, answersFor(quiz, correct), randomUUID());
  }

  async function waitForScores(ids: string[]) {
    await vi.waitFor(
      async () => {
        const statuses = await deps().db.select({ status: attempts.status }).from(attempts).where(inArray(attempts.id, ids));
        expect(statuses.map((attempt) => attempt.status)).toEqual(ids.map(() => 'SCORED'));
      },
      { timeout: 10_000, interval: 50 },
    );
  }

  // Commits wake the outbox relay; without its polling in between, the SQL counts below are the request's alone.
  const env = { OUTBOX_POLL_MS: '600000' };
  beforeAll(async () => {
    stack = await startStack({ services: ['quizzes'], env });
    url = stack.app.subgraphs.quizzes!.url;
  });
  afterAll(() => stack?.destroy());

  it('resolves 100 quiz references with one SQL query', async () => {
    const ids = [...catalog.values()].map((quiz) => quiz.id);
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'Quiz', id: ids[i % ids.length] }));
    const before = await sqlQueries();
    const response = await postGraphQL(url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Quiz { id title questionCount questions { id } } } }`, {
      r: representations,
    });
    expect(response.errors).toBeUndefined();
    expect(response.data?._entities).toHaveLength(100);
    expect(response.data?._entities[3]).toMatchObject({ id: ids[3], questionCount: 6 });
    expect((await sqlQueries()) - before).toBe(1);
  });

  it('resolves quizStats and verifiedSkills of 100 users with one SQL query', async () => {
    const userIds = Array.from({ length: 100 }, () => randomUUID());
    const redis = catalog.get('redis')!;
    const submitted = await attemptAt(manualClock('2026-01-01T00:00:00.000Z'), userIds[7]!, redis, 6, '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z');
    await waitForScores([submitted.id]);

    const before = await sqlQueries();
    const response = await postGraphQL(
      url,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id verifiedSkills quizStats { attempts passed averagePercent bestByTopic { topic percent } } } } }`,
      { r: userIds.map((id) => ({ __typename: 'User', id })) },
    );
    expect(response.errors).toBeUndefined();
    expect((await sqlQueries()) - before).toBe(1);
    expect(response.data?._entities[7]).toEqual({
      id: userIds[7],
      verifiedSkills: ['redis'],
      quizStats: { attempts: 1, passed: 1, averagePercent: 100, bestByTopic: [{ topic: 'redis', percent: 100 }] },
    });
    expect(response.data?._entities[8]).toEqual({ id: userIds[8], verifiedSkills: [], quizStats: { attempts: 0, passed: 0, averagePercent: null, bestByTopic: [] } });
  });

  it('resolves 100 attempt references with one SQL query, and only for their own user', async () => {
    const userId = randomUUID();
    const service = createQuizzesService(deps());
    const started = await Promise.all(Array.from({ length: 4 }, () => service.startQuiz(userId, catalog.get('graphql')!.id)));
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'QuizAttempt', id: started[i % 4]!.id }));
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on QuizAttempt { id status maxScore user { id } } } }`;

    const before = await sqlQueries();
    const own = await postGraphQL(url, query, { r: representations }, { token: await tokenFor(userId) });
    expect((await sqlQueries()) - before).toBe(1);
    expect(own.data?._entities[5]).toEqual({ id: started[1]!.id, status: 'IN_PROGRESS', maxScore: 6, user: { id: userId } });

    const someoneElse = await postGraphQL(url, query, { r: representations.slice(0, 2) }, { token: await tokenFor(randomUUID()) });
    expect(someoneElse.data?._entities).toEqual([null, null]);
    expect((await postGraphQL(url, query, { r: representations.slice(0, 1) })).data?._entities).toEqual([null]);
  });

  describe('time limits', () => {
    const kubernetes = catalog.get('kubernetes')!;
    const limit = kubernetes.timeLimitSeconds!;

    it('scores an attempt submitted at the limit, and expires one submitted after it, unscored', async () => {
      const userId = randomUUID();
      const clock = manualClock('2026-02-01T09:00:00.000Z');
      const inTime = await attemptAt(clock, userId, kubernetes, 6, '2026-02-01T09:00:00.000Z', new Date(Date.parse('2026-02-01T09:00:00.000Z') + limit * 1000).toISOString());
      expect(inTime.status).toBe('SUBMITTED');

      const late = await attemptAt(clock, userId, kubernetes, 6, '2026-02-01T10:00:00.000Z', new Date(Date.parse('2026-02-01T10:00:00.000Z') + (limit + 1) * 1000).toISOString());
      expect(late).toMatchObject({ status: 'EXPIRED', score: null, answers: null });
      expect(late.submittedAt?.toISOString()).toBe(new Date(Date.parse('2026-02-01T10:00:00.000Z') + (limit + 1) * 1000).toISOString());

      await waitForScores([inTime.id]);
      await stack.app.subgraphs.quizzes!.drainOutbox();
      const completions = await deps()
        .db.select({ attemptId: sql<string>`${outbox.envelope}->'data'->>'attemptId'` })
        .from(outbox)
        .where(eq(outbox.type, 'quiz.completed'));
      expect(completions.map((row) => row.attemptId)).toContain(inTime.id);
      expect(completions.map((row) => row.attemptId)).not.toContain(late.id);
      const [stored] = await deps().db.select().from(attempts).where(eq(attempts.id, late.id));
      expect(stored).toMatchObject({ status: 'EXPIRED', score: null, scoredAt: null });
    });

    it('shows an attempt left open past its limit as EXPIRED, and refuses to submit it again once closed', async () => {
      const userId = randomUUID();
      const clock = manualClock('2026-03-01T12:00:00.000Z');
      const service = createQuizzesService(deps(), { clock: clock.clock });
      const attempt = await service.startQuiz(userId, kubernetes.id);
      expect(service.statusOf(attempt)).toBe('IN_PROGRESS');
      clock.advanceSeconds(limit + 1);
      expect(service.statusOf(attempt)).toBe('EXPIRED');

      const expired = await service.submitAttempt(userId, attempt.id, [], randomUUID());
      expect(expired.status).toBe('EXPIRED');
      await expect(service.submitAttempt(userId, attempt.id, [], randomUUID())).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });
    });

    it('lets an attempt of a quiz without a limit run as long as it takes', async () => {
      const typescript = catalog.get('typescript')!;
      expect(typescript.timeLimitSeconds).toBeNull();
      const submitted = await attemptAt(manualClock('2026-01-01T00:00:00.000Z'), randomUUID(), typescript, 3, '2026-01-01T00:00:00.000Z', '2026-01-09T00:00:00.000Z');
      expect(submitted.status).toBe('SUBMITTED');
      await waitForScores([submitted.id]);
    });
  });

  describe('the catalog in the database', () => {
    it('is loaded at start and reloading it changes nothing', async () => {
      const before = await deps().db.select().from(quizzes);
      expect(before).toHaveLength(catalog.size);
      await loadCatalog(deps().db);
      expect(await deps().db.select().from(quizzes)).toEqual(before);
    });

    it('restores a quiz that went missing, under the same id', async () => {
      const terraform = catalog.get('terraform')!;
      await deps().db.delete(quizzes).where(eq(quizzes.id, terraform.id));
      await loadCatalog(deps().db);
      const [restored] = await deps().db.select().from(quizzes).where(and(eq(quizzes.id, terraform.id), eq(quizzes.slug, terraform.slug)));
      expect(restored?.answerKey).toEqual(terraform.answerKey);
    });
  });

  describe('leaderboards rebuilt from the database', () => {
    const docker = catalog.get('docker')!;
    const users = [randomUUID(), randomUUID(), randomUUID()];
    const keys = () => [GLOBAL_LEADERBOARD_KEY, ...[...catalog.values()].map((quiz) => quizLeaderboardKey(quiz.id))];
    const boards = () => {
      const leaderboards = createLeaderboards(deps().db, stack.runtime.cache);
      return Promise.all([leaderboards.top(docker.id, 100), leaderboards.top(null, 100)]);
    };

    beforeAll(async () => {
      const clock = manualClock('2026-04-01T08:00:00.000Z');
      const submitted = [];
      for (const [index, userId] of users.entries()) {
        submitted.push(await attemptAt(clock, userId, docker, 2 + index, '2026-04-01T08:00:00.000Z', `2026-04-01T08:0${index + 1}:00.000Z`));
      }
      await waitForScores(submitted.map((attempt) => attempt.id));
    });

    it('after the keys were emptied: the start-time check finds them incomplete and restores them', async () => {
      const [quizBoard, globalBoard] = await boards();
      expect(quizBoard.map((entry) => entry.user.id).slice(0, 3)).toEqual([...users].reverse());

      await stack.runtime.cache.del(...keys());
      expect(await boards()).toEqual([[], []]);
      const leaderboards = createLeaderboards(deps().db, stack.runtime.cache);
      expect(await leaderboards.restoreIfIncomplete()).toBe(true);
      expect(await boards()).toEqual([quizBoard, globalBoard]);
      expect(await leaderboards.restoreIfIncomplete()).toBe(false);
    });

    it('with a reset: keeps nothing but what the database says', async () => {
      const expected = await boards();
      await stack.runtime.cache.zadd(GLOBAL_LEADERBOARD_KEY, 1e6, randomUUID());
      await stack.runtime.cache.zadd(quizLeaderboardKey(docker.id), 99, users[0]!);
      expect(await createLeaderboards(deps().db, stack.runtime.cache).rebuild({ reset: true })).toMatchObject({ globalEntries: expect.any(Number) });
      expect(await boards()).toEqual(expected);
    });

    it('on a restart, when the in-process store starts empty', async () => {
      const expected = await boards();
      await stack.stop();
      stack = await startStack({ services: ['quizzes'], env, dataDir: stack.dataDir });
      url = stack.app.subgraphs.quizzes!.url;
      expect(await stack.runtime.cache.zcard(GLOBAL_LEADERBOARD_KEY)).toBe(expected[1].length);
      expect(await boards()).toEqual(expected);
    });
  });
});
