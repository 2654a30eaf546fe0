import { asc, count, eq, inArray, isNull, sql } from 'drizzle-orm';
import { pino } from 'pino';
import type { Database, Executor } from '../db/index.ts';
import { outbox } from '../db/messaging.ts';
import type { EventEnvelope } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { Bus } from './types.ts';

/** Writes the event to the outbox. Call it inside the transaction that makes the change it announces. */
export async function writeToOutbox(tx: Executor, event: EventEnvelope): Promise<void> {
  await tx.insert(outbox).values({
    id: event.id,
    type: event.type,
    envelope: event,
    // `now()` is the transaction's start time, so events written by one transaction would tie;
    // the clock keeps them in the order they were written.
    createdAt: sql`clock_timestamp()`,
  });
}

export interface OutboxRelayOptions {
  db: Database;
  bus: Bus;
  /** Time between passes when nothing nudges the relay. */
  pollMs: number;
  logger?: Logger;
  /** Rows published per transaction. Default 100. */
  batchSize?: number;
  /** Told of every event the bus confirmed (metrics). */
  onPublished?: (event: EventEnvelope) => void;
}

export interface OutboxRelay {
  /** Runs a pass now (call it after a commit that wrote to the outbox); concurrent nudges share one pass. */
  nudge(): void;
  /** Resolves once no unsent row remains; rejects if the relay stops first. */
  drain(): Promise<void>;
  /** Stops polling and waits for the pass in progress. */
  stop(): Promise<void>;
}

/** After failures, passes slow down to at most this, so an outage is not hammered. */
const MAX_BACKOFF_MS = 30_000;

type PassOutcome = 'idle' | 'more' | 'failed';

/**
 * Publishes what the outbox holds, oldest first, and marks it sent. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED` inside a transaction, so relays of several replicas share the work without
 * publishing a row twice; a crash between publish and commit publishes it again (at least once: consumers
 * deduplicate through their inbox). Nothing escapes the loop: while the bus or the database is down,
 * rows simply wait.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, bus, pollMs, batchSize = 100, logger = pino({ level: 'silent' }), onPublished } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let nudged = false;
  let stopped = false;
  let consecutiveFailures = 0;
  /** Woken at the end of every cycle, so `drain` can wait for the next one. */
  const cycleWaiters = new Set<() => void>();

  async function publishBatch(): Promise<PassOutcome> {
    return db.transaction(async (tx) => {
      const rows = await tx
        .select({ id: outbox.id, envelope: outbox.envelope })
        .from(outbox)
        .where(isNull(outbox.sentAt))
        .orderBy(asc(outbox.createdAt))
        .limit(batchSize)
        .for('update', { skipLocked: true });

      const sent: string[] = [];
      let failure: { id: string; error: unknown } | undefined;
      for (const row of rows) {
        try {
          await bus.publish(row.envelope as EventEnvelope);
          sent.push(row.id);
          onPublished?.(row.envelope as EventEnvelope);
        } catch (error) {
          // Stop at the first failure: later rows keep their order, and a down broker is not asked again per row.
          failure = { id: row.id, error };
          break;
        }
      }

      if (sent.length > 0) {
        await tx
          .update(outbox)
          .set({ sentAt: sql`now()`, attempts: sql`${outbox.attempts} + 1`, lastError: null })
          .where(inArray(outbox.id, sent));
      }
      if (failure) {
        await tx
          .update(outbox)
          .set({ attempts: sql`${outbox.attempts} + 1`, lastError: describeError(failure.error) })
          .where(eq(outbox.id, failure.id));
        logger.warn({ err: failure.error, outboxId: failure.id }, 'could not publish an outbox event; it will be retried');
        return 'failed';
      }
      return rows.length === batchSize ? 'more' : 'idle';
    });
  }

  /** Batches until the outbox is empty, a publish fails, or the relay stops. */
  async function cycle(): Promise<void> {
    let outcome: PassOutcome;
    do {
      nudged = false;
      try {
        outcome = await publishBatch();
      } catch (error) {
        logger.warn({ err: error }, 'outbox relay pass failed; retrying later');
        outcome = 'failed';
      }
    } while (!stopped && outcome !== 'failed' && (outcome === 'more' || nudged));
    consecutiveFailures = outcome === 'failed' ? consecutiveFailures + 1 : 0;
  }

  function nextDelay(): number {
    if (consecutiveFailures === 0) return pollMs;
    return Math.min(pollMs * 2 ** consecutiveFailures, Math.max(MAX_BACKOFF_MS, pollMs));
  }

  function run(): void {
    if (stopped) return;
    if (running) {
      nudged = true;
      return;
    }
    clearTimeout(timer);
    running = cycle().finally(() => {
      running = undefined;
      wakeCycleWaiters();
      if (!stopped) timer = setTimeout(run, nextDelay());
    });
  }

  function nextCycleEnd(): Promise<void> {
    return new Promise((resolve) => cycleWaiters.add(resolve));
  }

  function wakeCycleWaiters(): void {
    for (const wake of cycleWaiters) wake();
    cycleWaiters.clear();
  }

  async function hasUnsentRows(): Promise<boolean> {
    const [row] = await db.select({ unsent: count() }).from(outbox).where(isNull(outbox.sentAt));
    return (row?.unsent ?? 0) > 0;
  }

  run();

  return {
    nudge: run,

    async drain() {
      run();
      for (;;) {
        if (stopped) throw new Error('The outbox relay stopped before the outbox was drained');
        // Count only after a whole cycle that began after this call, so rows written before it had their pass.
        await nextCycleEnd();
        if (!(await hasUnsentRows())) return;
      }
    },

    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      wakeCycleWaiters();
    },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
