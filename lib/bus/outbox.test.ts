import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { asc } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dropDatabases } from '../../test/helpers/real-services.ts';
import { realServices, uniqueName } from '../../test/helpers/services.ts';
import { openDatabase, withDatabase, type Database } from '../db/index.ts';
import { outbox } from '../db/messaging.ts';
import { createEnvelope, type EventEnvelope } from '../events.ts';
import { startOutboxRelay, writeToOutbox, type OutboxRelay, type OutboxRelayOptions } from './outbox.ts';
import type { Bus } from './types.ts';

const migrationsFolder = fileURLToPath(new URL('../db/migrations', import.meta.url));
const WAIT = { timeout: 5000, interval: 10 };

/** A migrated database for one suite, and more connections to it as other replicas would have. */
interface TestDatabase {
  db: Database;
  /** Another replica's connection to the same database (PGlite has one, so it is shared). */
  openReplica(): Promise<Database>;
  destroy(): Promise<void>;
}

async function pgliteDatabase(): Promise<TestDatabase> {
  const handle = await openDatabase({ kind: 'pglite', dataDir: undefined }, { migrationsFolder });
  return { db: handle.db, openReplica: async () => handle.db, destroy: handle.close };
}

async function postgresDatabase(serverUrl: string): Promise<TestDatabase> {
  // openDatabase creates the database; dropDatabases removes it.
  const name = uniqueName('outbox_test');
  const url = withDatabase(serverUrl, name);
  const handles = [await openDatabase({ kind: 'postgres', url }, { migrationsFolder })];
  return {
    db: handles[0]!.db,
    async openReplica() {
      const replica = await openDatabase({ kind: 'postgres', url, poolSize: 2 }, { migrationsFolder });
      handles.push(replica);
      return replica.db;
    },
    async destroy() {
      await Promise.all(handles.map((handle) => handle.close()));
      await dropDatabases(name, serverUrl);
    },
  };
}

/** A bus that records what it was given, and can be made to fail like an unreachable broker. */
function recordingBus() {
  const published: EventEnvelope[] = [];
  let failure: Error | undefined;
  const bus: Bus = {
    kind: 'in-process',
    async publish(event) {
      if (failure) throw failure;
      await sleep(Math.random() * 3); // lets two relays interleave
      published.push(structuredClone(event));
    },
    consume: () => Promise.reject(new Error('not used by the relay')),
    deadLetters: async () => [],
    queueDepth: async () => ({ waiting: 0, deadLettered: 0 }),
    isConnected: () => failure === undefined,
    close: async () => {},
  };
  return {
    bus,
    published,
    fail: (error: Error) => void (failure = error),
    recover: () => void (failure = undefined),
  };
}

const event = (type: string) => createEnvelope({ type, data: { type } }, { producer: 'tests' });
const ids = (events: EventEnvelope[]) => events.map((published) => published.id);

function outboxContract(open: () => Promise<TestDatabase>) {
  let database: TestDatabase;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.destroy();
  });
  beforeEach(async () => {
    await database.db.delete(outbox);
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
  });

  function startRelay(options: Partial<OutboxRelayOptions> & Pick<OutboxRelayOptions, 'bus'>): OutboxRelay {
    const relay = startOutboxRelay({ db: database.db, pollMs: 20, ...options });
    relays.push(relay);
    return relay;
  }

  const rows = () => database.db.select().from(outbox).orderBy(asc(outbox.createdAt));

  it('publishes nothing from a rolled-back transaction', async () => {
    const { bus, published } = recordingBus();
    await expect(
      database.db.transaction(async (tx) => {
        await writeToOutbox(tx, event('outbox.rolled-back'));
        throw new Error('the change was refused');
      }),
    ).rejects.toThrow('the change was refused');

    await startRelay({ bus }).drain();

    expect(published).toEqual([]);
    expect(await rows()).toEqual([]);
  });

  it('publishes committed rows once, oldest first, and marks them sent', async () => {
    const { bus, published } = recordingBus();
    const written = [event('outbox.first'), event('outbox.second'), event('outbox.third')];
    await database.db.transaction(async (tx) => {
      for (const message of written) await writeToOutbox(tx, message);
    });

    const relay = startRelay({ bus });
    await relay.drain();
    relay.nudge();
    await relay.drain();

    expect(ids(published)).toEqual(ids(written));
    expect(published[0]).toEqual(written[0]);
    for (const row of await rows()) {
      expect(row.sentAt).toBeInstanceOf(Date);
      expect(row).toMatchObject({ attempts: 1, lastError: null });
    }
  });

  it('publishes on a nudge without waiting for the next poll', async () => {
    const { bus, published } = recordingBus();
    const relay = startRelay({ bus, pollMs: 60_000 });
    await relay.drain();

    const message = event('outbox.nudged');
    await writeToOutbox(database.db, message);
    relay.nudge();

    await vi.waitFor(() => expect(ids(published)).toEqual([message.id]), { timeout: 2000, interval: 10 });
  });

  it('keeps rows while the bus fails, then publishes them once it recovers', async () => {
    const { bus, published, fail, recover } = recordingBus();
    fail(new Error('broker unreachable'));
    const message = event('outbox.delayed');
    await writeToOutbox(database.db, message);

    const relay = startRelay({ bus });
    await vi.waitFor(async () => {
      const [row] = await rows();
      expect(row).toMatchObject({ sentAt: null, lastError: 'broker unreachable' });
      expect(row!.attempts).toBeGreaterThanOrEqual(2);
    }, WAIT);
    expect(published).toEqual([]);

    recover();
    await relay.drain();

    expect(ids(published)).toEqual([message.id]);
    const [row] = await rows();
    expect(row!.sentAt).toBeInstanceOf(Date);
    expect(row!.lastError).toBeNull();
  });

  it('shares the rows between two relays on one database, publishing each exactly once', async () => {
    const first = recordingBus();
    const second = recordingBus();
    const written = Array.from({ length: 40 }, (_, n) => event(`outbox.shared.${n}`));
    for (let start = 0; start < written.length; start += 10) {
      await database.db.transaction(async (tx) => {
        for (const message of written.slice(start, start + 10)) await writeToOutbox(tx, message);
      });
    }

    const replica = await database.openReplica();
    const relays = [
      startRelay({ bus: first.bus, batchSize: 5 }),
      startRelay({ bus: second.bus, db: replica, batchSize: 5 }),
    ];
    await Promise.all(relays.map((relay) => relay.drain()));

    expect(ids([...first.published, ...second.published]).sort()).toEqual(ids(written).sort());
    // Both took part, or this would not show anything about sharing.
    expect(first.published.length).toBeGreaterThan(0);
    expect(second.published.length).toBeGreaterThan(0);
    expect((await rows()).every((row) => row.sentAt !== null && row.attempts === 1)).toBe(true);
  });
}

describe('outbox on PGlite', () => {
  outboxContract(pgliteDatabase);
});

describe.skipIf(!realServices.databaseUrl)('outbox on PostgreSQL', () => {
  outboxContract(() => postgresDatabase(realServices.databaseUrl!));
});
