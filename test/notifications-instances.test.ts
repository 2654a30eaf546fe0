import { setTimeout as sleep } from 'node:timers/promises';
import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEnvelope } from '../lib/events.ts';
import { realServicesEnv } from './helpers/real-services.ts';
import { realServices } from './helpers/services.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { registerUser } from './helpers/users.ts';
import { cursorOnceThere, subscribe, wsUrl, type LiveSubscription } from './helpers/ws.ts';

const NOTIFICATION_ADDED = /* GraphQL */ `subscription($after: String) { notificationAdded(after: $after) { id title recipient { id name } } }`;
const quizScored = (userId: string, quizTitle: string) =>
  createEnvelope({ type: 'quiz.scored', data: { userId, attemptId: crypto.randomUUID(), quizTitle, topic: 'docker', percent: 100, passed: true } }, { producer: 'quizzes' });

describe('Apollo Client as the subscriber', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ services: ['gateway', 'users', 'notifications'] });
  });
  afterAll(() => stack?.destroy());

  it('receives notifications through GraphQLWsLink', async () => {
    const user = await registerUser(stack, 'Apollo Fan');
    const wsClient = createClient({ url: wsUrl(stack.gatewayUrl), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${user.token}` } });
    const client = new ApolloClient({ link: new GraphQLWsLink(wsClient), cache: new InMemoryCache() });
    const received: Array<{ title: string; recipient: { name: string } }> = [];
    const after = await cursorOnceThere((query) => stack.graphql(query, {}, { token: user.token }), 1);
    const subscription = client.subscribe<{ notificationAdded: { title: string; recipient: { name: string } } }>({ query: gql(NOTIFICATION_ADDED), variables: { after } }).subscribe({
      next: (result) => {
        if (result.data) received.push(result.data.notificationAdded);
      },
    });
    try {
      await stack.runtime.bus.publish(quizScored(user.id, 'Docker'));
      await expect.poll(() => received, { timeout: 5000 }).toHaveLength(1);
      expect(received[0]).toMatchObject({ title: 'Docker: 100%, passed', recipient: { name: 'Apollo Fan' } });
    } finally {
      subscription.unsubscribe();
      client.stop();
      await wsClient.dispose();
    }
  });
});

const allReal = Boolean(realServices.databaseUrl && realServices.amqpUrl && realServices.redisUrl);

/**
 * Two gateways, each pointed at its own notifications instance, on RabbitMQ and one PostgreSQL: every
 * notification reaches its recipient whichever gateway they use and whichever instance made it.
 */
describe.skipIf(!allReal)('2 gateways × 2 notifications instances on RabbitMQ', () => {
  const isolated = realServicesEnv();
  let first: Stack;
  let second: Stack;
  const open: LiveSubscription[] = [];

  beforeAll(async () => {
    first = await startStack({ services: ['gateway', 'users', 'notifications'], env: isolated.env });
    // The same data directory: both read the one JWT key pair, as replicas share JWT_PUBLIC_KEY.
    second = await startStack({
      services: ['gateway', 'notifications'],
      dataDir: first.dataDir,
      env: { ...isolated.env, USERS_URL: first.app.subgraphs.users!.url },
    });
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled(open.map((subscription) => subscription.close()));
    await second?.stop();
    await first?.destroy();
    await isolated.cleanup();
  });

  it('delivers each notification once, to its recipient only, on either gateway', async () => {
    const ada = await registerUser(first, 'Ada on one');
    const bob = await registerUser(first, 'Bob on two');
    // After their welcomes: only what follows counts, however long the subscriptions take to start.
    const afterWelcome = (token: string) => cursorOnceThere((query) => first.graphql(query, {}, { token }), 1);
    const adas = subscribe(first.gatewayUrl, NOTIFICATION_ADDED, { token: ada.token, variables: { after: await afterWelcome(ada.token) } });
    const bobs = subscribe(second.gatewayUrl, NOTIFICATION_ADDED, { token: bob.token, variables: { after: await afterWelcome(bob.token) } });
    open.push(adas, bobs);

    // Published from both sides: the shared durable queue hands each event to one instance or the other.
    const events = [quizScored(ada.id, 'A1'), quizScored(bob.id, 'B1'), quizScored(ada.id, 'A2'), quizScored(bob.id, 'B2'), quizScored(ada.id, 'A3'), quizScored(bob.id, 'B3')];
    for (const [index, event] of events.entries()) await (index % 2 ? second : first).runtime.bus.publish(event);

    await adas.waitFor(3, 15_000);
    await bobs.waitFor(3, 15_000);
    await sleep(500);
    const titles = (subscription: LiveSubscription) => subscription.results.map((result) => result.data?.notificationAdded.title).sort();
    expect(titles(adas)).toEqual(['A1: 100%, passed', 'A2: 100%, passed', 'A3: 100%, passed']);
    expect(titles(bobs)).toEqual(['B1: 100%, passed', 'B2: 100%, passed', 'B3: 100%, passed']);
    expect(bobs.results.every((result) => result.data?.notificationAdded.recipient.name === 'Bob on two')).toBe(true);

    const consumed = async (stack: Stack) => {
      const metric = await stack.app.subgraphs.notifications!.deps.metrics.eventsConsumed.get();
      return metric.values.filter((value) => value.labels.queue === 'notifications.events' && value.labels.outcome === 'ok').reduce((sum, value) => sum + value.value, 0);
    };
    // Two welcomes and six quiz results: each made into notifications by exactly one instance.
    expect((await consumed(first)) + (await consumed(second))).toBe(8);
  });
});
