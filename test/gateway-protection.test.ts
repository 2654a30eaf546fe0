import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { realServicesEnv } from './helpers/real-services.ts';
import { realServices } from './helpers/services.ts';
import { errorCode, startStack, type Stack } from './helpers/stack.ts';
import { registerUser } from './helpers/users.ts';
import { subscribe, wsUrl } from './helpers/ws.ts';

/** A sample's value from Prometheus text, whatever the order of its labels. */
function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => candidate.includes(`${key}="${value}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const GRAPHQL_RESPONSE = { accept: 'application/graphql-response+json' };
const nested = (depth: number) => `{ quizzes { ${'leaderboard { user { '.repeat(depth)} id ${'} } '.repeat(depth)} } }`;

describe('operation limits', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      services: ['gateway', 'users', 'quizzes', 'notifications'],
      env: { MAX_DEPTH: '6', MAX_ALIASES: '3', MAX_COST: '400', MAX_TOKENS: '300' },
    });
  });
  afterAll(() => stack?.destroy());

  it('lets a normal operation through', async () => {
    const response = await stack.graphql(`{ quizzes { slug title questions { prompt choices { text } } } }`);
    expect(response.errors).toBeUndefined();
    expect(response.data?.quizzes.length).toBeGreaterThanOrEqual(10);
  });

  it.each([
    ['depth', nested(3), /Query depth limit of 6 exceeded/],
    ['aliases', `{ a: quizzes { id } b: quizzes { id } c: quizzes { id } d: quizzes { id } }`, /Aliases limit of 3 exceeded/],
    ['cost', `{ quizzes { questions { choices { id text } prompt id } leaderboard(first: 100) { rank score user { id } } } }`, /Query Cost limit of 400 exceeded/],
  ])('refuses %s over its limit before execution, naming the limit', async (_name, query, message) => {
    const response = await stack.graphql(query, {}, { headers: GRAPHQL_RESPONSE });
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.errors?.[0]?.message).toMatch(message);
    expect(response.data).toBeUndefined();
  });

  it('refuses a document over the token limit, and keeps a syntax error a 400', async () => {
    const many = await stack.graphql(`{ ${Array.from({ length: 400 }, () => '__typename').join(' ')} }`, {}, { headers: GRAPHQL_RESPONSE });
    expect(many.status).toBe(400);
    expect(many.errors?.[0]?.message).toMatch(/Document contains more th[ae][nt] 300 tokens/);
    const broken = await stack.graphql(`{ quizzes { `, {}, { headers: GRAPHQL_RESPONSE });
    expect(broken.status).toBe(400);
    expect(errorCode(broken)).toBe('GRAPHQL_PARSE_FAILED');
    // A client that accepts only application/json gets the same errors with 200, as GraphQL over HTTP advises.
    const legacy = await stack.graphql(`{ quizzes { `);
    expect(legacy.status).toBe(200);
    expect(errorCode(legacy)).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('applies the same limits to operations on the websocket', async () => {
    const user = await registerUser(stack, 'Socket limits');
    const deep = subscribe(stack.gatewayUrl, nested(3), { token: user.token });
    const refused = await deep.ended;
    expect(JSON.stringify(refused)).toMatch(/Query depth limit of 6 exceeded/);
    expect(JSON.stringify(refused)).toContain('GRAPHQL_VALIDATION_FAILED');
    const fine = subscribe(stack.gatewayUrl, `{ quizzes { slug } }`, { token: user.token });
    expect((await fine.waitFor(1))[0]?.data?.quizzes.length).toBeGreaterThan(0);
    await fine.close();
  });
});

describe('production defaults', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ services: ['gateway', 'users'], env: { NODE_ENV: 'production' } });
  });
  afterAll(() => stack?.destroy());

  it('turns introspection and Sandbox off', async () => {
    const introspection = await stack.graphql(`{ __schema { types { name } } }`);
    expect(errorCode(introspection)).toBe('GRAPHQL_VALIDATION_FAILED');
    const page = await fetch(stack.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/sandbox|embeddable/i);
  });

  it('prevents CSRF: a simple cross-site request is refused', async () => {
    const simple = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent('{ me { id } }')}`);
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/CSRF/);
    const preflighted = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent('{ me { id } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
  });

  it('masks internal errors: no stack trace, SQL or connection string', async () => {
    await stack.app.subgraphs.users!.deps.db.execute('DROP TABLE users CASCADE');
    const response = await stack.graphql(`{ user(id: "00000000-0000-4000-8000-000000000000") { id name } }`);
    const body = JSON.stringify(response);
    expect(errorCode(response)).toBe('INTERNAL_SERVER_ERROR');
    expect(body).not.toMatch(/stack|select|relation|postgres|users\b/i);
  });
});

describe('caching', () => {
  let stack: Stack;
  beforeAll(async () => {
    // A slow outbox poll keeps the relay's queries out of the SQL counts.
    stack = await startStack({ services: ['gateway', 'users', 'quizzes'], env: { RESPONSE_CACHE: 'true', OUTBOX_POLL_MS: '60000' } });
  });
  afterAll(() => stack?.destroy());

  const sqlQueries = async (name: 'users' | 'quizzes') => (await stack.app.subgraphs[name]!.deps.metrics.sqlQueries.get()).values[0]?.value ?? 0;

  it('serves a public read from the response cache as its hints allow', async () => {
    const query = `{ quizzes { slug title questionCount } }`;
    const first = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    expect(first.headers.get('cache-control')).toMatch(/max-age=300, public/);
    const body = await first.text();
    const before = await sqlQueries('quizzes');
    const second = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    expect(await second.text()).toBe(body);
    expect(second.headers.get('age')).not.toBeNull();
    expect(await sqlQueries('quizzes')).toBe(before);
  });

  it('never serves one user’s private answer to another', async () => {
    const ada = await registerUser(stack, 'Cache Ada');
    const bob = await registerUser(stack, 'Cache Bob');
    const query = `query($id: ID!) { user(id: $id) { name email } }`;
    const own = await stack.graphql(query, { id: ada.id }, { token: ada.token });
    expect(own.data?.user).toEqual({ name: 'Cache Ada', email: ada.email.trim().toLowerCase() });
    const again = await stack.graphql(query, { id: ada.id }, { token: ada.token });
    expect(again.data?.user.email).toBe(ada.email.trim().toLowerCase());
    const other = await stack.graphql(query, { id: ada.id }, { token: bob.token });
    expect(other.data?.user).toEqual({ name: 'Cache Ada', email: null });
    const anonymous = await stack.graphql(query, { id: ada.id });
    expect(anonymous.data?.user).toEqual({ name: 'Cache Ada', email: null });
  });

  it('does not cache what is not hinted', async () => {
    const user = await registerUser(stack, 'Uncached');
    await stack.graphql(`{ me { name } }`, {}, { token: user.token });
    await stack.graphql(`mutation { updateProfile(input: { name: "Renamed" }) { name } }`, {}, { token: user.token });
    expect((await stack.graphql(`{ me { name } }`, {}, { token: user.token })).data?.me.name).toBe('Renamed');
  });

  it('answers automatic persisted queries by hash', async () => {
    const query = `{ quizzes { slug } }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    const send = (body: object) => fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
    expect((await send({ extensions })).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await send({ query, extensions })).data?.quizzes.length).toBeGreaterThan(0);
    expect((await send({ extensions })).data?.quizzes.length).toBeGreaterThan(0);
  });
});

describe('rate limits', () => {
  it('meets a burst with RATE_LIMITED, a retry hint and Retry-After, per user and per IP', async () => {
    const stack = await startStack({ services: ['gateway', 'users'], env: { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_MUTATION_WEIGHT: '2' } });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 7; i++) {
        last = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await last!.json()) as any;
      expect(body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    } finally {
      await stack.destroy();
    }
  });

  const sharedRedis = Boolean(realServices.redisUrl);
  it.skipIf(!sharedRedis)('counts one user across two gateway instances sharing Redis', async () => {
    const isolated = realServicesEnv({ redis: true });
    const env = { ...isolated.env, RATE_LIMIT_PER_MINUTE: '4', RATE_LIMIT_MUTATION_WEIGHT: '2' };
    const first = await startStack({ services: ['gateway', 'users'], env });
    const second = await startStack({ services: ['gateway'], dataDir: first.dataDir, env: { ...env, USERS_URL: first.app.subgraphs.users!.url } });
    try {
      const { token } = await registerUser(first); // counted against the IP: the user's own count starts after
      const answers = [await second.graphql('mutation { updateProfile(input: { bio: "x" }) { id } }', {}, { token })]; // weighs 2
      for (const stack of [first, second, first]) answers.push(await stack.graphql('{ me { id } }', {}, { token }));
      expect(answers.map((answer) => errorCode(answer) ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
      expect(answers[3]!.status).toBe(429);
      expect(answers[3]!.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      await second.stop();
      await first.destroy();
    }
  });
});

describe('websocket upgrades', () => {
  it('checks Origin when ALLOWED_ORIGINS is set', async () => {
    const stack = await startStack({ services: ['gateway', 'users'], env: { ALLOWED_ORIGINS: 'https://skillgraph.dev' } });
    try {
      const attempt = (origin: string) =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(wsUrl(stack.gatewayUrl), 'graphql-transport-ws', { origin });
          socket.on('open', () => {
            socket.close();
            resolve('open');
          });
          socket.on('unexpected-response', (_request, response) => resolve(String(response.statusCode)));
          socket.on('error', () => resolve('error'));
        });
      expect(await attempt('https://evil.example')).toBe('403');
      expect(await attempt('https://skillgraph.dev')).toBe('open');
    } finally {
      await stack.destroy();
    }
  });
});

describe('observability', () => {
  it('exposes metrics per operation, per subgraph fetch and for open subscriptions', async () => {
    const stack = await startStack({ services: ['gateway', 'users', 'notifications'] });
    try {
      const user = await registerUser(stack, 'Observed');
      await stack.graphql(`query WhoAmI { me { name } }`, {}, { token: user.token });
      const live = subscribe(stack.gatewayUrl, `subscription { notificationAdded { id } }`, { token: user.token });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const metrics = await (await fetch(stack.gatewayUrl.replace('/graphql', '/metrics'))).text();
      expect(metrics).toMatch(/graphql_operation_duration_seconds_count\{service="gateway",operation="WhoAmI",type="query",outcome="ok"\} 1/);
      expect(metrics).toMatch(/subgraph_fetch_duration_seconds_count\{service="gateway",subgraph="users",status="200"\} [1-9]/);
      expect(metrics).toMatch(/graphql_subscriptions_active\{service="gateway"\} 1/);
      await live.close();
      const notifications = await (await fetch(stack.app.subgraphs.notifications!.url.replace('/graphql', '/metrics'))).text();
      const queue = { queue: 'notifications.events' };
      expect(metricValue(notifications, 'events_waiting', queue)).toBe(0);
      expect(metricValue(notifications, 'events_dead_lettered', queue)).toBe(0);
      expect(metricValue(notifications, 'events_consumed_total', { ...queue, outcome: 'ok' })).toBe(1);
    } finally {
      await stack.destroy();
    }
  });
});
