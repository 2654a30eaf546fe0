/**
 * Section 1 of `npm run bench`: the public federation benchmark's `TestQuery` over its four subgraphs,
 * behind Skillgraph's gateway and the gateways a user would pick instead, in one run.
 *
 * Each gateway runs in its own process pinned to core 0; the subgraphs and the load generator share
 * core 1. Every request carries a distinct token, forwarded to the subgraphs, so no gateway can answer
 * many requests from one subgraph call. After a warm-up, rounds alternate between the gateways (the
 * order rotates each round) so that drift in the machine's load touches them all alike; the table
 * gives each gateway's median round.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { freePort } from '../../test/helpers/processes.ts';
import { runLoad, type LoadResult } from '../lib/load.ts';
import { startPinned, type PinnedProcess } from '../lib/processes.ts';
import { createTokenPool } from '../lib/tokens.ts';
import { composeBenchSupergraph } from './subgraphs/server.ts';
import type { SubgraphStats } from './subgraphs/server.ts';
import { TEST_QUERY } from './test-query.ts';
import { serviceArgs } from '../lib/start-command.ts';

export interface ThroughputOptions {
  warmupSeconds: number;
  seconds: number;
  rounds: number;
  connections: number;
}

interface GatewaySpec {
  name: string;
  label: string;
  args: string[];
  env?: Record<string, string>;
}

const GATEWAY_CORE = 0;
const LOAD_CORE = 1;
const BODY = JSON.stringify({ query: TEST_QUERY, operationName: 'TestQuery' });

function gatewaySpecs(supergraphPath: string, dataDir: string, publicKeyPem: string): GatewaySpec[] {
  const hive = ['--import', 'tsx', 'bench/gateways/hive.ts'];
  return [
    {
      name: 'skillgraph',
      label: 'Skillgraph gateway',
      args: serviceArgs('gateway'),
      env: { SUPERGRAPH_PATH: supergraphPath, DATA_DIR: dataDir, JWT_PUBLIC_KEY: publicKeyPem, LOG_LEVEL: 'error', HOST: '127.0.0.1' },
    },
    { name: 'apollo', label: '@apollo/gateway (stock)', args: ['--import', 'tsx', 'bench/gateways/apollo.ts'], env: { SUPERGRAPH_PATH: supergraphPath } },
    { name: 'hive', label: 'Hive Gateway', args: hive, env: { SUPERGRAPH_PATH: supergraphPath } },
    { name: 'hive-router', label: 'Hive Gateway + router-runtime', args: hive, env: { SUPERGRAPH_PATH: supergraphPath, HIVE_ENGINE: 'router-runtime' } },
  ];
}

interface RunningGateway extends GatewaySpec {
  url: string;
  process: PinnedProcess;
}

async function post(url: string, authorization: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: BODY });
  return { status: response.status, body: await response.json() };
}

async function startGateway(spec: GatewaySpec, authorization: () => string): Promise<RunningGateway> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const process = await startPinned({
    name: spec.name,
    core: GATEWAY_CORE,
    args: spec.args,
    env: { NODE_ENV: 'production', PORT: String(port), ...spec.env },
    ready: async () => (await post(url, authorization())).status === 200,
  });
  return { ...spec, url, process };
}

async function subgraphStats(statsUrl: string): Promise<SubgraphStats> {
  return (await fetch(statsUrl)).json() as Promise<SubgraphStats>;
}

/** Each gateway's answer to one TestQuery, and how many subgraph fetches it took; all answers must match. */
async function checkAnswers(gateways: RunningGateway[], statsUrl: string, authorization: () => string) {
  const fetches = new Map<string, number>();
  let reference: unknown;
  for (const gateway of gateways) {
    await subgraphStats(statsUrl);
    const { status, body } = await post(gateway.url, authorization());
    const stats = await subgraphStats(statsUrl);
    if (status !== 200 || (body as { errors?: unknown }).errors) throw new Error(`${gateway.name} answered ${status}: ${JSON.stringify(body).slice(0, 500)}`);
    if (stats.withoutAuthorization > 0) throw new Error(`${gateway.name} did not forward Authorization on ${stats.withoutAuthorization} of ${stats.fetches} fetches`);
    // Key order is not part of a GraphQL answer's meaning in JSON; deep equality ignores it.
    reference ??= body;
    if (!isDeepStrictEqual(body, reference)) throw new Error(`${gateway.name} answered differently from ${gateways[0]!.name}`);
    fetches.set(gateway.name, stats.fetches);
  }
  return fetches;
}

interface Round extends LoadResult {
  cpuMsPerRequest: number;
  fetchesPerRequest: number;
  distinctTokensPerRequest: number;
  rss: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runThroughput(options: ThroughputOptions): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skillgraph-bench-gw-'));
  const subgraphPort = await freePort();
  const statsUrl = `http://127.0.0.1:${subgraphPort}/stats`;
  const supergraphPath = join(dataDir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composeBenchSupergraph(`http://127.0.0.1:${subgraphPort}`));
  // Enough distinct tokens for the busiest measurement at up to 10,000 requests/s.
  const tokens = createTokenPool(Math.max(options.seconds, options.warmupSeconds) * 10_000);

  const started: PinnedProcess[] = [];
  try {
    const subgraphs = await startPinned({
      name: 'subgraphs',
      core: LOAD_CORE,
      args: ['--import', 'tsx', 'bench/gateways/subgraphs/main.ts'],
      env: { PORT: String(subgraphPort), NODE_ENV: 'production' },
      ready: async () => (await fetch(statsUrl)).ok,
    });
    started.push(subgraphs);
    const gateways: RunningGateway[] = [];
    for (const spec of gatewaySpecs(supergraphPath, dataDir, tokens.publicKeyPem)) {
      const gateway = await startGateway(spec, tokens.next);
      started.push(gateway.process);
      gateways.push(gateway);
    }

    const fetchesForOne = await checkAnswers(gateways, statsUrl, tokens.next);
    const load = (gateway: RunningGateway, seconds: number) =>
      runLoad({ url: gateway.url, body: BODY, authorization: tokens.next, seconds, connections: options.connections });

    for (const gateway of gateways) await load(gateway, options.warmupSeconds);
    const rounds = new Map<string, Round[]>(gateways.map((gateway) => [gateway.name, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = gateways.map((_, i) => gateways[(i + round) % gateways.length]!);
      for (const gateway of order) {
        await subgraphStats(statsUrl);
        const cpuBefore = gateway.process.cpuMs();
        const result = await load(gateway, options.seconds);
        const cpuMs = gateway.process.cpuMs() - cpuBefore;
        // Requests cut off when the load stopped finish their subgraph fetches now: count them here.
        await sleep(500);
        const stats = await subgraphStats(statsUrl);
        if (stats.withoutAuthorization > 0) throw new Error(`${gateway.name} did not forward Authorization on ${stats.withoutAuthorization} fetches`);
        rounds.get(gateway.name)!.push({
          ...result,
          cpuMsPerRequest: cpuMs / result.requests,
          fetchesPerRequest: stats.fetches / result.requests,
          distinctTokensPerRequest: stats.distinctAuthorizations / result.requests,
          rss: gateway.process.rssBytes(),
        });
      }
    }
    // The answers are checked again after the load: a gateway that broke under it would show here.
    await checkAnswers(gateways, statsUrl, tokens.next);
    return report(gateways, rounds, fetchesForOne, options);
  } finally {
    await Promise.allSettled(started.map((process) => process.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(gateways: RunningGateway[], rounds: Map<string, Round[]>, fetchesForOne: Map<string, number>, options: ThroughputOptions): string[] {
  const summary = new Map(
    gateways.map((gateway) => {
      const results = rounds.get(gateway.name)!;
      const byRps = [...results].sort((a, b) => a.rps - b.rps);
      const middle = byRps[Math.floor(byRps.length / 2)]!;
      return [gateway.name, { middle, rpsPerRound: results.map((r) => r.rps), failures: results.reduce((sum, r) => sum + r.failures, 0) }];
    }),
  );
  const lines = [
    `Gateway throughput: TestQuery over 4 Node subgraphs; ${options.connections} connections; ${options.warmupSeconds} s warm-up, then ${options.rounds} alternating rounds of ${options.seconds} s (median round shown)`,
    'gateway                        |     RPS | p50 ms | p99 ms | CPU ms/req | fetches/req | tokens/req | RSS MiB | RPS by round',
    '------------------------------ | ------- | ------ | ------ | ---------- | ----------- | ---------- | ------- | ------------',
  ];
  for (const gateway of gateways) {
    const { middle, rpsPerRound, failures } = summary.get(gateway.name)!;
    lines.push(
      [
        gateway.label.padEnd(30),
        middle.rps.toFixed(0).padStart(7),
        middle.p50.toFixed(0).padStart(6),
        middle.p99.toFixed(0).padStart(6),
        middle.cpuMsPerRequest.toFixed(2).padStart(10),
        `${middle.fetchesPerRequest.toFixed(1)} (${fetchesForOne.get(gateway.name)})`.padStart(11),
        middle.distinctTokensPerRequest.toFixed(2).padStart(10),
        (middle.rss / 2 ** 20).toFixed(0).padStart(7),
        rpsPerRound.map((rps) => rps.toFixed(0)).join(' ') + (failures ? `  (${failures} failed)` : ''),
      ].join(' | '),
    );
  }
  const rps = (name: string) => median(summary.get(name)!.rpsPerRound);
  const ratio = (name: string, target: number) => {
    const value = rps('skillgraph') / rps(name);
    return `${value.toFixed(2)}x ${gateways.find((g) => g.name === name)!.label} (target ${target}x: ${value >= target ? 'met' : 'NOT met'})`;
  };
  lines.push(
    '',
    `Skillgraph: ${ratio('apollo', 3)}; ${ratio('hive-router', 1.5)}; ${(rps('skillgraph') / rps('hive')).toFixed(2)}x Hive Gateway`,
    'CPU ms/req: the gateway process\'s CPU time per answered request. fetches/req: subgraph fetches per request under load (for a single request).',
    'tokens/req: distinct Authorization values the subgraphs saw per answered request (above 1: requests cut off at the end of a round).',
  );
  return lines;
}
