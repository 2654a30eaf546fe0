import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type Message,
  type Options,
  type RecoveringChannelModel,
} from 'amqplib';
import { pino } from 'pino';
import { isEventEnvelope, type EventEnvelope } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { Bus, BusOptions, Consumer, ConsumerOptions, DeadLetter, EventHandler } from './types.ts';

export interface RabbitBusOptions extends BusOptions {
  /** Longest a `publish` waits for its confirm, waiting for a reconnect included. Default 5000 ms. */
  publishTimeoutMs?: number;
  /** Backoff between reconnect attempts after the connection is lost. Default 100 ms growing to 5000 ms. */
  reconnect?: { initialDelayMs: number; maxDelayMs: number };
}

type Settings = Required<RabbitBusOptions>;

/** Failed deliveries so far, carried by retried and dead-lettered copies. */
const ATTEMPTS_HEADER = 'x-attempts';
const ERROR_HEADER = 'x-error';
/** amqplib encodes headers into 64 KiB: a long error message must not make the republish itself fail. */
const MAX_ERROR_LENGTH = 1000;
const DEFAULT_DEAD_LETTER_LIMIT = 100;

/**
 * A durable consumer's queues: the queue itself, `<queue>.retry` where failed messages wait
 * `retryDelayMs` before dead-lettering back to it, and `<queue>.dlq` for what exhausted its attempts.
 */
export function durableQueueNames(queuePrefix: string, queue: string) {
  const main = `${queuePrefix}${queue}`;
  return { main, retry: `${main}.retry`, deadLetter: `${main}.dlq` };
}

/**
 * The RabbitMQ transport. Resolves once the first connection is up (retrying with backoff until it
 * is); later losses are recovered by amqplib, after which the exchange, every queue and every
 * consumer are declared again.
 */
export async function createRabbitBus(
  url: string,
  options: RabbitBusOptions,
  logger: Logger = pino({ level: 'silent' }),
): Promise<Bus> {
  const bus = new RabbitBus(
    {
      publishTimeoutMs: 5000,
      reconnect: { initialDelayMs: 100, maxDelayMs: 5000 },
      ...options,
    },
    logger,
  );
  await bus.start(url);
  return bus;
}

class RabbitBus implements Bus {
  readonly kind = 'rabbitmq';
  private connection!: RecoveringChannelModel;
  /** The connection being set up or in use; undefined while reconnecting. */
  private model: ChannelModel | undefined;
  /** Set once the connection is fully set up, which is when the bus can take messages. */
  private publisher: ConfirmChannel | undefined;
  private readonly subscriptions = new Set<Subscription>();
  private closing = false;
  /** Aborted by `close()`: wakes publishes still waiting for a connection. */
  private readonly lifetime = new AbortController();

  constructor(
    private readonly options: Settings,
    private readonly logger: Logger,
  ) {}

  async start(url: string): Promise<void> {
    this.connection = await connect(url, {
      recovery: {
        initialDelay: this.options.reconnect.initialDelayMs,
        maxDelay: this.options.reconnect.maxDelayMs,
        // Returns at once so the listeners below are in place before the first attempt.
        waitForConnect: false,
        setup: (model: ChannelModel) => this.setUp(model),
      },
    });
    this.connection.on('connect', () => this.logger.info('connected to RabbitMQ'));
    this.connection.on('disconnect', (err) => this.logger.warn({ err }, 'lost the RabbitMQ connection; reconnecting'));
    this.connection.on('connect-failed', (err) => this.logger.warn({ err }, 'could not connect to RabbitMQ; retrying'));
    this.connection.on('error', (err) => this.logger.warn({ err }, 'RabbitMQ connection error'));
    await this.connection.waitForConnect();
  }

  /** Runs on every (re)connection, before amqplib reports it connected; a failure makes it try again. */
  private async setUp(model: ChannelModel): Promise<void> {
    // amqplib listens for connection errors only once set-up succeeds; one before then must not crash the process.
    model.on('error', (err) => this.logger.debug({ err }, 'RabbitMQ connection error during set-up'));
    model.on('close', () => this.forget(model));
    this.model = model;
    const publisher = await model.createConfirmChannel();
    publisher.on('error', (err) => this.logger.warn({ err }, 'RabbitMQ publisher channel error'));
    publisher.on('close', () => this.restoreLostChannel(model));
    await publisher.assertExchange(this.options.exchange, 'topic', { durable: true });
    await Promise.all([...this.subscriptions].map((subscription) => subscription.attach(model)));
    this.publisher = publisher;
  }

  private forget(model: ChannelModel): void {
    if (this.model !== model) return;
    this.model = undefined;
    this.publisher = undefined;
  }

  /**
   * A channel can close while its connection stays up (a broker-side error, a deleted queue). A reconnect
   * is the one recovery path: it declares and subscribes everything again.
   */
  private restoreLostChannel(model: ChannelModel): void {
    // A lost connection closes its channels before itself: let that be seen first.
    setImmediate(() => {
      if (this.model !== model || this.closing) return;
      this.logger.warn('a RabbitMQ channel closed on its own; reconnecting to restore it');
      model.close().catch(() => {});
    });
  }

  async publish(event: EventEnvelope): Promise<void> {
    const { publishTimeoutMs, exchange } = this.options;
    const timeoutMessage = `publish of ${event.type} ${event.id} was not confirmed within ${publishTimeoutMs} ms`;
    await withDeadline(publishTimeoutMs, timeoutMessage, this.lifetime.signal, async (signal) => {
      const publisher = await this.readyPublisher(signal);
      await confirmed(
        (callback) => publisher.publish(exchange, event.type, encode(event), messageProperties(event), callback),
        signal,
      );
    });
  }

  /** Waits out a reconnect, within the caller's deadline. */
  private async readyPublisher(signal: AbortSignal): Promise<ConfirmChannel> {
    while (!this.publisher) {
      signal.throwIfAborted();
      await once(this.connection, 'connect', { signal }).catch((error: unknown) => {
        throw signal.aborted ? signal.reason : error;
      });
    }
    return this.publisher;
  }

  async consume(options: ConsumerOptions): Promise<Consumer> {
    if (this.closing) throw new Error('The RabbitMQ bus is closed');
    const subscription = new Subscription(options, {
      settings: this.options,
      logger: this.logger,
      onLost: (model) => this.restoreLostChannel(model),
    });
    this.subscriptions.add(subscription);
    const model = this.model;
    if (model) {
      try {
        await subscription.attach(model);
      } catch (error) {
        // Lost with its connection, it is attached again on reconnect; otherwise the broker refused it.
        if (this.model === model) {
          this.subscriptions.delete(subscription);
          throw error;
        }
      }
    }
    return {
      stop: async () => {
        this.subscriptions.delete(subscription);
        await subscription.stop();
      },
    };
  }

  async deadLetters(queue: string, limit = DEFAULT_DEAD_LETTER_LIMIT): Promise<DeadLetter[]> {
    if (!this.model || !this.publisher) throw new Error('Not connected to RabbitMQ');
    const channel = await this.model.createChannel();
    // A dead-letter queue that was never declared closes this channel with a 404, handled by readDeadLetters.
    channel.on('error', () => {});
    try {
      return await readDeadLetters(channel, durableQueueNames(this.options.queuePrefix, queue).deadLetter, queue, limit);
    } finally {
      // Closing the channel puts every message read but not acknowledged back, in its original order.
      await channel.close().catch(() => {});
    }
  }

  async queueDepth(queue: string): Promise<{ waiting: number; deadLettered: number }> {
    if (!this.model) throw new Error('Not connected to RabbitMQ');
    const names = durableQueueNames(this.options.queuePrefix, queue);
    const count = async (name: string) => {
      // A queue not declared yet closes the channel with a 404: it holds nothing.
      const channel = await this.model!.createChannel();
      channel.on('error', () => {});
      try {
        return (await channel.checkQueue(name)).messageCount;
      } catch {
        return 0;
      } finally {
        await channel.close().catch(() => {});
      }
    };
    const [waiting, deadLettered] = await Promise.all([count(names.main), count(names.deadLetter)]);
    return { waiting, deadLettered };
  }

  isConnected(): boolean {
    return this.publisher !== undefined && !this.closing;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Consumers first, so messages in flight are still acknowledged on a live connection.
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.subscriptions.clear();
    this.lifetime.abort(new Error('The RabbitMQ bus is closed'));
    await this.connection.close();
  }
}

interface SubscriptionContext {
  settings: Settings;
  logger: Logger;
  /** The consumer's channel or subscription went away while its connection looked alive. */
  onLost(model: ChannelModel): void;
}

/** One consumer: its queues and its channel on the current connection, made again after every reconnect. */
class Subscription {
  private readonly queues: ReturnType<typeof durableQueueNames>;
  private readonly logger: Logger;
  private attaching: { model: ChannelModel; done: Promise<void> } | undefined;
  private active: { channel: ConfirmChannel; consumerTag: string } | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly options: ConsumerOptions,
    private readonly context: SubscriptionContext,
  ) {
    this.queues = durableQueueNames(context.settings.queuePrefix, options.queue);
    this.logger = context.logger.child({ queue: options.queue });
  }

  /** Idempotent per connection: the bus's set-up and `consume` may both attach the same subscription. */
  attach(model: ChannelModel): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.attaching?.model !== model) this.attaching = { model, done: this.subscribe(model) };
    return this.attaching.done;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.attaching?.done.catch(() => {});
    const active = this.active;
    this.active = undefined;
    await active?.channel.cancel(active.consumerTag).catch(() => {});
    await Promise.allSettled(this.inFlight);
    await active?.channel.close().catch(() => {});
  }

  private async subscribe(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (err) => this.logger.warn({ err }, 'RabbitMQ consumer channel error'));
    channel.on('close', () => {
      if (this.active?.channel === channel && !this.stopped) this.context.onLost(model);
    });
    try {
      await channel.prefetch(this.options.prefetch ?? this.context.settings.prefetch);
      const queue = await this.declare(channel);
      const { consumerTag } = await channel.consume(queue, (message) => this.onDelivery(model, channel, message));
      this.active = { channel, consumerTag };
    } catch (error) {
      await channel.close().catch(() => {});
      throw error;
    }
  }

  private async declare(channel: Channel): Promise<string> {
    const { exchange } = this.context.settings;
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const queue = this.options.exclusive
      ? (await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false })).queue
      : await this.declareDurable(channel);
    for (const binding of this.options.bindings) await channel.bindQueue(queue, exchange, binding);
    return queue;
  }

  private async declareDurable(channel: Channel): Promise<string> {
    const { main, retry, deadLetter } = this.queues;
    await channel.assertQueue(main, { durable: true });
    // The delay is a per-message expiration rather than a queue TTL, so changing `retryDelayMs` never
    // conflicts with the arguments of an already declared queue.
    await channel.assertQueue(retry, { durable: true, deadLetterExchange: '', deadLetterRoutingKey: main });
    await channel.assertQueue(deadLetter, { durable: true });
    return main;
  }

  private onDelivery(model: ChannelModel, channel: ConfirmChannel, message: ConsumeMessage | null): void {
    if (message === null) {
      this.logger.warn('RabbitMQ cancelled the consumer');
      this.context.onLost(model);
      return;
    }
    const processing = this.process(channel, message);
    this.inFlight.add(processing);
    void processing.finally(() => this.inFlight.delete(processing));
  }

  private async process(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    try {
      if (this.options.exclusive) await this.settleExclusive(message);
      else await this.settleDurable(channel, message);
      channel.ack(message);
    } catch (error) {
      // The channel is gone (the broker redelivers by itself) or the broker refused a republish: hand it back.
      this.logger.warn({ err: error }, 'could not settle a message; returning it to the queue');
      try {
        channel.nack(message, false, true);
      } catch {
        // The channel closed: the broker has already put the message back.
      }
    }
  }

  /** Retries go through `<queue>.retry`, so a waiting message survives restarts and holds no prefetch slot. */
  private async settleDurable(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    const attempt = failedAttempts(message) + 1;
    const event = decodeEnvelope(message.content);
    if (!event) return this.republish(channel, this.queues.deadLetter, message, attempt, 'not a JSON event envelope');
    const failure = await runHandler(this.options.handler, event);
    if (failure === undefined) return;
    const log = { eventId: event.id, type: event.type, attempt, error: failure };
    if (attempt < this.context.settings.maxAttempts) {
      this.logger.warn(log, 'event handler failed; retrying after a delay');
      return this.republish(channel, this.queues.retry, message, attempt, failure, this.context.settings.retryDelayMs);
    }
    this.logger.error(log, 'event handler failed on every attempt; dead-lettering the message');
    return this.republish(channel, this.queues.deadLetter, message, attempt, failure);
  }

  /**
   * A server-named private queue has no retry queue of its own, so the retry waits here, holding its
   * prefetch slot; acceptable for per-instance fan-out such as live push, which then drops the message.
   */
  private async settleExclusive(message: ConsumeMessage): Promise<void> {
    const event = decodeEnvelope(message.content);
    if (!event) {
      this.logger.warn('dropping a message that is not a JSON event envelope');
      return;
    }
    const { maxAttempts, retryDelayMs } = this.context.settings;
    for (let attempt = 1; ; attempt++) {
      const failure = await runHandler(this.options.handler, event);
      if (failure === undefined) return;
      const log = { eventId: event.id, type: event.type, attempt, error: failure };
      if (attempt >= maxAttempts) {
        this.logger.error(log, 'event handler failed on every attempt; dropping the message');
        return;
      }
      this.logger.warn(log, 'event handler failed; retrying after a delay');
      await sleep(retryDelayMs);
    }
  }

  /** Sends a copy to one of this consumer's queues and waits for the broker to take it before the original is acked. */
  private republish(
    channel: ConfirmChannel,
    queue: string,
    message: Message,
    attempts: number,
    error: string,
    expirationMs?: number,
  ): Promise<void> {
    const { publishTimeoutMs } = this.context.settings;
    const properties: Options.Publish = {
      ...republishedProperties(message),
      expiration: expirationMs,
      headers: { [ATTEMPTS_HEADER]: attempts, [ERROR_HEADER]: error.slice(0, MAX_ERROR_LENGTH) },
    };
    const timeoutMessage = `republish to ${queue} was not confirmed within ${publishTimeoutMs} ms`;
    return withDeadline(publishTimeoutMs, timeoutMessage, undefined, (signal) =>
      confirmed((callback) => channel.sendToQueue(queue, message.content, properties, callback), signal),
    );
  }
}

async function readDeadLetters(
  channel: Channel,
  deadLetterQueue: string,
  queue: string,
  limit: number,
): Promise<DeadLetter[]> {
  try {
    await channel.checkQueue(deadLetterQueue);
  } catch {
    return []; // never declared: the queue was never consumed, or its consumers are exclusive
  }
  const letters: DeadLetter[] = [];
  for (let read = 0; read < limit; read++) {
    const message = await channel.get(deadLetterQueue, { noAck: false });
    if (!message) break;
    const letter = toDeadLetter(queue, message);
    if (letter) letters.push(letter);
  }
  return letters;
}

/** Messages that are not envelopes are left out: a `DeadLetter` carries an event. */
function toDeadLetter(queue: string, message: Message): DeadLetter | undefined {
  const event = decodeEnvelope(message.content);
  if (!event) return undefined;
  const error: unknown = message.properties.headers?.[ERROR_HEADER];
  return { queue, event, error: typeof error === 'string' ? error : '', attempts: failedAttempts(message) };
}

function failedAttempts(message: Message): number {
  const attempts: unknown = message.properties.headers?.[ATTEMPTS_HEADER];
  return typeof attempts === 'number' ? attempts : 0;
}

function encode(event: EventEnvelope): Buffer {
  return Buffer.from(JSON.stringify(event));
}

function decodeEnvelope(content: Buffer): EventEnvelope | undefined {
  try {
    const value: unknown = JSON.parse(content.toString('utf8'));
    return isEventEnvelope(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function messageProperties(event: EventEnvelope): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    messageId: event.id,
    type: event.type,
    correlationId: event.correlationId,
    appId: event.producer,
  };
}

function republishedProperties(message: Message): Options.Publish {
  const { contentType, messageId, type, correlationId, appId } = message.properties;
  return { persistent: true, contentType, messageId, type, correlationId, appId };
}

async function runHandler(handler: EventHandler, event: EventEnvelope): Promise<string | undefined> {
  try {
    await handler(event);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Settles on the broker's confirm (ack) or nack, or when `signal` aborts, whichever comes first. */
function confirmed(send: (callback: (error: unknown) => void) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    // A closed channel throws here, which rejects this promise.
    send((error) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve()));
  });
}

/**
 * Runs `work` with a signal that aborts after `ms` (or with `outer`); the timer never outlives the call.
 * Not `AbortSignal.any`: on Node 20 its combined signal is held weakly and can be collected while a
 * listener still waits on it, and the abort never comes (seen as a publish hanging under GC pressure).
 */
async function withDeadline<T>(
  ms: number,
  message: string,
  outer: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(message)), ms);
  const forward = () => deadline.abort(outer!.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });
  try {
    return await work(deadline.signal);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', forward);
  }
}
