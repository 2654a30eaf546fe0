import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptJoinRequest, createTeam, requestToJoin, setSkills } from './helpers/teams.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { registerUser } from './helpers/users.ts';
import { cursorOnceThere, subscribe, type LiveSubscription } from './helpers/ws.ts';

/** What a client of the product asks for: the notification and, from other subgraphs, what it is about. */
const LIVE = /* GraphQL */ `
  subscription($after: String) {
    notificationAdded(after: $after) {
      id kind title cursor
      subject {
        __typename
        ... on JoinRequest { requestStatus: status user { name } team { name members { name skills { name } } } }
        ... on Team { name memberCount members { name } }
        ... on Proposal { proposalStatus: status job { title } }
        ... on QuizAttempt { attemptStatus: status }
      }
    }
  }
`;

/** The whole supergraph, users through notifications, on the embedded default. */
describe('live notifications across the supergraph', () => {
  let stack: Stack;
  const open: LiveSubscription[] = [];
  const live = (token: string, variables?: Record<string, unknown>) => {
    const subscription = subscribe(stack.gatewayUrl, LIVE, { token, variables });
    open.push(subscription);
    return subscription;
  };
  /** Subscribes after the caller's `count` notifications so far: nothing that follows can be missed. */
  const liveAfter = async (token: string, count: number) => live(token, { after: await cursorOnceThere((query) => stack.graphql(query, {}, { token }), count) });
  const kinds = (subscription: LiveSubscription) => subscription.results.map((result) => result.data?.notificationAdded?.kind);

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((subscription) => subscription.close()));
    await stack?.destroy();
  });

  it('tells the leader of a join request, the requester of the answer and the members of the newcomer, live', async () => {
    const leader = await registerUser(stack, 'Leader Lin');
    const member = await registerUser(stack, 'Member Mo');
    const requester = await registerUser(stack, 'Requester Ray');
    await setSkills(stack, requester.token, [{ name: 'GraphQL', level: 4 }]);
    const teamId = await createTeam(stack, leader.token, { name: 'Graph Wizards', requiredSkills: ['graphql'], maxMembers: 4 });
    await acceptJoinRequest(stack, leader.token, await requestToJoin(stack, member.token, teamId));

    // So far: the leader has a welcome, the member's request and the member's arrival; the member a
    // welcome and their acceptance; the requester a welcome.
    const leaders = await liveAfter(leader.token, 3);
    const members = await liveAfter(member.token, 2);
    const requesters = await liveAfter(requester.token, 1);

    const requestId = await requestToJoin(stack, requester.token, teamId);
    const [requested] = await leaders.waitFor(1);
    expect(requested?.errors).toBeUndefined();
    expect(requested?.data?.notificationAdded).toMatchObject({
      kind: 'TEAM_JOIN_REQUESTED',
      subject: { __typename: 'JoinRequest', requestStatus: 'PENDING', user: { name: 'Requester Ray' }, team: { name: 'Graph Wizards' } },
    });

    expect((await acceptJoinRequest(stack, leader.token, requestId)).errors).toBeUndefined();
    const [accepted] = await requesters.waitFor(1);
    expect(accepted?.errors).toBeUndefined();
    expect(accepted?.data?.notificationAdded).toMatchObject({
      kind: 'TEAM_JOIN_ACCEPTED',
      subject: {
        __typename: 'JoinRequest',
        requestStatus: 'ACCEPTED',
        team: {
          name: 'Graph Wizards',
          members: [
            { name: 'Leader Lin', skills: [] },
            { name: 'Member Mo', skills: [] },
            { name: 'Requester Ray', skills: [{ name: 'graphql' }] },
          ],
        },
      },
    });

    // Everyone already in the team hears of the newcomer; the requester does not get it twice.
    await members.waitFor(1);
    expect(members.results[0]?.data?.notificationAdded).toMatchObject({ kind: 'TEAM_MEMBER_JOINED', subject: { __typename: 'Team', name: 'Graph Wizards', memberCount: 3 } });
    await leaders.waitFor(2);
    expect(kinds(leaders)).toEqual(['TEAM_JOIN_REQUESTED', 'TEAM_MEMBER_JOINED']);
    await sleep(300);
    expect(kinds(requesters)).toEqual(['TEAM_JOIN_ACCEPTED']);
  });

  it('gives a client that reconnects with its cursor exactly what it missed, in order, then live', async () => {
    const leader = await registerUser(stack, 'Busy Leader');
    const teamId = await createTeam(stack, leader.token, { name: 'Popular', maxMembers: 10 });
    const first = await liveAfter(leader.token, 1);
    const asker = await registerUser(stack, 'Asker 0');
    await requestToJoin(stack, asker.token, teamId);
    const [seen] = await first.waitFor(1);
    await first.close();

    for (const name of ['Asker 1', 'Asker 2', 'Asker 3']) {
      const user = await registerUser(stack, name);
      await requestToJoin(stack, user.token, teamId);
    }
    await expect
      .poll(async () => (await stack.graphql(`{ unreadNotificationCount }`, {}, { token: leader.token })).data?.unreadNotificationCount, { timeout: 10_000 })
      .toBe(5); // welcome + four requests

    const again = live(leader.token, { after: seen!.data!.notificationAdded.cursor });
    await again.waitFor(3);
    const late = await registerUser(stack, 'Asker 4');
    await requestToJoin(stack, late.token, teamId);
    await again.waitFor(4);
    await sleep(300);
    expect(again.results.map((result) => result.data?.notificationAdded.subject.user.name)).toEqual(['Asker 1', 'Asker 2', 'Asker 3', 'Asker 4']);
    expect(new Set(again.results.map((result) => result.data?.notificationAdded.id)).size).toBe(4);
  });
});
