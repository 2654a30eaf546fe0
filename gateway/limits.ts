import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { Config } from '../lib/config.ts';

/**
 * Depth, aliases and cost, as validation rules (graphql-armor's), so an abusive operation is refused
 * with GRAPHQL_VALIDATION_FAILED before anything runs, on HTTP and websocket alike; each message names
 * its limit ("Query depth limit of 12 exceeded, found 13."). The token limit is not among them: it is a
 * parse option (`maxTokens`), which keeps a syntax error a 400.
 */
export function operationLimitRules(limits: Config['limits']): ValidationRule[] {
  const rules = [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true }),
    maxAliasesRule({ n: limits.maxAliases }),
    costLimitRule({ maxCost: limits.maxCost, ignoreIntrospection: true }),
  ] as unknown as ValidationRule[];
  return rules.map(withoutSyntaxErrorPrefix);
}

/** graphql-armor words its refusals "Syntax Error: ...", which they are not: the document parsed fine. */
function withoutSyntaxErrorPrefix(rule: ValidationRule): ValidationRule {
  return (context) =>
    rule(
      new Proxy(context, {
        get(target, property) {
          if (property === 'reportError') {
            return (error: GraphQLError) => target.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { nodes: error.nodes }));
          }
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as ValidationContext,
    );
}
