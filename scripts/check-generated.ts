/**
 * `npm run check` (after tsc): fails when a generated file is stale, i.e. when a subgraph's SDL
 * changed without `npm run codegen` and `npm run compose`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeSupergraph, localSubgraphs, SUPERGRAPH_FILE } from '../lib/supergraph.ts';

const stale: string[] = [];

if (composeSupergraph(localSubgraphs()) !== readFileSync(SUPERGRAPH_FILE, 'utf8')) stale.push(`${SUPERGRAPH_FILE} (run npm run compose)`);

// Run codegen on a copy of the tree and compare its output with what is committed.
const copy = mkdtempSync(join(tmpdir(), 'skillgraph-codegen-'));
try {
  cpSync('subgraphs', join(copy, 'subgraphs'), { recursive: true });
  cpSync('codegen.ts', join(copy, 'codegen.ts'));
  symlinkSync(join(process.cwd(), 'node_modules'), join(copy, 'node_modules'));
  execFileSync(join(process.cwd(), 'node_modules/.bin/graphql-codegen'), ['--config', 'codegen.ts', '--silent'], { cwd: copy, stdio: 'inherit' });
  for (const { name } of localSubgraphs()) {
    const file = join('subgraphs', name, 'generated/resolvers.ts');
    if (readFileSync(file, 'utf8') !== readFileSync(join(copy, file), 'utf8')) stale.push(`${file} (run npm run codegen)`);
  }
} finally {
  rmSync(copy, { recursive: true, force: true });
}

if (stale.length) {
  console.error(`Stale generated files:\n${stale.map((file) => `  ${file}`).join('\n')}`);
  process.exit(1);
}
console.log('Generated files are up to date.');
