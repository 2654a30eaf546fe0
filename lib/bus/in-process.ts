import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { EventEnvelope } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { Bus, BusOptions, Consumer, ConsumerOptions, DeadLetter, EventHandler } from './types.ts';

/**
 * A message as a queue holds it: the serialized envelope, so every delivery hands the handler a fresh
 * object (as a broker would) and nothing a producer or an earlier attempt did to it leaks through.
 */
interface StoredMessage {
  body: string;
  /** Deliveries that already failed. */
  failures: number;
}

interface StoredDeadLetter {
  body: string;
  error: string;
  attempts: number;
}

interface MemoryConsumer {
  handler: EventHandler;
  prefetch: number;
  inFlight: Set<Promise<void>>;
}

interface MemoryQueue {
  /** The name consumers asked for, without the prefix: what dead letters report. */
  logicalName: string;
  exclusive: boolean;
  patterns: Set<string>;
  ready: StoredMessage[];
  consumers: MemoryConsumer[];
  /** Round-robin position among competing consumers, as a broker dispatches. */
  nextConsumer: number;
  deadLetters: StoredDeadLetter[];
  retryTimers: Set<NodeJS.Timeout>;
  pumpScheduled: boolean;
}

const DEFAULT_DEAD_LETTER_LIMIT = 100;

/**
 * The embedded transport: a topic exchange in this process's memory with the guarantees of
 * `Bus` (types.ts). Messages live only as long as the process; the outbox keeps unsent events safe.
 */
export function createInProcessBus(options: BusOptions, logger: Logger = pino({ level: 'silent' })): Bus {
  const queues = new Map<string, MemoryQueue>();
  const consumers = new Set<Consumer>();
  let closed = false;

  function enqueue(queue: MemoryQueue, message: StoredMessage): void {
    queue.ready.push(message);
    schedulePump(queue);
  }

  /** Delivery always happens on a later turn of the event loop, never inside `publish`. */
  function schedulePump(queue: MemoryQueue): void {
    if (queue.pumpScheduled) return;
    queue.pumpScheduled = true;
    setImmediate(() => {
      queue.pumpScheduled = false;
      pump(queue);
    });
  }

  function pump(queue: MemoryQueue): void {
    while (queue.ready.length > 0) {
      const consumer = nextFreeConsumer(queue);
      if (!consumer) return;
      deliver(queue, consumer, queue.ready.shift()!);
    }
  }

  function deliver(queue: MemoryQueue, consumer: MemoryConsumer, message: StoredMessage): void {
    const event = JSON.parse(message.body) as EventEnvelope;
    const run = (async () => {
      try {
        await consumer.handler(event);
      } catch (error) {
        handleFailure(queue, message, error);
      }
    })();
    consumer.inFlight.add(run);
    void run.finally(() => {
      consumer.inFlight.delete(run);
      pump(queue);
    });
  }

  function handleFailure(queue: MemoryQueue, message: StoredMessage, error: unknown): void {
    const failed: StoredMessage = { ...message, failures: message.failures + 1 };
    const reason = describeError(error);
    const log = { queue: queue.logicalName, attempt: failed.failures, error: reason };
    if (failed.failures < options.maxAttempts) {
      logger.warn(log, 'event handler failed; retrying after a delay');
      retryLater(queue, failed);
    } else if (queue.exclusive) {
      logger.error(log, 'event handler failed on every attempt; dropping the message');
    } else {
      logger.error(log, 'event handler failed on every attempt; dead-lettering the message');
      queue.deadLetters.push({ body: failed.body, error: reason, attempts: failed.failures });
    }
  }

  /** Like the broker's retry queue: the message waits without holding a prefetch slot, then rejoins the tail. */
  function retryLater(queue: MemoryQueue, message: StoredMessage): void {
    const timer = setTimeout(() => {
      queue.retryTimers.delete(timer);
      enqueue(queue, message);
    }, options.retryDelayMs);
    queue.retryTimers.add(timer);
  }

  function declareQueue(consumerOptions: ConsumerOptions): MemoryQueue {
    // An exclusive queue is private to its consumer, so it gets a name nobody else can resume.
    const name = consumerOptions.exclusive
      ? `${options.queuePrefix}${consumerOptions.queue}.${randomUUID()}`
      : `${options.queuePrefix}${consumerOptions.queue}`;
    let queue = queues.get(name);
    if (!queue) {
      queue = newQueue(consumerOptions.queue, consumerOptions.exclusive ?? false);
      queues.set(name, queue);
    }
    // Bindings accumulate, as they do on a broker: a durable queue keeps what earlier consumers bound.
    for (const binding of consumerOptions.bindings) queue.patterns.add(binding);
    return queue;
  }

  function deleteQueue(queue: MemoryQueue): void {
    for (const timer of queue.retryTimers) clearTimeout(timer);
    for (const [name, candidate] of queues) if (candidate === queue) queues.delete(name);
  }

  return {
    kind: 'in-process',

    async publish(event) {
      if (closed) throw new Error('The in-process bus is closed');
      const body = JSON.stringify(event);
      for (const queue of queues.values()) {
        if (matchesAnyBinding(queue.patterns, event.type)) enqueue(queue, { body, failures: 0 });
      }
    },

    async consume(consumerOptions) {
      if (closed) throw new Error('The in-process bus is closed');
      const queue = declareQueue(consumerOptions);
      const memoryConsumer: MemoryConsumer = {
        handler: consumerOptions.handler,
        prefetch: consumerOptions.prefetch ?? options.prefetch,
        inFlight: new Set(),
      };
      queue.consumers.push(memoryConsumer);
      schedulePump(queue);

      let stopping: Promise<void> | undefined;
      const consumer: Consumer = {
        stop() {
          stopping ??= (async () => {
            queue.consumers = queue.consumers.filter((candidate) => candidate !== memoryConsumer);
            await Promise.allSettled(memoryConsumer.inFlight);
            if (queue.exclusive) deleteQueue(queue);
            consumers.delete(consumer);
          })();
          return stopping;
        },
      };
      consumers.add(consumer);
      return consumer;
    },

    async queueDepth(queue) {
      const stored = queues.get(`${options.queuePrefix}${queue}`);
      return { waiting: stored?.ready.length ?? 0, deadLettered: stored?.deadLetters.length ?? 0 };
    },

    async deadLetters(queue, limit = DEFAULT_DEAD_LETTER_LIMIT) {
      const stored = queues.get(`${options.queuePrefix}${queue}`)?.deadLetters ?? [];
      return stored.slice(0, limit).map(
        (letter): DeadLetter => ({
          queue,
          event: JSON.parse(letter.body) as EventEnvelope,
          error: letter.error,
          attempts: letter.attempts,
        }),
      );
    },

    isConnected: () => !closed,

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers].map((consumer) => consumer.stop()));
      for (const queue of [...queues.values()]) deleteQueue(queue);
    },
  };
}

function newQueue(logicalName: string, exclusive: boolean): MemoryQueue {
  return {
    logicalName,
    exclusive,
    patterns: new Set(),
    ready: [],
    consumers: [],
    nextConsumer: 0,
    deadLetters: [],
    retryTimers: new Set(),
    pumpScheduled: false,
  };
}

function nextFreeConsumer(queue: MemoryQueue): MemoryConsumer | undefined {
  const count = queue.consumers.length;
  for (let offset = 0; offset < count; offset++) {
    const index = (queue.nextConsumer + offset) % count;
    const consumer = queue.consumers[index]!;
    if (consumer.inFlight.size < consumer.prefetch) {
      queue.nextConsumer = (index + 1) % count;
      return consumer;
    }
  }
  return undefined;
}

function matchesAnyBinding(patterns: Set<string>, routingKey: string): boolean {
  for (const pattern of patterns) if (topicMatches(pattern, routingKey)) return true;
  return false;
}

/**
 * AMQP topic matching: words are separated by dots, `*` stands for exactly one word and `#` for zero
 * or more words.
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  return matchWords(pattern.split('.'), 0, routingKey.split('.'), 0);
}

function matchWords(pattern: string[], p: number, words: string[], w: number): boolean {
  if (p === pattern.length) return w === words.length;
  const head = pattern[p];
  if (head === '#') {
    // Either `#` matches nothing more, or it swallows one more word and stays in place.
    return matchWords(pattern, p + 1, words, w) || (w < words.length && matchWords(pattern, p, words, w + 1));
  }
  if (w === words.length) return false;
  return (head === '*' || head === words[w]) && matchWords(pattern, p + 1, words, w + 1);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
