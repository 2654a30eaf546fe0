import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, DEFAULT_PORTS, loadConfig, type SubgraphName } from '../lib/config.ts';
import { subgraphModules } from '../subgraphs/index.ts';

/**
 * No Docker engine runs here, so the compose file is checked against the code instead: every service
 * the code has, with the command, port, environment and dependencies it needs.
 */
interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  volumes?: string[];
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;
const subgraphs = Object.keys(subgraphModules) as SubgraphName[];

describe('docker-compose.yml', () => {
  it('has the infrastructure, each with a health check', () => {
    for (const name of ['postgres', 'rabbitmq', 'redis']) {
      expect(services[name]?.image, name).toBeTruthy();
      expect(services[name]?.healthcheck, name).toBeTruthy();
    }
  });

  it('runs exactly the services the code has', () => {
    const appServices = Object.entries(services).filter(([, service]) => service.build).map(([name]) => name);
    expect(appServices.sort()).toEqual(['gateway', ...subgraphs].sort());
  });

  it.each(['gateway', ...subgraphs])('%s: command, port, valid environment, infrastructure first', (name) => {
    const service = services[name]!;
    const port = DEFAULT_PORTS[name as keyof typeof DEFAULT_PORTS];
    expect(service.command).toEqual([name]);
    expect(service.environment?.PORT).toBe(String(port));
    expect(service.ports).toContain(`${port}:${port}`);
    for (const variable of Object.keys(service.environment ?? {})) expect(CONFIG_VARIABLES, variable).toContain(variable);
    const config = loadConfig(service.environment);
    expect(config.production).toBe(true);
    expect(config.database.url).toMatch(/@postgres:5432\//);
    expect(config.amqp.url).toMatch(/@rabbitmq:5672/);
    expect(config.redis.url).toBe('redis://redis:6379');
    for (const infrastructure of ['postgres', 'rabbitmq', 'redis']) {
      expect(service.depends_on?.[infrastructure]?.condition).toBe('service_healthy');
    }
    expect(service.volumes).toContain('keys:/app/.data');
  });

  it('points the gateway at every subgraph by its service name and port', () => {
    const gateway = services.gateway!;
    for (const name of subgraphs) {
      expect(gateway.environment?.[`${name.toUpperCase()}_URL`]).toBe(`http://${name}:${DEFAULT_PORTS[name]}/graphql`);
      expect(gateway.depends_on?.[name]).toBeTruthy();
    }
  });

  it('builds an image whose entry point is `npm start`, node flags included', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
    expect(entrypoint.join(' ')).toBe(scripts.start);
    expect(entrypoint.at(-1)).toBe('main.ts');
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });
});
