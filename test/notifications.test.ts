import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenSigner } from '../lib/auth.ts';
import { createEnvelope } from '../lib/events.ts';
import { errorCode, startStack, type Stack } from './helpers/stack.ts';
import { registerUser } from './helpers/users.ts';
import { subscribe } from './helpers/ws.ts';

const NOTIFICATION_ADDED = /* GraphQL */ `
  subscription($after: String) {
    notificationAdded(after: $after) { id kind title read cursor recipient { id name } }
  }
`;

describe('notifications and live subscriptions through the gateway', () => {
  let stack: Stack;
  const scored = (userId: string, title: string) =>
    createEnvelope({ type: 'quiz.scored', data: { userId, attemptId: crypto.randomUUID(), quizTitle: title, topic: 'redis', percent: 80, passed: true } }, { producer: 'quizzes' });

  beforeAll(async () => {
    stack = await startStack({ services: ['gateway', 'users', 'notifications'] });
  });
  afterAll(() => stack?.destroy());

  it('welcomes a new user', async () => {
    const ada = await registerUser(stack, 'Ada');
    await expect
      .poll(async () => (await stack.graphql(`{ notifications { edges { node { kind title read recipient { name } } } } unreadNotificationCount }`, {}, { token: ada.token })).data, { timeout: 5000 })
      .toEqual({ notifications: { edges: [{ node: { kind: 'WELCOME', title: 'Welcome to Skillgraph, Ada!', read: false, recipient: { name: 'Ada' } } }] }, unreadNotificationCount: 1 });
  });

  it('pushes a notification live with fields from other subgraphs', async () => {
    const ada = await registerUser(stack, 'Live Ada');
    const live = subscribe(stack.gatewayUrl, NOTIFICATION_ADDED, { token: ada.token });
    try {
      await sleep(300);
      await stack.runtime.bus.publish(scored(ada.id, 'Redis basics'));
      const [first] = await live.waitFor(1);
      expect(first?.errors).toBeUndefined();
      expect(first?.data?.notificationAdded).toMatchObject({ kind: 'QUIZ_SCORED', title: 'Redis basics: 80%, passed', recipient: { id: ada.id, name: 'Live Ada' } });
    } finally {
      await live.close();
    }
  });
});
