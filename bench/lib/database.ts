import { dropDatabases } from '../../test/helpers/real-services.ts';

/**
 * The subgraphs' databases for a benchmark: PostgreSQL when `BENCH_DATABASE_URL` is set (throwaway
 * databases of the run's own, dropped after), else PGlite, whose single on-disk connection caps what
 * a subgraph can do and says little about production.
 */
export function benchDatabase(): { label: string; env: Record<string, string>; cleanup(): Promise<void> } {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) return { label: 'PGlite (set BENCH_DATABASE_URL for PostgreSQL)', env: {}, cleanup: async () => {} };
  const prefix = `skillgraph_bench_${Date.now().toString(36)}_`;
  return { label: 'PostgreSQL', env: { DATABASE_URL: url, DATABASE_NAME_PREFIX: prefix }, cleanup: () => dropDatabases(prefix, url) };
}
