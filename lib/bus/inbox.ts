import type { Database, Transaction } from '../db/index.ts';
import { inbox } from '../db/messaging.ts';
import type { EventEnvelope } from '../events.ts';

/**
 * Applies an event at most once per consumer, whatever the redeliveries. The inbox row and the effect
 * commit together: if `apply` throws, both roll back and a retry applies the event afresh. A concurrent
 * delivery of the same id waits on the first one's row and then sees it.
 *
 * Returns false when the event had already been applied.
 */
export async function handleOnce(
  db: Database,
  consumer: string,
  event: EventEnvelope,
  apply: (tx: Transaction) => Promise<void>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (!(await claimMessage(tx, consumer, event.id))) return false;
    await apply(tx);
    return true;
  });
}

/**
 * Records inside the caller's transaction that `consumer` processed `messageId`; false when it already
 * had. For consumers whose transaction also does other work (e.g. emits events through the outbox).
 */
export async function claimMessage(tx: Transaction, consumer: string, messageId: string): Promise<boolean> {
  const claimed = await tx.insert(inbox).values({ consumer, messageId }).onConflictDoNothing().returning({ messageId: inbox.messageId });
  return claimed.length > 0;
}
