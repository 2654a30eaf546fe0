import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The error codes of the contract (CONTRACT.md, "Errors"). Every error a client sees carries one. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

abstract class ContractError extends GraphQLError {
  constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export class UnauthenticatedError extends ContractError {
  constructor(message = 'You must be signed in to do this') {
    super(message, ErrorCode.UNAUTHENTICATED);
  }
}

export class ForbiddenError extends ContractError {
  constructor(message = 'You are not allowed to do this') {
    super(message, ErrorCode.FORBIDDEN);
  }
}

export class NotFoundError extends ContractError {
  constructor(what: string, id?: string) {
    super(id === undefined ? `${what} not found` : `${what} ${id} not found`, ErrorCode.NOT_FOUND);
  }
}

/** Bad input; `field` names the argument or input field at fault (dot path, e.g. `input.password`). */
export class BadUserInputError extends ContractError {
  constructor(message: string, field?: string) {
    super(message, ErrorCode.BAD_USER_INPUT, field ? { field } : {});
  }
}

export class ConflictError extends ContractError {
  constructor(message: string) {
    super(message, ErrorCode.CONFLICT);
  }
}

export class RateLimitedError extends ContractError {
  constructor(retryAfterSeconds: number) {
    super(`Too many requests: retry in ${retryAfterSeconds} s`, ErrorCode.RATE_LIMITED, { retryAfterSeconds });
  }
}

const CONTRACT_CODES = new Set<string>(Object.values(ErrorCode));
/** Codes Apollo Server produces itself for malformed requests; they are the client's fault and safe to show. */
const CLIENT_REQUEST_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * The one place where errors become what a client sees. Known codes pass through (without stack
 * traces); anything else is an internal error whose message, SQL or connection details stay in the logs.
 */
export function formatError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && (CONTRACT_CODES.has(code) || CLIENT_REQUEST_CODES.has(code)) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    const { stacktrace: _stacktrace, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return {
    message: 'Internal server error',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
