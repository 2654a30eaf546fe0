import type { EventEnvelope } from '../events.ts';

export type EventHandler = (event: EventEnvelope) => Promise<void>;

export interface ConsumerOptions {
  /**
   * The consumer's queue, `<service>.<purpose>` (e.g. `teams.user-replica`). Durable: messages wait for
   * the consumer while it is down. Ignored for `exclusive` consumers, which get a private queue.
   */
  queue: string;
  /** Routing keys (event types) to bind; topic wildcards allowed (`team.*`, `#`). */
  bindings: string[];
  handler: EventHandler;
  /**
   * A private queue that lives as long as this consumer (auto-deleted, not durable): for per-instance
   * fan-out such as live notification push. Failed messages are dropped after retries, not dead-lettered.
   */
  exclusive?: boolean;
  /** How many unacknowledged messages this consumer holds at once. */
  prefetch?: number;
}

export interface Consumer {
  /** Stops receiving; messages in flight finish first. */
  stop(): Promise<void>;
}

export interface DeadLetter {
  /** The consumer's queue name, as given to `consume` (without the prefix). */
  queue: string;
  event: EventEnvelope;
  /** The last handler error's message. */
  error: string;
  /** Deliveries made before it was dead-lettered. */
  attempts: number;
}

/**
 * One interface, two transports: the in-process bus (embedded default) and RabbitMQ (amqplib).
 *
 * Guarantees the code relies on, on both:
 * - `publish` resolves only once the broker has taken the message (publisher confirm) and rejects otherwise;
 * - every consumer queue receives each published event whose type matches a binding, at least once;
 * - a handler that throws is retried after a delay, up to `maxAttempts` deliveries in all, then the
 *   message goes to the queue's dead-letter queue;
 * - within one queue, handlers run at most `prefetch` at a time.
 */
export interface Bus {
  readonly kind: 'in-process' | 'rabbitmq';
  publish(event: EventEnvelope): Promise<void>;
  consume(options: ConsumerOptions): Promise<Consumer>;
  /**
   * Messages of a durable queue that exhausted their retries, oldest first, for inspection and tests.
   * Reading leaves them in place; a message that was not an event envelope is not listed.
   */
  deadLetters(queue: string, limit?: number): Promise<DeadLetter[]>;
  /**
   * How far a durable consumer queue is behind: messages waiting for it (its lag) and messages it gave up
   * on (its dead letters). Zeros for a queue that does not exist yet.
   */
  queueDepth(queue: string): Promise<{ waiting: number; deadLettered: number }>;
  /** True while the transport can take messages (readiness). */
  isConnected(): boolean;
  close(): Promise<void>;
}

export interface BusOptions {
  exchange: string;
  queuePrefix: string;
  prefetch: number;
  maxAttempts: number;
  retryDelayMs: number;
}
