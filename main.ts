/**
 * `npm start`                 every subgraph and the gateway in this process (embedded default)
 * `npm start -- <service>`    one service: gateway, users, teams, jobs, quizzes or notifications
 */
import { startApp } from './app.ts';
import { ConfigError, loadConfig, SUBGRAPH_NAMES, type ServiceName } from './lib/config.ts';
import { createLogger } from './lib/logger.ts';
import { createRuntime } from './lib/runtime.ts';

const SERVICES: ServiceName[] = ['gateway', ...SUBGRAPH_NAMES];

async function main() {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !SERVICES.includes(name as ServiceName));
  if (unknown.length) {
    console.error(`Unknown service ${unknown.join(', ')}: choose from ${SERVICES.join(', ')}`);
    process.exit(2);
  }

  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  if (requested.length !== 1 && config.port !== undefined) {
    console.error('PORT applies to one service: run `npm start -- <service>` with it');
    process.exit(1);
  }

  const logger = createLogger({ level: config.logLevel });
  const runtime = await createRuntime(config, logger);
  const app = await startApp(runtime, requested.length ? { services: requested as ServiceName[] } : {});

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.stop();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
