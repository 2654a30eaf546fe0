import { auditServer, type AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';

/**
 * The GraphQL-over-HTTP audit of the `graphql-http` package against the gateway: no MUST may fail;
 * SHOULD warnings are counted (README, "Conformance") and may not grow.
 */
describe('GraphQL over HTTP conformance', () => {
  let stack: Stack;
  let results: AuditResult[];
  beforeAll(async () => {
    stack = await startStack({ services: ['gateway', 'users'] });
    results = await auditServer({ url: stack.gatewayUrl });
  });
  afterAll(() => stack?.destroy());

  const describeResult = (result: AuditResult) => `${result.id} ${result.name}${'reason' in result ? `: ${result.reason}` : ''}`;

  it('passes every MUST', () => {
    const mustFailures = results.filter((result) => result.status === 'error');
    expect(mustFailures.map(describeResult)).toEqual([]);
  });

  it('has no more SHOULD warnings than the README reports', () => {
    const warnings = results.filter((result) => result.status === 'warn');
    console.log(`graphql-http audit: ${results.length} audits, ${results.filter((r) => r.status === 'ok').length} ok, ${warnings.length} warnings`);
    for (const warning of warnings) console.log(`  warn ${describeResult(warning)}`);
    expect(warnings.length).toBeLessThanOrEqual(KNOWN_WARNINGS);
  });
});

const KNOWN_WARNINGS = 0;
