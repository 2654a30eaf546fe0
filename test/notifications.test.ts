import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTokenSigner } from '../lib/auth.ts';
import { createEnvelope, type EventEnvelope } from '../lib/events.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { registerUser } from './helpers/users.ts';
import { cursorOnceThere, subscribe, wsUrl, type LiveSubscription } from './helpers/ws.ts';

const NOTIFICATION_ADDED = /* GraphQL */ `
  subscription($after: String) {
    notificationAdded(after: $after) { id kind title read cursor recipient { id name } }
  }
`;
const NOTIFICATIONS = /* GraphQL */ `
  query($first: Int, $after: String, $unreadOnly: Boolean) {
    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
      edges { cursor node { id kind title read } }
      pageInfo { hasNextPage endCursor }
    }
    unreadNotificationCount
  }
`;

const quizScored = (userId: string, quizTitle: string) =>
  createEnvelope(
    { type: 'quiz.scored', data: { userId, attemptId: crypto.randomUUID(), quizId: crypto.randomUUID(), quizTitle, topic: 'redis', percent: 80, passed: true } },
    { producer: 'quizzes' },
  );
const joinRejected = (requesterId: string, teamName: string) =>
  createEnvelope(
    { type: 'team.join_rejected', data: { requesterId, teamId: crypto.randomUUID(), teamName, joinRequestId: crypto.randomUUID() } },
    { producer: 'teams' },
  );


describe('notifications and live subscriptions through the gateway', () => {
  let stack: Stack;
  const open: LiveSubscription[] = [];
  const live = (token: string | undefined, variables?: Record<string, unknown>, query = NOTIFICATION_ADDED) => {
    const subscription = subscribe(stack.gatewayUrl, query, { token, variables });
    open.push(subscription);
    return subscription;
  };
  /** Subscribes after the caller's `count` notifications so far: nothing that follows can be missed. */
  const liveAfter = async (token: string, count: number) => live(token, { after: await cursorOnceThere((query) => stack.graphql(query, {}, { token }), count) });
  const publish = (event: EventEnvelope) => stack.runtime.bus.publish(event);
  const titles = (subscription: LiveSubscription) => subscription.results.map((result) => result.data?.notificationAdded?.title);

  beforeAll(async () => {
    stack = await startStack({ services: ['gateway', 'users', 'notifications'], env: { WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3', WS_CONNECTION_INIT_TIMEOUT_MS: '300', WS_MAX_PAYLOAD_BYTES: '4096' } });
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((subscription) => subscription.close()));
    await stack?.destroy();
  });

  it('welcomes a new user, counts unread and marks read', async () => {
    const ada = await registerUser(stack, 'Ada');
    await expect
      .poll(async () => (await stack.graphql(NOTIFICATIONS, {}, { token: ada.token })).data?.unreadNotificationCount, { timeout: 5000 })
      .toBe(1);
    const { data } = await stack.graphql(NOTIFICATIONS, {}, { token: ada.token });
    const welcome = data?.notifications.edges[0].node;
    expect(welcome).toMatchObject({ kind: 'WELCOME', title: 'Welcome to Skillgraph, Ada!', read: false });

    const grace = await registerUser(stack, 'Grace');
    const foreign = await stack.graphql(`mutation($id: ID!) { markNotificationRead(id: $id) { id } }`, { id: welcome.id }, { token: grace.token });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const marked = await stack.graphql(`mutation($id: ID!) { markNotificationRead(id: $id) { read } }`, { id: welcome.id }, { token: ada.token });
    expect(marked.data?.markNotificationRead).toEqual({ read: true });
    await publish(quizScored(ada.id, 'One'));
    await publish(quizScored(ada.id, 'Two'));
    await expect.poll(async () => (await stack.graphql(NOTIFICATIONS, {}, { token: ada.token })).data?.unreadNotificationCount).toBe(2);
    const all = await stack.graphql(`mutation { markAllNotificationsRead }`, {}, { token: ada.token });
    expect(all.data?.markAllNotificationsRead).toBe(2);
    expect((await stack.graphql(NOTIFICATIONS, { unreadOnly: true }, { token: ada.token })).data?.notifications.edges).toEqual([]);
  });

  it('pages newest first with opaque cursors', async () => {
    const user = await registerUser(stack, 'Pager');
    for (const title of ['A', 'B', 'C']) await publish(quizScored(user.id, title));
    await expect.poll(async () => (await stack.graphql(NOTIFICATIONS, {}, { token: user.token })).data?.notifications.edges.length).toBe(4);
    const first = await stack.graphql(NOTIFICATIONS, { first: 2 }, { token: user.token });
    expect(first.data?.notifications.edges.map((edge: any) => edge.node.title)).toEqual(['C: 80%, passed', 'B: 80%, passed']);
    expect(first.data?.notifications.pageInfo.hasNextPage).toBe(true);
    const rest = await stack.graphql(NOTIFICATIONS, { first: 2, after: first.data?.notifications.pageInfo.endCursor }, { token: user.token });
    expect(rest.data?.notifications.edges.map((edge: any) => edge.node.kind)).toEqual(['QUIZ_SCORED', 'WELCOME']);
    expect(rest.data?.notifications.pageInfo).toEqual({ hasNextPage: false, endCursor: rest.data?.notifications.edges[1].cursor });
    const bad = await stack.graphql(NOTIFICATIONS, { after: 'garbage' }, { token: user.token });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const tooMany = await stack.graphql(NOTIFICATIONS, { first: 101 }, { token: user.token });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await stack.graphql(`{ unreadNotificationCount }`)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('pushes live, with fields resolved by other subgraphs, to the recipient only', async () => {
    const ada = await registerUser(stack, 'Live Ada');
    const bob = await registerUser(stack, 'Live Bob');
    const adas = await liveAfter(ada.token, 1);
    const bobs = await liveAfter(bob.token, 1);
    await publish(quizScored(ada.id, 'Redis basics'));
    const [first] = await adas.waitFor(1);
    expect(first?.errors).toBeUndefined();
    expect(first?.data?.notificationAdded).toMatchObject({ kind: 'QUIZ_SCORED', title: 'Redis basics: 80%, passed', read: false, recipient: { id: ada.id, name: 'Live Ada' } });
    await sleep(300);
    expect(bobs.results).toEqual([]);
  });

  it('feeds two identical subscriptions of one user (two tabs) from one upstream, each on its own', async () => {
    const user = await registerUser(stack, 'Two Tabs');
    const after = await cursorOnceThere((query) => stack.graphql(query, {}, { token: user.token }), 1);
    const first = live(user.token, { after });
    const second = live(user.token, { after });
    await publish(quizScored(user.id, 'Both'));
    await first.waitFor(1);
    await second.waitFor(1);
    await first.close();
    await publish(quizScored(user.id, 'Second only'));
    await second.waitFor(2);
    expect(titles(second)).toEqual(['Both: 80%, passed', 'Second only: 80%, passed']);
    expect(titles(first)).toEqual(['Both: 80%, passed']);

    // A third tab with the same cursor, once events have flowed, still gets everything after it.
    const third = live(user.token, { after });
    await third.waitFor(2);
    expect(titles(third)).toEqual(['Both: 80%, passed', 'Second only: 80%, passed']);
  });

  it('replays what a client missed after its cursor, then goes on live, with no gap and no duplicate', async () => {
    const bob = await registerUser(stack, 'Reconnecting Bob');
    const before = await liveAfter(bob.token, 1);
    await publish(quizScored(bob.id, 'Seen'));
    const [seen] = await before.waitFor(1);
    await before.close();

    for (const title of ['Missed 1', 'Missed 2', 'Missed 3']) await publish(quizScored(bob.id, title));
    await expect.poll(async () => (await stack.graphql(NOTIFICATIONS, {}, { token: bob.token })).data?.notifications.edges.length).toBe(5);

    const after = live(bob.token, { after: seen!.data!.notificationAdded.cursor });
    await after.waitFor(3);
    await publish(quizScored(bob.id, 'Live again'));
    await after.waitFor(4);
    await sleep(300);
    expect(titles(after)).toEqual(['Missed 1: 80%, passed', 'Missed 2: 80%, passed', 'Missed 3: 80%, passed', 'Live again: 80%, passed']);
    const ids = after.results.map((result) => result.data?.notificationAdded.id);
    expect(new Set(ids).size).toBe(4);
  });

  it('makes one notification of a redelivered event', async () => {
    const user = await registerUser(stack, 'Redelivered');
    const event = quizScored(user.id, 'Twice');
    await publish(event);
    await publish(event);
    await publish(quizScored(user.id, 'Marker'));
    await expect.poll(async () => (await stack.graphql(NOTIFICATIONS, {}, { token: user.token })).data?.notifications.edges.length).toBe(3);
    await sleep(300);
    const { data } = await stack.graphql(NOTIFICATIONS, {}, { token: user.token });
    expect(data?.notifications.edges.map((edge: any) => edge.node.title)).toEqual(['Marker: 80%, passed', 'Twice: 80%, passed', 'Welcome to Skillgraph, Redelivered!']);
  });

  it('stores a muted kind as read and does not push it', async () => {
    const user = await registerUser(stack, 'Muter');
    const set = await stack.graphql(`mutation { setNotificationPreferences(muted: [QUIZ_SCORED]) { muted } }`, {}, { token: user.token });
    expect(set.data?.setNotificationPreferences).toEqual({ muted: ['QUIZ_SCORED'] });
    expect((await stack.graphql(`{ notificationPreferences { muted } }`, {}, { token: user.token })).data?.notificationPreferences).toEqual({ muted: ['QUIZ_SCORED'] });
    const subscription = await liveAfter(user.token, 1);
    await publish(quizScored(user.id, 'Muted'));
    await publish(joinRejected(user.id, 'Rustaceans'));
    await subscription.waitFor(1);
    await sleep(300);
    expect(titles(subscription)).toEqual(['Your request to join Rustaceans was declined']);
    const { data } = await stack.graphql(NOTIFICATIONS, {}, { token: user.token });
    expect(data?.notifications.edges.find((edge: any) => edge.node.kind === 'QUIZ_SCORED')?.node.read).toBe(true);
  });

  it('refuses anonymous subscribers and closes a tampered token with 4403', async () => {
    const anonymous = live(undefined);
    const [refused] = await anonymous.waitFor(1).catch(async () => [await anonymous.ended]);
    expect(JSON.stringify(refused)).toContain('UNAUTHENTICATED');

    const { token } = await registerUser(stack, 'Tampered');
    const tampered = live(`${token.slice(0, -4)}AAAA`);
    expect(await tampered.ended).toMatchObject({ code: 4403 });
  });

  it('ends a subscription when its token expires', async () => {
    const user = await registerUser(stack, 'Expiring');
    const signer = await createTokenSigner(stack.runtime.keys.privateKey!, { issuer: stack.runtime.config.jwt.issuer, ttlSeconds: 1 });
    const subscription = live(await signer.sign(user.id));
    expect(await subscription.ended).toMatchObject({ code: 4403, reason: 'Token expired' });
  });

  it('refuses @skip or @include on the root field with a clear error', async () => {
    const user = await registerUser(stack, 'Skipper');
    const subscription = live(user.token, {}, `subscription { notificationAdded @skip(if: false) { id } }`);
    const [result] = await subscription.waitFor(1).catch(async () => [await subscription.ended]);
    expect(JSON.stringify(result)).toMatch(/@skip and @include are not supported on the root field/);
  });

  it('caps operations per connection, the wait for connection_init, and the message size', async () => {
    const user = await registerUser(stack, 'Greedy');
    const first = live(user.token);
    const errors: unknown[] = [];
    for (let i = 0; i < 3; i++) first.client.subscribe({ query: NOTIFICATION_ADDED }, { next: () => {}, error: (error) => errors.push(error), complete: () => {} });
    await expect.poll(() => errors.length).toBe(1);
    expect(JSON.stringify(errors[0])).toContain('At most 3 operations');

    const silent = new WebSocket(wsUrl(stack.gatewayUrl), 'graphql-transport-ws');
    const initTimeout = await new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    expect(initTimeout).toBe(4408);

    const big = new WebSocket(wsUrl(stack.gatewayUrl), 'graphql-transport-ws');
    await new Promise((resolve) => big.on('open', resolve));
    big.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(5000) } }));
    expect(await new Promise<number>((resolve) => big.on('close', (code) => resolve(code)))).toBe(1009);
  });

  it('runs queries and mutations over the same socket', async () => {
    const user = await registerUser(stack, 'Socket Sam');
    const query = subscribe(stack.gatewayUrl, `{ me { name } }`, { token: user.token });
    open.push(query);
    const [result] = await query.waitFor(1);
    expect(result?.data).toEqual({ me: { name: 'Socket Sam' } });
  });
});

describe('a subscription across failures and shutdown', () => {
  it('reports an error in the rest of the plan in that event and lives on; completes on shutdown', async () => {
    const stack = await startStack({ services: ['gateway', 'users', 'notifications'] });
    try {
      const user = await registerUser(stack, 'Resilient');
      const after = await cursorOnceThere((query) => stack.graphql(query, {}, { token: user.token }), 1);
      const subscription = subscribe(stack.gatewayUrl, NOTIFICATION_ADDED, { token: user.token, variables: { after } });
      await stack.app.subgraphs.users!.stop();
      await stack.runtime.bus.publish(quizScored(user.id, 'While users is down'));
      const [failed] = await subscription.waitFor(1);
      expect(failed?.errors?.length).toBeGreaterThan(0);
      await stack.runtime.bus.publish(quizScored(user.id, 'Still down'));
      await subscription.waitFor(2);

      delete stack.app.subgraphs.users;
      await stack.app.gateway!.stop();
      expect(await subscription.ended).toBe('complete');
    } finally {
      await stack.destroy();
    }
  });
});
