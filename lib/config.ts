import { z } from 'zod';

/** The subgraphs of the supergraph, in the order of their fixed ports (4001..4005). */
export const SUBGRAPH_NAMES = ['users', 'teams', 'jobs', 'quizzes', 'notifications'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];
export type ServiceName = 'gateway' | SubgraphName;

export const DEFAULT_PORTS: Record<ServiceName, number> = {
  gateway: 4000,
  users: 4001,
  teams: 4002,
  jobs: 4003,
  quizzes: 4004,
  notifications: 4005,
};

/** How often each service's outbox relay looks for events to publish. */
export const DEFAULT_OUTBOX_POLL_MS = 500;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const url = (protocols: string[]) =>
  optionalString.refine(
    (value) => value === undefined || protocols.some((protocol) => value.startsWith(`${protocol}://`)),
    { message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}` },
  );

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/**
 * Every variable the services read. Each key is the variable's own name, so a validation issue
 * names exactly what to fix.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
  PORT: port.optional(),
  DATA_DIR: z.string().default('.data'),

  DATABASE_URL: url(['postgres', 'postgresql']),
  USERS_DATABASE_URL: url(['postgres', 'postgresql']),
  TEAMS_DATABASE_URL: url(['postgres', 'postgresql']),
  JOBS_DATABASE_URL: url(['postgres', 'postgresql']),
  QUIZZES_DATABASE_URL: url(['postgres', 'postgresql']),
  NOTIFICATIONS_DATABASE_URL: url(['postgres', 'postgresql']),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  /** Each subgraph's database on the `DATABASE_URL` server is `<prefix><subgraph>`. */
  DATABASE_NAME_PREFIX: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be lower-case letters, digits and _').default('skillgraph_'),

  AMQP_URL: url(['amqp', 'amqps']),
  EVENTS_EXCHANGE: z.string().min(1).default('skillgraph.events'),
  /** Prepended to every queue name: lets several deployments (or test runs) share one broker. */
  AMQP_QUEUE_PREFIX: z.string().default(''),
  AMQP_PREFETCH: positiveInt.default(16),
  EVENT_MAX_ATTEMPTS: positiveInt.default(5),
  EVENT_RETRY_DELAY_MS: positiveInt.default(1000),
  OUTBOX_POLL_MS: positiveInt.default(DEFAULT_OUTBOX_POLL_MS),

  REDIS_URL: url(['redis', 'rediss']),
  REDIS_KEY_PREFIX: z.string().default('skillgraph:'),

  JWT_PRIVATE_KEY: optionalString,
  JWT_PUBLIC_KEY: optionalString,
  JWT_TTL_SECONDS: positiveInt.default(7 * 24 * 3600),
  JWT_ISSUER: z.string().default('skillgraph'),

  SUPERGRAPH_PATH: optionalString,
  USERS_URL: url(['http', 'https']),
  TEAMS_URL: url(['http', 'https']),
  JOBS_URL: url(['http', 'https']),
  QUIZZES_URL: url(['http', 'https']),
  NOTIFICATIONS_URL: url(['http', 'https']),
  SUBGRAPH_TIMEOUT_MS: positiveInt.default(10_000),

  WS_MAX_PAYLOAD_BYTES: positiveInt.default(64 * 1024),
  WS_CONNECTION_INIT_TIMEOUT_MS: positiveInt.default(5_000),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt.default(25),
  WS_MAX_BUFFERED_BYTES: positiveInt.default(1024 * 1024),

  /** Operation limits, checked before execution on HTTP and websocket alike. */
  MAX_DEPTH: positiveInt.default(12),
  MAX_ALIASES: positiveInt.default(20),
  MAX_COST: positiveInt.default(20_000),
  MAX_TOKENS: positiveInt.default(4_000),
  RATE_LIMIT_PER_MINUTE: positiveInt.default(600),
  /** How many requests one mutation counts as against the rate limit. */
  RATE_LIMIT_MUTATION_WEIGHT: positiveInt.default(5),
  /** Believe X-Forwarded-For for the client's IP (only behind a proxy that sets it). */
  TRUST_PROXY: booleanFlag.default(false),
  /** Comma-separated origins allowed to open a websocket; unset allows any. */
  ALLOWED_ORIGINS: optionalString,
  /** Cache public reads at the gateway, as the subgraphs' cache hints allow. */
  RESPONSE_CACHE: booleanFlag.default(true),

  INTROSPECTION: booleanFlag.optional(),
  SANDBOX: booleanFlag.optional(),
});

type Env = z.infer<typeof envSchema>;

/** Every variable the configuration reads (docs and the docker-compose check). */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

export interface Config {
  env: Env['NODE_ENV'];
  production: boolean;
  logLevel: Env['LOG_LEVEL'];
  host: string;
  /** Explicit port for a single-service process; each service otherwise uses its default port. */
  port: number | undefined;
  dataDir: string;
  database: {
    /** Server URL shared by every subgraph (each gets its own database on it), or undefined for PGlite. */
    url: string | undefined;
    /** Per-subgraph overrides, e.g. `USERS_DATABASE_URL`. */
    overrides: Partial<Record<SubgraphName, string>>;
    namePrefix: string;
    poolSize: number;
  };
  amqp: {
    url: string | undefined;
    exchange: string;
    queuePrefix: string;
    prefetch: number;
    maxAttempts: number;
    retryDelayMs: number;
  };
  outboxPollMs: number;
  redis: { url: string | undefined; keyPrefix: string };
  jwt: { privateKey: string | undefined; publicKey: string | undefined; ttlSeconds: number; issuer: string };
  websocket: {
    maxPayloadBytes: number;
    connectionInitWaitTimeoutMs: number;
    maxSubscriptionsPerConnection: number;
    maxBufferedBytes: number;
  };
  limits: { maxDepth: number; maxAliases: number; maxCost: number; maxTokens: number };
  rateLimit: { perMinute: number; mutationWeight: number; trustProxy: boolean };
  gateway: {
    allowedOrigins: string[] | undefined;
    responseCache: boolean;
    supergraphPath: string | undefined;
    subgraphUrls: Partial<Record<SubgraphName, string>>;
    subgraphTimeoutMs: number;
    introspection: boolean;
    sandbox: boolean;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** PEM keys are often passed through env files with literal `\n`: accept both forms. */
const pem = (value: string | undefined) => value?.replace(/\\n/g, '\n');

/**
 * Parses and validates the environment once, at start. Throws a ConfigError that names every bad
 * variable; callers print it and stop.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const env = parsed.data;
  if (Boolean(env.JWT_PRIVATE_KEY) !== Boolean(env.JWT_PUBLIC_KEY) && env.JWT_PRIVATE_KEY) {
    throw new ConfigError('Invalid configuration:\n  JWT_PUBLIC_KEY: required when JWT_PRIVATE_KEY is set');
  }
  const production = env.NODE_ENV === 'production';
  const perSubgraph = <T>(read: (name: Uppercase<SubgraphName>) => T | undefined) =>
    Object.fromEntries(
      SUBGRAPH_NAMES.flatMap((name) => {
        const value = read(name.toUpperCase() as Uppercase<SubgraphName>);
        return value === undefined ? [] : [[name, value]];
      }),
    ) as Partial<Record<SubgraphName, T>>;

  return {
    env: env.NODE_ENV,
    production,
    logLevel: env.LOG_LEVEL,
    host: env.HOST,
    port: env.PORT,
    dataDir: env.DATA_DIR,
    database: {
      url: env.DATABASE_URL,
      overrides: perSubgraph((name) => env[`${name}_DATABASE_URL`]),
      namePrefix: env.DATABASE_NAME_PREFIX,
      poolSize: env.DATABASE_POOL_SIZE,
    },
    amqp: {
      url: env.AMQP_URL,
      exchange: env.EVENTS_EXCHANGE,
      queuePrefix: env.AMQP_QUEUE_PREFIX,
      prefetch: env.AMQP_PREFETCH,
      maxAttempts: env.EVENT_MAX_ATTEMPTS,
      retryDelayMs: env.EVENT_RETRY_DELAY_MS,
    },
    outboxPollMs: env.OUTBOX_POLL_MS,
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX },
    jwt: {
      privateKey: pem(env.JWT_PRIVATE_KEY),
      publicKey: pem(env.JWT_PUBLIC_KEY),
      ttlSeconds: env.JWT_TTL_SECONDS,
      issuer: env.JWT_ISSUER,
    },
    websocket: {
      maxPayloadBytes: env.WS_MAX_PAYLOAD_BYTES,
      connectionInitWaitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_MS,
      maxSubscriptionsPerConnection: env.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxBufferedBytes: env.WS_MAX_BUFFERED_BYTES,
    },
    limits: { maxDepth: env.MAX_DEPTH, maxAliases: env.MAX_ALIASES, maxCost: env.MAX_COST, maxTokens: env.MAX_TOKENS },
    rateLimit: { perMinute: env.RATE_LIMIT_PER_MINUTE, mutationWeight: env.RATE_LIMIT_MUTATION_WEIGHT, trustProxy: env.TRUST_PROXY },
    gateway: {
      allowedOrigins: env.ALLOWED_ORIGINS?.split(',').map((origin) => origin.trim()).filter(Boolean),
      responseCache: env.RESPONSE_CACHE,
      supergraphPath: env.SUPERGRAPH_PATH,
      subgraphUrls: perSubgraph((name) => env[`${name}_URL`]),
      subgraphTimeoutMs: env.SUBGRAPH_TIMEOUT_MS,
      introspection: env.INTROSPECTION ?? !production,
      sandbox: env.SANDBOX ?? !production,
    },
  };
}
