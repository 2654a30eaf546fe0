/**
 * Live notifications through the gateway: event-to-client latency with 1,000 and 5,000 concurrent
 * subscribers on one gateway, and the gateway's memory per open subscription.
 *
 *   npm run bench:subscriptions [-- 1000 5000]
 *
 * Every subscriber is a distinct user with its own connection. The users are written straight into
 * the users database (registering thousands through the API would spend minutes in scrypt, which is
 * not what is measured here); their tokens are signed with the stack's key.
 *
 * The gateway runs in its own process (its memory is what is measured, read from its /metrics). The
 * users and notifications subgraphs run in this process on the embedded default, so the benchmark
 * can publish events on their bus; the clients are real graphql-ws clients in this process too. An
 * event's latency is from its publication on the bus to a client receiving it: through the
 * notifications consumer, the database, the outbox, the live fan-out, the subgraph's websocket, the
 * gateway (planning, the rest of the plan: `recipient { name }` from users) and the client websocket.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createTokenSigner } from '../lib/auth.ts';
import { createEnvelope } from '../lib/events.ts';
import { startServiceProcess } from '../test/helpers/processes.ts';
import { startStack, type Stack } from '../test/helpers/stack.ts';
import { users } from '../subgraphs/users/db/schema.ts';
import { benchDatabase } from './lib/database.ts';

export const DEFAULT_SUBSCRIBER_COUNTS = [1000, 5000];
/** Events published per size, at a steady rate, each to one subscriber picked at random. */
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
const EVENTS_PER_SECOND = Number(process.env.BENCH_EVENTS_PER_SECOND ?? 200);
const SUBSCRIPTION = /* GraphQL */ `subscription { notificationAdded { title recipient { name } } }`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function gatewayMemory(metricsUrl: string) {
  const text = await (await fetch(metricsUrl)).text();
  const read = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: read('process_resident_memory_bytes'), heap: read('nodejs_heap_size_used_bytes') };
}

/** Writes `count` users straight into the users database and signs a token for each. */
async function seedUsers(stack: Stack, count: number) {
  const { db } = stack.app.subgraphs.users!.deps;
  const signer = await createTokenSigner(stack.runtime.keys.privateKey!, stack.runtime.config.jwt);
  const rows = Array.from({ length: count }, (_, i) => ({ id: randomUUID(), email: `bench-${i}@example.com`, name: `Bench ${i}`, passwordHash: 'scrypt$unusable' }));
  for (let i = 0; i < rows.length; i += 1000) await db.insert(users).values(rows.slice(i, i + 1000));
  return Promise.all(rows.map(async (row) => ({ id: row.id, token: await signer.sign(row.id) })));
}

/** Runs the benchmark for each number of subscribers and returns the printed table's lines. */
export async function runSubscriptions(subscriberCounts = DEFAULT_SUBSCRIBER_COUNTS): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skillgraph-bench-subs-'));
  const database = benchDatabase();
  const stack = await startStack({ services: ['users', 'notifications'], dataDir, env: { LOG_LEVEL: 'error', ...database.env } });
  const gateway = await startServiceProcess('gateway', {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    NODE_ENV: 'production',
    USERS_URL: stack.app.subgraphs.users!.url,
    NOTIFICATIONS_URL: stack.app.subgraphs.notifications!.url,
  });
  const metricsUrl = gateway.url.replace('/graphql', '/metrics');
  const rows: string[] = [];

  try {
    const subscribers = await seedUsers(stack, Math.max(...subscriberCounts));

    for (const count of subscriberCounts) {
      await sleep(1000);
      const before = await gatewayMemory(metricsUrl);
      const sent = new Map<string, bigint>();
      const latencies: number[] = [];
      const clients: Client[] = [];
      let ready = 0;

      for (let i = 0; i < count; i++) {
        const user = subscribers[i]!;
        const client = createClient({ url: gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${user.token}` }, retryAttempts: 0 });
        clients.push(client);
        client.on('connected', () => void ready++);
        client.subscribe(
          { query: SUBSCRIPTION },
          {
            next: (result) => {
              const title = (result.data as { notificationAdded?: { title: string } } | undefined)?.notificationAdded?.title ?? '';
              const start = sent.get(title.split(':')[0]!);
              if (start !== undefined) latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
            },
            error: () => {},
            complete: () => {},
          },
        );
        if (i % 200 === 199) await sleep(50); // do not open thousands of sockets in one tick
      }
      const connectDeadline = Date.now() + 120_000;
      while (ready < count && Date.now() < connectDeadline) await sleep(50);
      if (ready < count) console.warn(`only ${ready} of ${count} subscribers connected within 120 s`);
      await sleep(1500); // upstream subscriptions settle
      const open = await gatewayMemory(metricsUrl);

      const expected = EVENTS;
      const started = Date.now();
      for (let event = 0; event < EVENTS; event++) {
        const user = subscribers[Math.floor(Math.random() * count)]!;
        const key = `e${event}`;
        sent.set(key, process.hrtime.bigint());
        await stack.runtime.bus.publish(createEnvelope({ type: 'quiz.scored', data: { userId: user.id, attemptId: crypto.randomUUID(), quizTitle: key, topic: 'bench', percent: 50, passed: false } }, { producer: 'bench' }));
        const due = started + ((event + 1) * 1000) / EVENTS_PER_SECOND;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      const deadline = Date.now() + 60_000;
      while (latencies.length < expected && Date.now() < deadline) await sleep(100);

      latencies.sort((a, b) => a - b);
      const perSubscription = (open.rss - before.rss) / count;
      const heapPerSubscription = (open.heap - before.heap) / count;
      const row = (
        [
          String(count).padStart(11),
          `${latencies.length}/${expected}`.padStart(13),
          percentile(latencies, 50).toFixed(1).padStart(8),
          percentile(latencies, 99).toFixed(1).padStart(8),
          (open.rss / 2 ** 20).toFixed(0).padStart(9),
          (perSubscription / 1024).toFixed(1).padStart(13),
          (heapPerSubscription / 1024).toFixed(1).padStart(14),
        ].join(' | ')
      );
      rows.push(row);
      console.log(`measured: ${row}`);
      await Promise.all(clients.map((client) => client.dispose()));
    }

    return [
      `Live notifications through the gateway (gateway in its own process, NODE_ENV=production; subgraphs on ${database.label})`,
      'subscribers |     delivered |  p50 ms |  p99 ms |  RSS MiB | RSS KiB/sub | heap KiB/sub',
      '----------- | ------------- | ------- | ------- | -------- | ----------- | ------------',
      ...rows,
      `One subscription per user and connection; ${EVENTS} events per size at ${EVENTS_PER_SECOND}/s, each to a random subscriber.`,
    ];
  } finally {
    await gateway.stop();
    await stack.stop();
    await database.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  runSubscriptions(sizes.length ? sizes : undefined).then(
    (lines) => console.log(`\n${lines.join('\n')}`),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
