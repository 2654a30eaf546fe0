/**
 * Generates SQL migrations with drizzle-kit from each `db/schema.ts`:
 *   npm run db:generate -- [name]
 * Every subgraph gets its own migrations folder; `lib/db/migrations` holds the shared outbox and inbox
 * tables alone, for the lib tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const name = process.argv[2];
const targets: Array<{ schema: string; out: string }> = [
  { schema: 'lib/db/messaging.ts', out: 'lib/db/migrations' },
  ...readdirSync('subgraphs', { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join('subgraphs', entry.name, 'db/schema.ts')))
    .map((entry) => ({ schema: `subgraphs/${entry.name}/db/schema.ts`, out: `subgraphs/${entry.name}/db/migrations` })),
];

for (const target of targets) {
  console.log(`\n# ${target.schema}`);
  execFileSync(
    'npx',
    ['drizzle-kit', 'generate', '--dialect', 'postgresql', '--schema', target.schema, '--out', target.out, ...(name ? ['--name', name] : [])],
    { stdio: 'inherit' },
  );
}
