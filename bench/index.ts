/**
 * `npm run bench [-- --quick]`: the benchmarks side by side, in one run, printed as tables and ratios.
 *
 *   1. gateway throughput on the public federation benchmark (bench/gateways/throughput.ts);
 *   2. Skillgraph's own teams page on seeded data (bench/skillgraph-query.ts);
 *   3. live notifications through the gateway (bench/subscriptions.ts).
 *
 * Figures, not assertions: nothing here fails on a slow machine. The load average is printed with
 * them, since other work on the machine moves every figure but CPU time per request.
 */
import { cpus, loadavg } from 'node:os';
import { runThroughput } from './gateways/throughput.ts';
import { pinSelf } from './lib/processes.ts';
import { runSkillgraphQuery } from './skillgraph-query.ts';
import { DEFAULT_SUBSCRIBER_COUNTS, runSubscriptions } from './subscriptions.ts';

const quick = process.argv.includes('--quick');
const settings = quick
  ? { throughput: { warmupSeconds: 2, seconds: 5, rounds: 3, connections: 50 }, teams: { seconds: 5, connections: 20, users: 60 }, subscribers: [200] }
  : { throughput: { warmupSeconds: 5, seconds: 15, rounds: 3, connections: 50 }, teams: { seconds: 15, connections: 20, users: 300 }, subscribers: DEFAULT_SUBSCRIBER_COUNTS };

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');

async function main() {
  console.log(`Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.version}; load average ${load()}${quick ? '; --quick' : ''}\n`);
  // Gateways under test get core 0; this process (the load generator) and the subgraphs get core 1.
  pinSelf('1');
  console.log((await runThroughput(settings.throughput)).join('\n'), '\n');
  console.log((await runSkillgraphQuery(settings.teams)).join('\n'), '\n');
  pinSelf(`0-${cpus().length - 1}`);
  console.log((await runSubscriptions(settings.subscribers)).join('\n'), '\n');
  console.log(`Load average at the end: ${load()}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
