/**
 * Hive Gateway on Node's HTTP server, default configuration, `Authorization` forwarded to the
 * subgraphs; `HIVE_ENGINE=router-runtime` swaps in `@graphql-hive/router-runtime`'s query planner
 * and executor.
 *
 *   SUPERGRAPH_PATH=... PORT=... [HIVE_ENGINE=router-runtime] node --import tsx bench/gateways/hive.ts
 */
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

const gateway = createGatewayRuntime({
  supergraph: process.env.SUPERGRAPH_PATH!,
  logging: 'error',
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
  },
  ...(process.env.HIVE_ENGINE === 'router-runtime' ? { unifiedGraphHandler } : {}),
});
createServer(gateway).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`hive gateway ready on ${process.env.PORT}`));
