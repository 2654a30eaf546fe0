import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { pgTable, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dropDatabases } from '../../test/helpers/real-services.ts';
import { realServices, uniqueName } from '../../test/helpers/services.ts';
import { openDatabase, withDatabase, type Database, type DatabaseHandle, type Transaction } from '../db/index.ts';
import { inbox } from '../db/messaging.ts';
import { createEnvelope } from '../events.ts';
import { handleOnce } from './inbox.ts';

const migrationsFolder = fileURLToPath(new URL('../db/migrations', import.meta.url));

interface TestDatabase {
  db: Database;
  destroy(): Promise<void>;
}

async function pgliteDatabase(): Promise<TestDatabase> {
  const handle = await openDatabase({ kind: 'pglite', dataDir: undefined }, { migrationsFolder });
  return { db: handle.db, destroy: handle.close };
}

async function postgresDatabase(serverUrl: string): Promise<TestDatabase> {
  // openDatabase creates the database; dropDatabases removes it.
  const name = uniqueName('inbox_test');
  const handle: DatabaseHandle = await openDatabase({ kind: 'postgres', url: withDatabase(serverUrl, name) }, { migrationsFolder });
  return {
    db: handle.db,
    async destroy() {
      await handle.close();
      await dropDatabases(name, serverUrl);
    },
  };
}

/** Stands in for a consumer's own table: the effect an event has. */
const effects = pgTable('effects', { eventId: text('event_id').notNull() });

const event = () => createEnvelope({ type: 'user.registered', data: { name: 'Ada' } }, { producer: 'tests' });

function inboxContract(open: () => Promise<TestDatabase>) {
  let db: Database;
  let destroy: () => Promise<void>;

  beforeAll(async () => {
    ({ db, destroy } = await open());
    await db.execute(sql`CREATE TABLE effects (event_id text NOT NULL)`);
  });
  afterAll(async () => {
    await destroy?.();
  });
  beforeEach(async () => {
    await db.delete(effects);
    await db.delete(inbox);
  });

  const recordEffect = (eventId: string) => async (tx: Transaction) => {
    await tx.insert(effects).values({ eventId });
  };
  const appliedEffects = () => db.select().from(effects);

  it('applies a redelivered event once', async () => {
    const delivered = event();

    expect(await handleOnce(db, 'teams.user-replica', delivered, recordEffect(delivered.id))).toBe(true);
    expect(await handleOnce(db, 'teams.user-replica', delivered, recordEffect(delivered.id))).toBe(false);

    expect(await appliedEffects()).toEqual([{ eventId: delivered.id }]);
    expect(await db.select().from(inbox)).toMatchObject([{ consumer: 'teams.user-replica', messageId: delivered.id }]);
  });

  it('lets each consumer apply the same event', async () => {
    const delivered = event();

    expect(await handleOnce(db, 'teams.user-replica', delivered, recordEffect(delivered.id))).toBe(true);
    expect(await handleOnce(db, 'notifications.feed', delivered, recordEffect(delivered.id))).toBe(true);

    expect(await appliedEffects()).toHaveLength(2);
  });

  it('keeps no inbox row when apply fails, so a retry applies the event', async () => {
    const delivered = event();
    const failing = async (tx: Transaction) => {
      await recordEffect(delivered.id)(tx);
      throw new Error('replica unavailable');
    };

    await expect(handleOnce(db, 'teams.user-replica', delivered, failing)).rejects.toThrow('replica unavailable');
    expect(await db.select().from(inbox)).toEqual([]);
    expect(await appliedEffects()).toEqual([]);

    expect(await handleOnce(db, 'teams.user-replica', delivered, recordEffect(delivered.id))).toBe(true);
    expect(await appliedEffects()).toEqual([{ eventId: delivered.id }]);
  });

  it('applies concurrent deliveries of one event once', async () => {
    const delivered = event();
    const slowEffect = async (tx: Transaction) => {
      await sleep(50);
      await recordEffect(delivered.id)(tx);
    };

    const outcomes = await Promise.all([
      handleOnce(db, 'teams.user-replica', delivered, slowEffect),
      handleOnce(db, 'teams.user-replica', delivered, slowEffect),
    ]);

    expect(outcomes.sort()).toEqual([false, true]);
    expect(await appliedEffects()).toHaveLength(1);
  });
}

describe('inbox on PGlite', () => {
  inboxContract(pgliteDatabase);
});

describe.skipIf(!realServices.databaseUrl)('inbox on PostgreSQL', () => {
  inboxContract(() => postgresDatabase(realServices.databaseUrl!));
});
