import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { realServices, uniqueName } from '../../test/helpers/services.ts';
import { createEnvelope, type EventEnvelope } from '../events.ts';
import { createInProcessBus, topicMatches } from './in-process.ts';
import { createRabbitBus, durableQueueNames } from './rabbitmq.ts';
import type { Bus, BusOptions, ConsumerOptions, EventHandler } from './types.ts';

const WAIT = { timeout: 5000, interval: 10 };
/** How long to keep watching for a message that must not arrive. */
const QUIET_MS = 200;

function busOptions(): BusOptions {
  return {
    exchange: uniqueName('test.events'),
    queuePrefix: `${uniqueName('test')}.`,
    prefetch: 4,
    maxAttempts: 3,
    retryDelayMs: 50,
  };
}

function event<TData>(type: string, data: TData): EventEnvelope<TData> {
  return createEnvelope({ type, data }, { producer: 'tests' });
}

/**
 * The behaviour both transports promise (types.ts), run against each. `open` gives a fresh bus on the
 * same exchange and queue prefix for every test; `queuesUsed` collects queue names for the clean-up.
 */
function busContract(open: () => Promise<Bus>, queuesUsed: Set<string>) {
  let bus: Bus;
  beforeEach(async () => {
    bus = await open();
  });
  afterEach(async () => {
    await bus.close();
  });

  async function consume(options: Omit<ConsumerOptions, 'handler'>, handler: EventHandler = async () => {}) {
    queuesUsed.add(options.queue);
    const received: EventEnvelope[] = [];
    const consumer = await bus.consume({
      ...options,
      handler: async (delivered) => {
        received.push(delivered);
        await handler(delivered);
      },
    });
    return { received, consumer };
  }

  const types = (events: EventEnvelope[]) => events.map((delivered) => delivered.type).sort();

  it('routes by exact type and by * and # wildcards', async () => {
    const exact = await consume({ queue: 'routing.exact', bindings: ['routing.order.placed'] });
    const oneWord = await consume({ queue: 'routing.one-word', bindings: ['routing.order.*'] });
    const anyDepth = await consume({ queue: 'routing.any-depth', bindings: ['routing.#'] });

    for (const type of ['routing.order.placed', 'routing.order.shipped', 'routing.order.placed.late', 'routing.invoice']) {
      await bus.publish(event(type, {}));
    }

    await vi.waitFor(() => {
      expect(exact.received).toHaveLength(1);
      expect(oneWord.received).toHaveLength(2);
      expect(anyDepth.received).toHaveLength(4);
    }, WAIT);
    await sleep(QUIET_MS);
    expect(types(exact.received)).toEqual(['routing.order.placed']);
    expect(types(oneWord.received)).toEqual(['routing.order.placed', 'routing.order.shipped']);
    expect(anyDepth.received).toHaveLength(4);
  });

  it('keeps what a durable queue receives while its consumer is stopped, in order', async () => {
    const options = { queue: 'durable.orders', bindings: ['durable.#'] };
    const first = await consume(options);
    await first.consumer.stop();

    const published = [event('durable.one', { n: 1 }), event('durable.two', { n: 2 })];
    for (const message of published) await bus.publish(message);
    // The consumer's lag, as the metrics read it.
    await vi.waitFor(async () => expect(await bus.queueDepth(options.queue)).toEqual({ waiting: 2, deadLettered: 0 }), WAIT);

    const resumed = await consume(options);
    await vi.waitFor(() => expect(resumed.received).toHaveLength(2), WAIT);
    expect(resumed.received.map((delivered) => delivered.id)).toEqual(published.map((message) => message.id));
    expect(first.received).toHaveLength(0);
  });

  it('retries a failing handler after the retry delay, then succeeds', async () => {
    const attemptsAt: number[] = [];
    await consume({ queue: 'retry.flaky', bindings: ['retry.flaky'] }, async () => {
      attemptsAt.push(Date.now());
      if (attemptsAt.length < 3) throw new Error('not yet');
    });

    await bus.publish(event('retry.flaky', {}));

    await vi.waitFor(() => expect(attemptsAt).toHaveLength(3), WAIT);
    await sleep(QUIET_MS);
    expect(attemptsAt).toHaveLength(3);
    // 50 ms delay; timers may fire a little early.
    expect(attemptsAt[1]! - attemptsAt[0]!).toBeGreaterThanOrEqual(40);
    expect(await bus.deadLetters('retry.flaky')).toEqual([]);
  });

  it('dead-letters a message after maxAttempts deliveries, with the error and attempt count', async () => {
    const poisoned = event('retry.poisoned', { reason: 'always fails' });
    const { received } = await consume({ queue: 'retry.poisoned', bindings: ['retry.poisoned'] }, async () => {
      throw new Error('cannot handle this');
    });

    await bus.publish(poisoned);

    await vi.waitFor(async () => expect(await bus.deadLetters('retry.poisoned')).toHaveLength(1), WAIT);
    const [letter] = await bus.deadLetters('retry.poisoned');
    expect(letter).toEqual({ queue: 'retry.poisoned', event: poisoned, error: 'cannot handle this', attempts: 3 });
    expect(received).toHaveLength(3);
    // Reading dead letters leaves them in place.
    expect(await bus.deadLetters('retry.poisoned')).toHaveLength(1);
    expect(await bus.queueDepth('retry.poisoned')).toEqual({ waiting: 0, deadLettered: 1 });
    expect(await bus.queueDepth('never.declared')).toEqual({ waiting: 0, deadLettered: 0 });
  });

  it('runs at most `prefetch` handlers of a queue at a time', async () => {
    let running = 0;
    let peak = 0;
    const { received } = await consume({ queue: 'prefetch.bounded', bindings: ['prefetch.#'], prefetch: 2 }, async () => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(30);
      running -= 1;
    });

    for (let n = 0; n < 8; n++) await bus.publish(event('prefetch.job', { n }));

    await vi.waitFor(() => expect(received).toHaveLength(8), WAIT);
    await vi.waitFor(() => expect(running).toBe(0), WAIT);
    expect(peak).toBe(2);
  });

  it('gives each exclusive consumer its own copy, and nothing once it stopped', async () => {
    const first = await consume({ queue: 'live.push', bindings: ['live.#'], exclusive: true });
    const second = await consume({ queue: 'live.push', bindings: ['live.#'], exclusive: true });
    const unrelated = await consume({ queue: 'live.unrelated', bindings: ['elsewhere.#'] });

    await bus.publish(event('live.notification', { n: 1 }));
    await vi.waitFor(() => {
      expect(first.received).toHaveLength(1);
      expect(second.received).toHaveLength(1);
    }, WAIT);

    await first.consumer.stop();
    await bus.publish(event('live.notification', { n: 2 }));
    await vi.waitFor(() => expect(second.received).toHaveLength(2), WAIT);
    await sleep(QUIET_MS);
    expect(first.received).toHaveLength(1);
    expect(unrelated.received).toHaveLength(0);
  });

  it('delivers every envelope field unchanged, as a copy the producer cannot touch', async () => {
    const { received } = await consume({ queue: 'envelope.fields', bindings: ['envelope.checked'] });
    const published = createEnvelope(
      { type: 'envelope.checked', version: 3, data: { nested: { list: [1, 2], flag: true }, text: 'zoë', none: null } },
      { producer: 'tests', correlationId: 'request-42', now: new Date('2026-11-21T10:00:00.000Z') },
    );
    const snapshot = structuredClone(published);

    await bus.publish(published);
    published.data.nested.list.push(3);

    await vi.waitFor(() => expect(received).toHaveLength(1), WAIT);
    expect(received[0]).toEqual(snapshot);
    expect(received[0]).not.toBe(published);
  });
}

describe('in-process bus', () => {
  const options = busOptions();
  busContract(async () => createInProcessBus(options), new Set());
});

describe.skipIf(!realServices.amqpUrl)('RabbitMQ bus', () => {
  const url = realServices.amqpUrl!;
  const options = busOptions();
  const queuesUsed = new Set<string>();
  const openBus = () =>
    createRabbitBus(url, { ...options, publishTimeoutMs: 2000, reconnect: { initialDelayMs: 100, maxDelayMs: 1000 } });

  afterAll(async () => {
    const connection = await connect(url);
    const channel = await connection.createChannel();
    for (const queue of queuesUsed) {
      for (const name of Object.values(durableQueueNames(options.queuePrefix, queue))) await channel.deleteQueue(name);
    }
    await channel.deleteExchange(options.exchange);
    await connection.close();
  });

  busContract(openBus, queuesUsed);

  describe('on the wire', () => {
    it('publishes persistent JSON with the envelope in its properties', async () => {
      const bus = await openBus();
      const connection = await connect(url);
      try {
        const channel = await connection.createChannel();
        const { queue } = await channel.assertQueue('', { exclusive: true });
        await channel.bindQueue(queue, options.exchange, 'wire.checked');
        const published = createEnvelope(
          { type: 'wire.checked', data: { ok: true } },
          { producer: 'tests', correlationId: 'req-7' },
        );

        await bus.publish(published);

        const message = await vi.waitFor(async () => {
          const got = await channel.get(queue, { noAck: true });
          if (!got) throw new Error('not there yet');
          return got;
        }, WAIT);
        expect(JSON.parse(message.content.toString())).toEqual(published);
        expect(message.fields.routingKey).toBe('wire.checked');
        expect(message.properties).toMatchObject({
          deliveryMode: 2,
          contentType: 'application/json',
          messageId: published.id,
          type: 'wire.checked',
          correlationId: 'req-7',
        });
      } finally {
        await connection.close();
        await bus.close();
      }
    });

    it('sends what is not an event envelope straight to the dead-letter queue', async () => {
      const bus = await openBus();
      const connection = await connect(url);
      try {
        queuesUsed.add('wire.malformed');
        const handled: EventEnvelope[] = [];
        const handler = async (delivered: EventEnvelope) => void handled.push(delivered);
        await bus.consume({ queue: 'wire.malformed', bindings: ['wire.malformed'], handler });
        const channel = await connection.createChannel();
        channel.publish(options.exchange, 'wire.malformed', Buffer.from('{not json'));
        channel.publish(options.exchange, 'wire.malformed', Buffer.from(JSON.stringify({ id: 'no envelope' })));

        const { deadLetter } = durableQueueNames(options.queuePrefix, 'wire.malformed');
        await vi.waitFor(async () => expect((await channel.checkQueue(deadLetter)).messageCount).toBe(2), WAIT);
        expect(handled).toEqual([]);
        // A DeadLetter carries an event, so these are left out of deadLetters().
        expect(await bus.deadLetters('wire.malformed')).toEqual([]);
      } finally {
        await connection.close();
        await bus.close();
      }
    });
  });
});

describe('topicMatches', () => {
  it.each([
    ['user.registered', 'user.registered', true],
    ['user.registered', 'user.updated', false],
    ['user.*', 'user.registered', true],
    ['user.*', 'user', false],
    ['user.*', 'user.skill.added', false],
    ['user.#', 'user', true],
    ['user.#', 'user.skill.added', true],
    ['#', 'anything.at.all', true],
    ['*.completed', 'quiz.completed', true],
    ['#.completed', 'contract.quiz.completed', true],
    ['team.#.left', 'team.member.left', true],
    ['team.#.left', 'team.left', true],
    ['team.#.left', 'team.member.joined', false],
  ])('%s matches %s: %s', (pattern, routingKey, expected) => {
    expect(topicMatches(pattern, routingKey)).toBe(expected);
  });
});
