/** `npm run compose`: rebuilds schema/supergraph.graphql from subgraphs/*\/schema.graphql. */
import { writeFileSync } from 'node:fs';
import { composeSupergraph, localSubgraphs, SUPERGRAPH_FILE } from '../lib/supergraph.ts';

const subgraphs = localSubgraphs();
writeFileSync(SUPERGRAPH_FILE, composeSupergraph(subgraphs));
console.log(`${SUPERGRAPH_FILE}: composed from ${subgraphs.map((s) => s.name).join(', ')}`);
