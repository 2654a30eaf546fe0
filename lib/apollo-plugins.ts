import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ErrorCode } from './errors.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

interface LoggingContext extends BaseContext {
  requestId: string;
}

/**
 * Per-operation metrics and logs. An error that will be masked as INTERNAL_SERVER_ERROR is logged here
 * in full, with the request id the client got back, so an operator can find it.
 */
export function observabilityPlugin<TContext extends LoggingContext>(logger: Logger, metrics: Metrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (code === undefined || code === ErrorCode.INTERNAL_SERVER_ERROR) {
              logger.error({ err: error.originalError ?? error, requestId: contextValue.requestId, path: error.path }, 'internal error');
            }
          }
        },
        async willSendResponse({ operationName, operation, errors, response }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const failed = Boolean(errors?.length) || (response.body.kind === 'single' && Boolean(response.body.singleResult.errors?.length));
          metrics.operations.observe(
            { operation: operationName ?? 'anonymous', type: operation?.operation ?? 'unknown', outcome: failed ? 'error' : 'ok' },
            seconds,
          );
        },
      };
    },
  };
}
