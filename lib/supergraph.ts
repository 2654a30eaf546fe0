import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, type SubgraphName } from './config.ts';

export const SUPERGRAPH_FILE = 'schema/supergraph.graphql';

/** Every subgraph SDL in the repo, with the URL its default port gives it. */
export function localSubgraphs(root = '.'): Array<{ name: string; url: string; sdl: string }> {
  const folder = join(root, 'subgraphs');
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(folder, entry.name, 'schema.graphql')))
    .map((entry) => entry.name)
    .sort((a, b) => SUBGRAPH_NAMES.indexOf(a as SubgraphName) - SUBGRAPH_NAMES.indexOf(b as SubgraphName))
    .map((name) => ({
      name,
      url: `http://localhost:${DEFAULT_PORTS[name as SubgraphName]}/graphql`,
      sdl: readFileSync(join(folder, name, 'schema.graphql'), 'utf8'),
    }));
}

/** Composes subgraph SDLs into a supergraph with @apollo/composition; composition errors are thrown together. */
export function composeSupergraph(subgraphs: Array<{ name: string; url: string; sdl: string }>): string {
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (result.errors) throw new Error(`Composition failed:\n${result.errors.map((error) => `  ${error.message}`).join('\n')}`);
  return result.supergraphSdl;
}
