/** The benchmark subgraphs in a process of their own: `PORT=4200 node --import tsx bench/gateways/subgraphs/main.ts`. */
import { startBenchSubgraphs } from './server.ts';

const subgraphs = await startBenchSubgraphs({ port: Number(process.env.PORT ?? 4200) });
console.log(`benchmark subgraphs at ${subgraphs.baseUrl}/{accounts,inventory,products,reviews}`);
process.on('SIGTERM', () => void subgraphs.stop().then(() => process.exit(0)));
