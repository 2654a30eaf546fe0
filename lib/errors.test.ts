import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { BadUserInputError, ConflictError, formatError, RateLimitedError } from './errors.ts';

const format = (error: GraphQLError) => formatError({ ...error.toJSON(), extensions: { ...error.extensions, stacktrace: ['at secret.ts:1'] } });

describe('formatError', () => {
  it('keeps contract codes and their details, without a stack trace', () => {
    expect(format(new BadUserInputError('Too short', 'input.password'))).toEqual({
      message: 'Too short',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.password' },
    });
    expect(format(new RateLimitedError(12)).extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 12 });
    expect(format(new ConflictError('Taken')).message).toBe('Taken');
  });

  it('masks anything else as INTERNAL_SERVER_ERROR with no detail', () => {
    const leaked = format(new GraphQLError('connect ECONNREFUSED postgres://root:secret@db/users: SELECT * FROM users', { path: ['me'] }));
    expect(leaked).toEqual({ message: 'Internal server error', path: ['me'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });
});
