import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { dropDatabases } from '../../test/helpers/real-services.ts';
import { realServices, uniqueName } from '../../test/helpers/services.ts';
import { loadConfig } from '../config.ts';
import { outbox } from './messaging.ts';
import { databaseTargetFor, isUniqueViolation, openDatabase, withDatabase, type DatabaseTarget } from './index.ts';

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** One body for both drivers: what the services rely on from `openDatabase`. */
function databaseContract(name: string, skip: boolean, target: () => { target: DatabaseTarget; cleanup(): Promise<void> }) {
  describe.skipIf(skip)(`openDatabase on ${name}`, () => {
    it('creates the database, applies the migrations and counts every statement', async () => {
      const { target: where, cleanup } = target();
      const statements: string[] = [];
      const handle = await openDatabase(where, { migrationsFolder, onQuery: (query) => statements.push(query) });
      statements.length = 0; // what the migrations ran, on drivers that run them through the same client
      try {
        expect(await handle.db.select().from(outbox)).toEqual([]);
        await handle.db.execute(sql`select 1`);
        expect(statements).toHaveLength(2);
      } finally {
        await handle.close();
        await cleanup();
      }
    });

    it('keeps its data across a reopen, and reports a unique violation as such', async () => {
      const { target: where, cleanup } = target();
      const row = { id: crypto.randomUUID(), type: 'test', envelope: {} };
      const first = await openDatabase(where, { migrationsFolder });
      await first.db.insert(outbox).values(row);
      await first.close();
      const second = await openDatabase(where, { migrationsFolder });
      try {
        expect(await second.db.select({ id: outbox.id }).from(outbox)).toEqual([{ id: row.id }]);
        const duplicate = await second.db.insert(outbox).values(row).catch((error: unknown) => error);
        expect(isUniqueViolation(duplicate)).toBe(true);
      } finally {
        await second.close();
        await cleanup();
      }
    });
  });
}

databaseContract('PGlite', false, () => {
  const dir = mkdtempSync(join(tmpdir(), 'skillgraph-db-'));
  return { target: { kind: 'pglite', dataDir: join(dir, 'nested', 'db') }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

databaseContract('PostgreSQL', !realServices.databaseUrl, () => {
  const name = uniqueName('db_test');
  return { target: { kind: 'postgres', url: withDatabase(realServices.databaseUrl!, name) }, cleanup: () => dropDatabases(name) };
});

describe.skipIf(!realServices.databaseUrl)('replicas starting together on PostgreSQL', () => {
  it('create the database and migrate it once, whoever comes first', async () => {
    const name = uniqueName('db_race');
    const target: DatabaseTarget = { kind: 'postgres', url: withDatabase(realServices.databaseUrl!, name) };
    try {
      const handles = await Promise.all(Array.from({ length: 4 }, () => openDatabase(target, { migrationsFolder })));
      const result = (await handles[0]!.db.execute(sql`select count(*)::int as count from drizzle.__drizzle_migrations`)) as unknown as { rows: Array<{ count: number }> };
      const [applied] = result.rows;
      expect(applied?.count).toBe(1);
      await Promise.all(handles.map((handle) => handle.close()));
    } finally {
      await dropDatabases(name);
    }
  });
});

describe('databaseTargetFor', () => {
  it('gives each subgraph its own PGlite directory, or its own database on the server', () => {
    expect(databaseTargetFor(loadConfig({ DATA_DIR: '/srv/data' }), 'teams')).toEqual({ kind: 'pglite', dataDir: '/srv/data/teams' });
    expect(databaseTargetFor(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/postgres' }), 'teams')).toMatchObject({
      kind: 'postgres',
      url: 'postgres://u:p@db:5432/skillgraph_teams',
    });
    expect(databaseTargetFor(loadConfig({ DATABASE_URL: 'postgres://db/postgres', TEAMS_DATABASE_URL: 'postgres://other/teams' }), 'teams')).toMatchObject({
      kind: 'postgres',
      url: 'postgres://other/teams',
    });
  });
});
