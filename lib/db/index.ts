import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Logger as DrizzleLogger } from 'drizzle-orm/logger';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import type { Config } from '../config.ts';

/** Both drivers give this type, so domain code runs unchanged on PGlite and on PostgreSQL. */
export type Database = PgDatabase<PgQueryResultHKT>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Anything that runs a query: the database itself or an open transaction. */
export type Executor = Database | Transaction;

export type DatabaseTarget =
  /** Embedded PostgreSQL (PGlite); `dataDir` undefined keeps it in memory. */
  | { kind: 'pglite'; dataDir: string | undefined }
  | { kind: 'postgres'; url: string; poolSize?: number };

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseTarget['kind'];
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  migrationsFolder: string;
  /** Called once per SQL statement: feeds the `sql_queries_total` metric and the query-count tests. */
  onQuery?: (sql: string) => void;
}

/** Where a subgraph's data lives: its own database on the configured server, or its own PGlite directory. */
export function databaseTargetFor(config: Config, subgraph: string): DatabaseTarget {
  const override = config.database.overrides[subgraph as keyof Config['database']['overrides']];
  if (override) return { kind: 'postgres', url: override, poolSize: config.database.poolSize };
  if (config.database.url) {
    return { kind: 'postgres', url: withDatabase(config.database.url, `${config.database.namePrefix}${subgraph}`), poolSize: config.database.poolSize };
  }
  return { kind: 'pglite', dataDir: resolve(config.dataDir, subgraph) };
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Opens a subgraph's database, creating it if missing, and applies its migrations. */
export async function openDatabase(target: DatabaseTarget, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const logger: DrizzleLogger | undefined = options.onQuery
    ? { logQuery: (query) => options.onQuery!(query) }
    : undefined;

  if (target.kind === 'pglite') {
    const client = await openPglite(target.dataDir);
    const db = drizzlePglite({ client, logger });
    // PGlite is a single connection inside this process: no other replica can race the migration.
    await migratePglite(db, { migrationsFolder: options.migrationsFolder });
    return { db: db as unknown as Database, kind: 'pglite', close: () => client.close() };
  }

  await ensureDatabaseExists(target.url);
  await migrateWithLock(target.url, options.migrationsFolder);
  const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
  // An idle client losing its connection (server restart) must not crash the process: the pool replaces it.
  pool.on('error', () => {});
  const db = drizzleNodePg({ client: pool, logger });
  return { db: db as unknown as Database, kind: 'postgres', close: () => pool.end() };
}

/**
 * Creating a PGlite cluster from scratch takes seconds (initdb in WebAssembly); loading a dump of a
 * fresh one takes a fraction of that. The first database of a process pays for the template, every
 * other one is loaded from it.
 */
let template: Promise<Blob> | undefined;
function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const fresh = await PGlite.create();
    try {
      return await fresh.dumpDataDir('none');
    } finally {
      await fresh.close();
    }
  })();
  return template;
}

async function openPglite(dataDir: string | undefined): Promise<PGlite> {
  if (dataDir && existsSync(join(dataDir, 'PG_VERSION'))) return PGlite.create(dataDir);
  if (dataDir) mkdirSync(dirname(dataDir), { recursive: true });
  const loadDataDir = await pgliteTemplate();
  return PGlite.create(dataDir, { loadDataDir });
}

const INVALID_CATALOG_NAME = '3D000';
const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';

/**
 * Creates the database when it is missing. `CREATE DATABASE` has no `IF NOT EXISTS`: a racing replica's
 * "already there" counts as success.
 */
async function ensureDatabaseExists(url: string): Promise<void> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== INVALID_CATALOG_NAME) throw error;
  } finally {
    await probe.end().catch(() => {});
  }
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw error;
  } finally {
    await admin.end();
  }
}

/** Replicas starting together take turns: the first applies the migrations, the others find nothing left to do. */
const MIGRATION_LOCK_KEY = 7_245_031_977;
async function migrateWithLock(url: string, migrationsFolder: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migrateNodePg(drizzleNodePg({ client }), { migrationsFolder });
  } finally {
    await client.end();
  }
}

/** The PostgreSQL error code of a failed query, looking through drizzle's wrapper. */
export function pgErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown) => pgErrorCode(error) === UNIQUE_VIOLATION;
