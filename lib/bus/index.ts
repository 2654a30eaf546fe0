import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createInProcessBus } from './in-process.ts';
import { createRabbitBus } from './rabbitmq.ts';
import type { Bus } from './types.ts';

/** RabbitMQ when `AMQP_URL` is set, otherwise the in-process bus: the code above it is the same either way. */
export async function createBus(config: Config['amqp'], logger: Logger): Promise<Bus> {
  const { url, ...options } = config;
  if (url) return createRabbitBus(url, options, logger);
  return createInProcessBus(options, logger);
}

export { createInProcessBus } from './in-process.ts';
export { createRabbitBus, type RabbitBusOptions } from './rabbitmq.ts';
export { writeToOutbox, startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './outbox.ts';
export { handleOnce } from './inbox.ts';
export type * from './types.ts';
