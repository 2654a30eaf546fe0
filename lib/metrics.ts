import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Each service has its own registry: in the all-in-one process every service still serves only its
 * own figures on its own `/metrics`.
 */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    operations: new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL operations by name, type and outcome',
      labelNames: ['operation', 'type', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    subgraphFetches: new Histogram({
      name: 'subgraph_fetch_duration_seconds',
      help: 'Gateway requests to subgraphs, by subgraph and HTTP status',
      labelNames: ['subgraph', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    websocketConnections: new Gauge({ name: 'websocket_connections', help: 'Open graphql-ws connections', registers: [registry] }),
    subscriptionsActive: new Gauge({ name: 'graphql_subscriptions_active', help: 'Subscriptions being served', registers: [registry] }),
    sqlQueries: new Counter({ name: 'sql_queries_total', help: 'SQL statements sent to the database', registers: [registry] }),
    eventsPublished: new Counter({
      name: 'events_published_total',
      help: 'Events published from the outbox',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    eventsConsumed: new Counter({
      name: 'events_consumed_total',
      help: 'Events handled by consumers',
      labelNames: ['queue', 'outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Consumer lag and dead letters of a service's durable queues, read from the bus at each scrape:
 * `events_waiting{queue}` and `events_dead_lettered{queue}`.
 */
export function trackQueueDepth(metrics: Metrics, queueDepth: (queue: string) => Promise<{ waiting: number; deadLettered: number }>, queues: string[]) {
  if (queues.length === 0) return;
  const read = async (pick: 'waiting' | 'deadLettered', gauge: Gauge<'queue'>) => {
    for (const queue of queues) {
      const depth = await queueDepth(queue).catch(() => undefined);
      if (depth) gauge.set({ queue }, depth[pick]);
    }
  };
  new Gauge({ name: 'events_waiting', help: 'Messages waiting in a consumer queue (its lag)', labelNames: ['queue'] as const, registers: [metrics.registry], collect() {
    return read('waiting', this);
  } });
  new Gauge({ name: 'events_dead_lettered', help: 'Messages a consumer gave up on, in its dead-letter queue', labelNames: ['queue'] as const, registers: [metrics.registry], collect() {
    return read('deadLettered', this);
  } });
}
