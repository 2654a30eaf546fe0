import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('config', () => {
  it('defaults to the embedded development setup', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ env: 'development', production: false, dataDir: '.data', database: { url: undefined }, amqp: { url: undefined, exchange: 'skillgraph.events' }, redis: { url: undefined } });
    expect(config.gateway).toMatchObject({ introspection: true, sandbox: true });
  });

  it('turns introspection and Sandbox off in production unless asked', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).gateway).toMatchObject({ introspection: false, sandbox: false });
    expect(loadConfig({ NODE_ENV: 'production', SANDBOX: 'true', INTROSPECTION: '1' }).gateway).toMatchObject({ introspection: true, sandbox: true });
  });

  it('reads per-subgraph overrides', () => {
    const config = loadConfig({ USERS_DATABASE_URL: 'postgres://h/u', TEAMS_URL: 'http://teams:4002/graphql' });
    expect(config.database.overrides).toEqual({ users: 'postgres://h/u' });
    expect(config.gateway.subgraphUrls).toEqual({ teams: 'http://teams:4002/graphql' });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ AMQP_URL: 'http://rabbit' }, 'AMQP_URL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ AMQP_PREFETCH: '0' }, 'AMQP_PREFETCH'],
    [{ JWT_PRIVATE_KEY: 'pem' }, 'JWT_PUBLIC_KEY'],
  ])('stops on %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: '-1', LOG_LEVEL: 'loud' })).toThrow(/PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/);
  });
});
