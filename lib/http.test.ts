import { ApolloServer } from '@apollo/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createServiceHttp, type ServiceHttp } from './http.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';

describe('service HTTP shutdown', () => {
  let http: ServiceHttp | undefined;
  let apollo: ApolloServer | undefined;
  afterEach(async () => {
    await http?.close();
    await apollo?.stop();
  });

  it('waits for a request whose client has gone before it reports closed', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let finished = false;
    apollo = new ApolloServer({
      typeDefs: 'type Query { slow: String }',
      resolvers: {
        Query: {
          slow: async () => {
            started();
            await released;
            finished = true;
            return 'done';
          },
        },
      },
    });
    await apollo.start();
    http = createServiceHttp({ apollo, context: async () => ({}), readiness: {}, metrics: createMetrics('test'), logger: createLogger({ level: 'silent' }) });
    const port = await http.listen(0, '127.0.0.1');

    const client = new AbortController();
    const request = fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ slow }' }),
      signal: client.signal,
    }).catch(() => undefined);
    await running;
    client.abort();
    await request;

    let closed = false;
    const closing = http.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(finished).toBe(true);
  });
});
