/**
 * Section 2 of `npm run bench`: Skillgraph's own page of teams, on data made by `npm run seed`.
 *
 * The subgraphs run in this process (on the load generator's core), the gateway in its own process
 * pinned to the other core, as in section 1. SQL statements per request are read from the subgraphs'
 * `/metrics` (`sql_queries_total`) before and after the load.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Supergraph } from '@apollo/federation-internals';
import { parse, validate } from 'graphql';
import { createTokenSigner } from '../lib/auth.ts';
import { DEFAULT_OUTBOX_POLL_MS, SUBGRAPH_NAMES } from '../lib/config.ts';
import { SUPERGRAPH_FILE } from '../lib/supergraph.ts';
import { subgraphModules } from '../subgraphs/index.ts';
import { freePort } from '../test/helpers/processes.ts';
import { startStack } from '../test/helpers/stack.ts';
import { benchDatabase } from './lib/database.ts';
import { runLoad } from './lib/load.ts';
import { startPinned } from './lib/processes.ts';
import { serviceArgs } from './lib/start-command.ts';

export const TEAMS_QUERY = /* GraphQL */ `
  query TeamsPage {
    teams(first: 50) {
      edges { node { name leader { name quizStats { averagePercent } } members { name skills { name } verifiedSkills } skillMatch { score } } }
    }
  }
`;

/** The same page at another size, for the SQL-per-fetch sweep. */
const teamsQuery = (first: number) => TEAMS_QUERY.replace('teams(first: 50)', `teams(first: ${first})`);
const PAGE_SIZES = [10, 25, 50];
const SWEEP_REQUESTS = 5;

export interface SkillgraphQueryOptions {
  seconds: number;
  connections: number;
  users: number;
}

/** Why the query cannot run on this build's supergraph (say, no teams subgraph yet), or undefined. */
export function whyUnavailable(): string | undefined {
  const schema = Supergraph.build(readFileSync(SUPERGRAPH_FILE, 'utf8')).apiSchema().toGraphQLJSSchema();
  const errors = validate(schema, parse(TEAMS_QUERY));
  return errors.length ? `the supergraph cannot answer it yet: ${errors.map((error) => error.message).join(' ')}` : undefined;
}

/** Each subgraph's `sql_queries_total`, by subgraph name. */
async function sqlBySubgraph(subgraphs: Array<{ name: string; url: string }>): Promise<Map<string, number>> {
  const totals = await Promise.all(
    subgraphs.map(async ({ name, url }) => {
      const text = await (await fetch(url.replace('/graphql', '/metrics'))).text();
      return [name, Number(/^sql_queries_total(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1] ?? 0)] as const;
    }),
  );
  return new Map(totals);
}

/** The gateway's HTTP requests to each subgraph (merged fetches count once), from its `subgraph_fetch_duration_seconds`. */
async function fetchesBySubgraph(gatewayUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(gatewayUrl.replace('/graphql', '/metrics'))).text();
  const counts = new Map<string, number>();
  for (const [, labels, value] of text.matchAll(/^subgraph_fetch_duration_seconds_count\{([^}]*)\} (\S+)$/gm)) {
    const subgraph = /subgraph="([^"]+)"/.exec(labels!)?.[1];
    if (subgraph) counts.set(subgraph, (counts.get(subgraph) ?? 0) + Number(value));
  }
  return counts;
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((sum, value) => sum + value, 0);
const difference = (after: Map<string, number>, before: Map<string, number>) => new Map([...after].map(([name, value]) => [name, value - (before.get(name) ?? 0)]));

/**
 * SQL statements per subgraph fetch at several page sizes, a few requests each: bounded means the
 * same figures at 10 teams as at 50 (no statement per team, member or skill).
 */
async function sqlPerFetchSweep(url: string, subgraphs: Array<{ name: string; url: string }>, authorization: () => string): Promise<string[]> {
  const names = subgraphs.map((subgraph) => subgraph.name);
  const lines = [
    `SQL statements per subgraph fetch by page size (${SWEEP_REQUESTS} requests each; in parentheses, fetches per request)`,
    ['page size', ...names].map((name) => name.padStart(name === 'page size' ? 9 : 14)).join(' | '),
    ['page size', ...names].map((name) => '-'.repeat(name === 'page size' ? 9 : 14)).join(' | '),
  ];
  const perFetch = new Map<string, number[]>(names.map((name) => [name, []]));
  for (const first of PAGE_SIZES) {
    const body = JSON.stringify({ query: teamsQuery(first) });
    const [sqlBefore, fetchesBefore] = await Promise.all([sqlBySubgraph(subgraphs), fetchesBySubgraph(url)]);
    for (let i = 0; i < SWEEP_REQUESTS; i++) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: authorization() }, body });
      const answer = (await response.json()) as { errors?: unknown };
      if (!response.ok || answer.errors) throw new Error(`teams(first: ${first}) failed: ${JSON.stringify(answer).slice(0, 300)}`);
    }
    const sql = difference(await sqlBySubgraph(subgraphs), sqlBefore);
    const fetches = difference(await fetchesBySubgraph(url), fetchesBefore);
    const cells = names.map((name) => {
      const made = fetches.get(name) ?? 0;
      if (!made) return '-'.padStart(14);
      const statements = (sql.get(name) ?? 0) / made;
      perFetch.get(name)!.push(statements);
      return `${statements.toFixed(1)} (${(made / SWEEP_REQUESTS).toFixed(1)})`.padStart(14);
    });
    lines.push([String(first).padStart(9), ...cells].join(' | '));
  }
  // An N+1 grows with the page (five times the teams, five times the statements); a bounded fetch does not.
  const bounded = [...perFetch.values()].every((figures) => figures.length < 2 || figures.at(-1)! <= 1.5 * figures[0]! + 1);
  lines.push(`Target: SQL statements per subgraph fetch bounded whatever the page size (at ${PAGE_SIZES.at(-1)} within 1.5x + 1 of ${PAGE_SIZES[0]}): ${bounded ? 'met' : 'NOT met'}`);
  return lines;
}

export async function runSkillgraphQuery(options: SkillgraphQueryOptions): Promise<string[]> {
  const title = 'Skillgraph: teams(first: 50) with leaders, members, skills, quiz stats and skill match';
  const unavailable = whyUnavailable();
  if (unavailable) return [title, `Skipped: ${unavailable}`];

  const dataDir = mkdtempSync(join(tmpdir(), 'skillgraph-bench-teams-'));
  const database = benchDatabase();
  const services = SUBGRAPH_NAMES.filter((name) => subgraphModules[name]);
  // The outbox relay polls at its production pace (the test helper's is 50 ms): its statements count
  // in `sql_queries_total` with the requests'.
  const stack = await startStack({ services, dataDir, env: { LOG_LEVEL: 'error', OUTBOX_POLL_MS: String(DEFAULT_OUTBOX_POLL_MS), ...database.env } });
  const subgraphs = Object.values(stack.app.subgraphs);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const gateway = await startPinned({
    name: 'gateway',
    core: 0,
    args: serviceArgs('gateway'),
    env: {
      NODE_ENV: 'production',
      INTROSPECTION: 'true', // the seed finds what to seed by introspection
      // A few seeded users send every request here: measure the query, not the rate limiter's refusals.
      RATE_LIMIT_PER_MINUTE: '100000000',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      ...Object.fromEntries(subgraphs.map((subgraph) => [`${subgraph.name.toUpperCase()}_URL`, subgraph.url])),
    },
    ready: async () => (await fetch(url.replace('/graphql', '/ready'))).ok,
  });
  try {
    // The same command a new user runs, against this gateway.
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/seed.ts', url, '--users', String(options.users)]);
    const tokens = await tokensForMembers(url, stack.runtime.keys.privateKey!, stack.runtime.config.jwt);
    let next = 0;
    const body = JSON.stringify({ query: TEAMS_QUERY });
    const authorization = () => tokens[next++ % tokens.length]!;
    await runLoad({ url, body, authorization, seconds: 2, connections: options.connections });
    const sqlBefore = total(await sqlBySubgraph(subgraphs));
    const result = await runLoad({ url, body, authorization, seconds: options.seconds, connections: options.connections });
    const sqlPerRequest = (total(await sqlBySubgraph(subgraphs)) - sqlBefore) / result.requests;
    // Requests cut off when the load stopped still finish their fetches: let them, before counting again.
    await sleep(1_000);
    return [
      `${title} (seeded with ${options.users} users; subgraphs on ${database.label})`,
      '    RPS | p50 ms | p99 ms | SQL queries/req | failed',
      '------- | ------ | ------ | --------------- | ------',
      [result.rps.toFixed(0).padStart(7), result.p50.toFixed(0).padStart(6), result.p99.toFixed(0).padStart(6), sqlPerRequest.toFixed(1).padStart(15), String(result.failures).padStart(6)].join(' | '),
      '',
      ...(await sqlPerFetchSweep(url, subgraphs, authorization)),
    ];
  } finally {
    await gateway.stop();
    await stack.stop();
    await database.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Tokens of seeded members (so `skillMatch` is computed for real callers), signed with the stack's key. */
async function tokensForMembers(url: string, privateKey: string, jwt: { issuer: string; ttlSeconds: number }): Promise<string[]> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ teams(first: 50) { edges { node { members { id } } } } }' }),
  });
  const { data } = (await response.json()) as { data: { teams: { edges: Array<{ node: { members: Array<{ id: string }> } }> } } };
  const ids = [...new Set(data.teams.edges.flatMap((edge) => edge.node.members.map((member) => member.id)))];
  if (!ids.length) throw new Error('The seed made no team members');
  const signer = await createTokenSigner(privateKey, jwt);
  return Promise.all(ids.map(async (id) => `Bearer ${await signer.sign(id)}`));
}

