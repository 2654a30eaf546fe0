import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp, type StartAppOptions } from '../../app.ts';
import { loadConfig } from '../../lib/config.ts';
import { createRuntime, type Runtime } from '../../lib/runtime.ts';

export interface GraphQLResponse<TData = Record<string, any>> {
  status: number;
  data?: TData | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

export interface Stack {
  runtime: Runtime;
  app: RunningApp;
  dataDir: string;
  gatewayUrl: string;
  /** Sends an operation to the gateway (or to `url`), as a client would. */
  graphql<TData = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string; url?: string; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<TData>>;
  /** Stops the services, keeping the data directory (for restart tests). */
  stop(): Promise<void>;
  /** Stops and deletes the data directory. */
  destroy(): Promise<void>;
}

/**
 * Starts services in-process on the embedded default, on ports the OS picks and a data directory of
 * the test's own. `env` adds or overrides variables (e.g. real service URLs).
 */
export async function startStack(options: StartAppOptions & { env?: Record<string, string>; dataDir?: string } = {}): Promise<Stack> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'skillgraph-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATA_DIR: dataDir,
    OUTBOX_POLL_MS: '50',
    // Tests read what they just wrote; the protection tests turn the cache and tight limits on themselves.
    RESPONSE_CACHE: 'false',
    RATE_LIMIT_PER_MINUTE: '100000',
    ...options.env,
  });
  const runtime = await createRuntime(config);
  let app: RunningApp;
  try {
    app = await startApp(runtime, { randomPorts: true, services: options.services });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const gatewayUrl = app.gateway?.url ?? '';
  const stop = async () => {
    await app.stop();
    await runtime.close();
  };
  return {
    runtime,
    app,
    dataDir,
    gatewayUrl,
    graphql: (query, variables, requestOptions = {}) =>
      postGraphQL(requestOptions.url ?? gatewayUrl, query, variables, requestOptions),
    stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postGraphQL<TData = Record<string, any>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<TData>, 'status'>;
  return { status: response.status, ...body };
}

/** The first error's code, for terse assertions. */
export const errorCode = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;
