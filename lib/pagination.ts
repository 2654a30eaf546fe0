import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { BadUserInputError } from './errors.ts';
import { isUuid, requireIntInRange } from './validation.ts';

/**
 * Relay-style connections, newest first with the id as tiebreaker (CONTRACT.md, "Conventions"), read
 * with keyset pagination: a page costs the same however deep it is.
 */

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Where a page stops: the sort keys of its last row. */
export interface Position {
  createdAt: Date;
  id: string;
}

export interface Connection<TNode> {
  edges: Array<{ cursor: string; node: TNode }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Counted only when a client asks for it: a separate query. */
  totalCount(): Promise<number>;
}

/** `first` as the contract has it: 20 when absent, at most 100. */
export function pageSize(first: number | null | undefined): number {
  return first === null || first === undefined ? DEFAULT_PAGE_SIZE : requireIntInRange(first, 'first', 0, MAX_PAGE_SIZE);
}

/** Opaque to clients: base64url of the sort keys. */
export function encodeCursor({ createdAt, id }: Position): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

/** The position an `after` cursor names; anything that is not one of ours is BAD_USER_INPUT. */
export function decodeCursor(after: string | null | undefined): Position | null {
  if (after === null || after === undefined) return null;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string' && isUuid(id) && !Number.isNaN(Date.parse(createdAt))) {
      return { createdAt: new Date(createdAt), id };
    }
  } catch {
    // Not JSON, or not an array: falls through to the error below.
  }
  throw new BadUserInputError('after is not a cursor of this list', 'after');
}

/** Rows that come after `position` in newest-first order. */
export function afterPosition(position: Position, columns: { createdAt: AnyColumn; id: AnyColumn }): SQL {
  return sql`(${columns.createdAt}, ${columns.id}) < (${position.createdAt.toISOString()}::timestamptz, ${position.id}::uuid)`;
}

/** A page from up to `size + 1` rows read newest first: the extra row only says there is a next page. */
export function toConnection<TNode extends Position>(rows: TNode[], size: number, totalCount: () => Promise<number>): Connection<TNode> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
