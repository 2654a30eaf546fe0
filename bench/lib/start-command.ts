import { readFileSync } from 'node:fs';

/**
 * Node's arguments for a Skillgraph service as `npm start -- <service>` runs it (package.json's
 * `start` script), so the benchmarks measure the gateway with the flags it ships with, no others.
 */
export function serviceArgs(service: string): string[] {
  const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = scripts.start.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`package.json's start script should run node, not ${command}`);
  return [...args, service];
}
