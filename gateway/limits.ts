import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { Config } from '../lib/config.ts';

/**
 * Reports a refusal as a validation error, as every other rule does (graphql-armor would throw it, which
 * Apollo Server answers with a 500), without armor's "Syntax Error:" prefix: the document parsed fine.
 */
const asValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')))],
};

/**
 * Depth, aliases and cost, as validation rules (graphql-armor's), so an abusive operation is refused
 * with GRAPHQL_VALIDATION_FAILED before anything runs, on HTTP and websocket alike; each message names
 * its limit ("Query depth limit of 12 exceeded, found 13."). The token limit is not among them: it is a
 * parse option (`maxTokens`), which keeps a syntax error a 400.
 */
export function operationLimitRules(limits: Config['limits']): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...asValidationError }),
    maxAliasesRule({ n: limits.maxAliases, ...asValidationError }),
    costLimitRule({ maxCost: limits.maxCost, ignoreIntrospection: true, ...asValidationError }),
  ] as unknown as ValidationRule[];
}
