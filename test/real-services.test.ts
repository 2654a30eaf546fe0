import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '../lib/db/index.ts';
import { createRabbitBus } from '../lib/bus/rabbitmq.ts';
import type { Bus } from '../lib/bus/types.ts';
import type { EventEnvelope } from '../lib/events.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/processes.ts';
import { realServicesEnv } from './helpers/real-services.ts';
import { realServices } from './helpers/services.ts';
import { postGraphQL } from './helpers/stack.ts';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.ts';
import { REGISTER } from './helpers/users.ts';

const allReal = Boolean(realServices.databaseUrl && realServices.amqpUrl && realServices.redisUrl);

/**
 * The distributed shape: each service in its own process (`npm start -- <service>`) on PostgreSQL,
 * RabbitMQ and Redis. The users process reaches RabbitMQ through a proxy the test can cut.
 */
describe.skipIf(!allReal)('each service in its own process on PostgreSQL, RabbitMQ and Redis', () => {
  const isolated = realServicesEnv();
  const dataDir = mkdtempSync(join(tmpdir(), 'skillgraph-processes-'));
  const events: EventEnvelope[] = [];
  let proxy: TcpProxy;
  let observer: Bus;
  let users: ServiceProcess;
  let gateway: ServiceProcess;

  const register = async (email: string) => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: REGISTER, variables: { input: { email, password: 'long enough', name: 'Proc' } } }),
    });
    const body = (await response.json()) as { data?: { register: { user: { id: string } } }; errors?: unknown };
    return { requestId: response.headers.get('x-request-id'), userId: body.data?.register.user.id, errors: body.errors };
  };
  const eventsFor = (userId: string | undefined) => events.filter((event) => event.data && (event.data as { userId?: string }).userId === userId);

  beforeAll(async () => {
    const broker = new URL(realServices.amqpUrl!);
    proxy = await startTcpProxy(broker.hostname, Number(broker.port || 5672));
    const throughProxy = new URL(realServices.amqpUrl!);
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);

    const env: Record<string, string> = { ...isolated.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', OUTBOX_POLL_MS: '200' };
    observer = await createRabbitBus(realServices.amqpUrl!, {
      exchange: env.EVENTS_EXCHANGE!,
      queuePrefix: env.AMQP_QUEUE_PREFIX!,
      prefetch: 8,
      maxAttempts: 3,
      retryDelayMs: 100,
    });
    await observer.consume({ queue: 'observer', bindings: ['user.*'], handler: async (event) => void events.push(event) });

    users = await startServiceProcess('users', { ...env, AMQP_URL: throughProxy.toString() });
    gateway = await startServiceProcess('gateway', { ...env, USERS_URL: users.url });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await users?.stop();
    await observer?.close();
    await proxy?.close();
    const connection = await connect(realServices.amqpUrl!);
    const channel = await connection.createChannel();
    for (const queue of ['observer', 'observer.retry', 'observer.dlq']) await channel.deleteQueue(`${isolated.env.AMQP_QUEUE_PREFIX}${queue}`);
    await channel.deleteExchange(isolated.env.EVENTS_EXCHANGE!);
    await connection.close();
    await isolated.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('puts user.registered on the exchange with the contract envelope', async () => {
    const { requestId, userId, errors } = await register(`${isolated.prefix}-a@example.com`);
    expect(errors).toBeUndefined();
    await expect.poll(() => eventsFor(userId).length, { timeout: 10_000 }).toBe(1);
    const [event] = eventsFor(userId);
    expect(Object.keys(event!).sort()).toEqual(['correlationId', 'data', 'id', 'occurredAt', 'producer', 'type', 'version']);
    expect(event).toMatchObject({ type: 'user.registered', version: 1, producer: 'users', correlationId: requestId });
    expect(new Date(event!.occurredAt).toISOString()).toBe(event!.occurredAt);
  });

  it('registers while RabbitMQ is unreachable, and publishes the event once it is back', async () => {
    proxy.cut();
    try {
      const { userId, errors } = await register(`${isolated.prefix}-b@example.com`);
      expect(errors).toBeUndefined();
      expect(userId).toBeTruthy();
      await sleep(1000);
      expect(eventsFor(userId)).toHaveLength(0);
      proxy.restore();
      await expect.poll(() => eventsFor(userId).length, { timeout: 30_000, interval: 100 }).toBe(1);
      await sleep(500);
      expect(eventsFor(userId)).toHaveLength(1);
    } finally {
      proxy.restore();
    }
  }, 60_000);

  it('keeps the users in their own database on the server, created at start', async () => {
    const { userId } = await register(`${isolated.prefix}-c@example.com`);
    const admin = new pg.Client({ connectionString: withDatabase(realServices.databaseUrl!, `${isolated.prefix}_users`) });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT name FROM users WHERE id = $1', [userId]);
      expect(rows).toEqual([{ name: 'Proc' }]);
    } finally {
      await admin.end();
    }
    const me = await postGraphQL(gateway.url, '{ me { id } }');
    expect(me.data).toEqual({ me: null });
  });
});
