import { randomUUID } from 'node:crypto';

/** The envelope every event travels in (CONTRACT.md, "Events"). The routing key is `type`. */
export interface EventEnvelope<TData = unknown> {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  producer: string;
  correlationId: string;
  data: TData;
}

export interface NewEvent<TData = unknown> {
  type: string;
  data: TData;
  version?: number;
}

export function createEnvelope<TData>(
  event: NewEvent<TData>,
  meta: { producer: string; correlationId?: string; now?: Date },
): EventEnvelope<TData> {
  return {
    id: randomUUID(),
    type: event.type,
    version: event.version ?? 1,
    occurredAt: (meta.now ?? new Date()).toISOString(),
    producer: meta.producer,
    correlationId: meta.correlationId ?? randomUUID(),
    data: event.data,
  };
}

/** Checks that a decoded message has the envelope's shape before a consumer trusts it. */
export function isEventEnvelope(value: unknown): value is EventEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    typeof v.type === 'string' &&
    typeof v.version === 'number' &&
    typeof v.occurredAt === 'string' &&
    typeof v.producer === 'string' &&
    typeof v.correlationId === 'string' &&
    'data' in v
  );
}
