import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startStack, type Stack } from '../../test/helpers/stack.ts';
import { registerUser } from '../../test/helpers/users.ts';

describe('users subgraph', () => {
  let stack: Stack;
  beforeAll(async () => {
    // A slow outbox poll: the relay's own queries must not land inside the counted request.
    stack = await startStack({ services: ['gateway', 'users'], env: { OUTBOX_POLL_MS: '60000' } });
  });
  afterAll(() => stack?.destroy());

  it('resolves 100 entity references with one SQL query', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => registerUser(stack, `User ${i}`).then((user) => user.id)));
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'User', id: ids[i % ids.length] }));
    const users = stack.app.subgraphs.users!;
    const queries = users.deps.metrics.sqlQueries;
    const before = (await queries.get()).values[0]?.value ?? 0;

    const response = await postGraphQL(
      users.url,
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id name skills { name } } } }`,
      { representations },
    );

    expect(response.errors).toBeUndefined();
    expect(response.data?._entities).toHaveLength(100);
    expect(response.data?._entities[7]).toEqual({ id: ids[2], name: 'User 2', skills: [] });
    expect(((await queries.get()).values[0]?.value ?? 0) - before).toBe(1);
  });

  it('answers /health, /ready and /metrics', async () => {
    const base = stack.app.subgraphs.users!.url.replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('sql_queries_total');
    expect(metrics).toContain('service="users"');
  });
});
