import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { realServices, uniqueName } from '../../test/helpers/services.ts';
import { startTcpProxy, type TcpProxy } from '../../test/helpers/tcp-proxy.ts';
import { openDatabase, type DatabaseHandle } from '../db/index.ts';
import { outbox } from '../db/messaging.ts';
import { createEnvelope, type EventEnvelope } from '../events.ts';
import { startOutboxRelay, writeToOutbox, type OutboxRelay } from './outbox.ts';
import { createRabbitBus, durableQueueNames, type RabbitBusOptions } from './rabbitmq.ts';
import type { Bus } from './types.ts';

const migrationsFolder = fileURLToPath(new URL('../db/migrations', import.meta.url));
/** Reconnecting takes up to `reconnect.maxDelayMs` after the link is back, plus a failed publish or two. */
const RECOVERY = { timeout: 10_000, interval: 20 };
const QUIET_MS = 300;

const event = (type: string) => createEnvelope({ type, data: {} }, { producer: 'tests' });
const occurrences = (events: EventEnvelope[], id: string) => events.filter((received) => received.id === id).length;

/**
 * The broker stays up; the link to it goes down. A relay and a consumer reach RabbitMQ through a proxy
 * the test cuts, while a witness consumer is connected directly.
 */
describe.skipIf(!realServices.amqpUrl)('RabbitMQ outage', () => {
  const amqpUrl = realServices.amqpUrl!;
  const options: RabbitBusOptions = {
    exchange: uniqueName('test.outage'),
    queuePrefix: `${uniqueName('test')}.`,
    prefetch: 4,
    maxAttempts: 3,
    retryDelayMs: 50,
    publishTimeoutMs: 500,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
  };
  const queues = ['outage.witness', 'outage.proxied'];

  let proxy: TcpProxy;
  let direct: Bus;
  let proxied: Bus;
  let database: DatabaseHandle;
  let relay: OutboxRelay;
  const witnessed: EventEnvelope[] = [];
  const proxiedReceived: EventEnvelope[] = [];

  beforeAll(async () => {
    const broker = new URL(amqpUrl);
    proxy = await startTcpProxy(broker.hostname, Number(broker.port || 5672));
    const throughProxy = new URL(amqpUrl);
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);

    direct = await createRabbitBus(amqpUrl, options);
    proxied = await createRabbitBus(throughProxy.toString(), options);
    await direct.consume({ queue: queues[0]!, bindings: ['outage.#'], handler: async (e) => void witnessed.push(e) });
    await proxied.consume({ queue: queues[1]!, bindings: ['outage.#'], handler: async (e) => void proxiedReceived.push(e) });

    database = await openDatabase({ kind: 'pglite', dataDir: undefined }, { migrationsFolder });
    relay = startOutboxRelay({ db: database.db, bus: proxied, pollMs: 50 });
  });

  afterEach(() => proxy.restore());

  afterAll(async () => {
    await relay?.stop();
    await database?.close();
    await proxied?.close();
    await direct?.close();
    await proxy?.close();
    const connection = await connect(amqpUrl);
    const channel = await connection.createChannel();
    for (const queue of queues) {
      for (const name of Object.values(durableQueueNames(options.queuePrefix, queue))) await channel.deleteQueue(name);
    }
    await channel.deleteExchange(options.exchange);
    await connection.close();
  });

  async function cutAndWaitForDisconnect() {
    proxy.cut();
    await vi.waitFor(() => expect(proxied.isConnected()).toBe(false), RECOVERY);
  }

  it('publishes an outbox event committed during the outage exactly once after it', async () => {
    const before = event('outage.before');
    await writeToOutbox(database.db, before);
    relay.nudge();
    await vi.waitFor(() => expect(occurrences(witnessed, before.id)).toBe(1), RECOVERY);

    await cutAndWaitForDisconnect();
    const during = event('outage.during');
    await writeToOutbox(database.db, during);
    relay.nudge();
    const rowOf = async () => (await database.db.select().from(outbox).where(eq(outbox.id, during.id)))[0]!;
    await vi.waitFor(async () => expect((await rowOf()).attempts).toBeGreaterThanOrEqual(1), RECOVERY);
    expect(await rowOf()).toMatchObject({ sentAt: null });

    proxy.restore();

    await vi.waitFor(() => expect(occurrences(witnessed, during.id)).toBe(1), RECOVERY);
    await relay.drain();
    // The consumer behind the proxy subscribed again and gets it too.
    await vi.waitFor(() => expect(occurrences(proxiedReceived, during.id)).toBe(1), RECOVERY);
    await sleep(QUIET_MS);
    expect(occurrences(witnessed, during.id)).toBe(1);
    expect(occurrences(proxiedReceived, during.id)).toBe(1);
  });

  it('rejects a publish within its timeout while cut, and resumes consuming after restore', async () => {
    await cutAndWaitForDisconnect();
    const startedAt = Date.now();
    await expect(proxied.publish(event('outage.refused'))).rejects.toThrow(/not confirmed within 500 ms/);
    expect(Date.now() - startedAt).toBeLessThan(2000);

    // Waits in the proxied consumer's durable queue until it is back.
    const queued = event('outage.queued');
    await direct.publish(queued);

    proxy.restore();

    await vi.waitFor(() => expect(occurrences(proxiedReceived, queued.id)).toBe(1), RECOVERY);
    await vi.waitFor(() => expect(proxied.isConnected()).toBe(true), RECOVERY);
    const after = event('outage.after');
    await proxied.publish(after);
    await vi.waitFor(() => {
      expect(occurrences(proxiedReceived, after.id)).toBe(1);
      expect(occurrences(witnessed, after.id)).toBe(1);
    }, RECOVERY);
  });
});
