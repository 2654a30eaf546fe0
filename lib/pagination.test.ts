import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, pageSize, toConnection } from './pagination.ts';

const row = (i: number) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, createdAt: new Date(Date.UTC(2026, 10, 21, 10, 0, i, 123)) });

describe('pagination', () => {
  it('takes the default page size when none is given, and 0..100 otherwise', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(null, 'first', 10)).toBe(10);
    expect(pageSize(0)).toBe(0);
    expect(pageSize(100)).toBe(100);
    for (const bad of [-1, 101, 1.5]) {
      expect(() => pageSize(bad, 'input.first')).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'input.first' } }));
    }
  });

  it('round-trips the sort keys through an opaque cursor, to the millisecond', () => {
    const cursor = encodeCursor(row(3));
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(row(3));
  });

  it('refuses a cursor it did not make, naming the argument', () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const bad of ['', 'not base64 json', encode({}), encode(['2026-11-21T10:00:00.000Z', 'nope']), encode(['never', row(1).id])]) {
      expect(() => decodeCursor(bad, 'after'), bad).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }));
    }
  });

  it('builds a page from one row more than it shows', () => {
    const full = toConnection([row(3), row(2), row(1)], 2);
    expect(full.edges.map((edge) => edge.node)).toEqual([row(3), row(2)]);
    expect(full.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(row(2)) });
    expect(toConnection([row(1)], 2).pageInfo).toEqual({ hasNextPage: false, endCursor: encodeCursor(row(1)) });
    expect(toConnection([], 2).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});
