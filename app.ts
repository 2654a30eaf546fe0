import { SUBGRAPH_NAMES, type ServiceName, type SubgraphName } from './lib/config.ts';
import type { Runtime } from './lib/runtime.ts';
import { startSubgraph, type RunningSubgraph } from './lib/subgraph.ts';
import { startGateway, type RunningGateway } from './gateway/index.ts';
import { subgraphModules } from './subgraphs/index.ts';

export interface RunningApp {
  gateway?: RunningGateway;
  subgraphs: Partial<Record<SubgraphName, RunningSubgraph>>;
  stop(): Promise<void>;
}

export interface StartAppOptions {
  /** Which services to run in this process; all of them by default. */
  services?: ServiceName[];
  /** Listen on ports the OS picks (tests) instead of the fixed ones; the gateway is pointed at them. */
  randomPorts?: boolean;
}

/**
 * Starts services in this process on one runtime. Subgraphs start together (their embedded databases
 * are created in parallel), then the gateway, pointed at the subgraphs started here.
 */
export async function startApp(runtime: Runtime, options: StartAppOptions = {}): Promise<RunningApp> {
  const services = options.services ?? ['gateway', ...SUBGRAPH_NAMES];
  const wanted = SUBGRAPH_NAMES.filter((name) => services.includes(name));
  const missing = wanted.filter((name) => !subgraphModules[name]);
  if (missing.length && options.services) throw new Error(`Not built yet: ${missing.join(', ')}`);

  const started = await Promise.allSettled(
    wanted
      .filter((name) => subgraphModules[name])
      .map((name) => startSubgraph(subgraphModules[name]!, runtime, options.randomPorts ? { port: 0 } : {})),
  );
  const subgraphs = Object.fromEntries(
    started.flatMap((result) => (result.status === 'fulfilled' ? [[result.value.name, result.value]] : [])),
  ) as RunningApp['subgraphs'];
  const stopSubgraphs = () => Promise.allSettled(Object.values(subgraphs).map((subgraph) => subgraph.stop()));

  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await stopSubgraphs();
    throw failed.reason;
  }

  let gateway: RunningGateway | undefined;
  if (services.includes('gateway')) {
    const subgraphUrls = Object.fromEntries(Object.values(subgraphs).map((subgraph) => [subgraph.name, subgraph.url]));
    try {
      gateway = await startGateway(runtime, { port: options.randomPorts ? 0 : undefined, subgraphUrls });
    } catch (error) {
      await stopSubgraphs();
      throw error;
    }
  }

  return {
    gateway,
    subgraphs,
    async stop() {
      await gateway?.stop();
      await stopSubgraphs();
    },
  };
}
