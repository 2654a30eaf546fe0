import { desc, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { BadUserInputError } from './errors.ts';
import { isUuid } from './validation.ts';

/**
 * Relay-style connections (CONTRACT.md, "Conventions"): newest first with the id as tiebreaker, read by
 * keyset, so a page costs the same however deep it is and rows inserted meanwhile never shift a page.
 */

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The sort keys of a row in a newest-first listing; a cursor encodes them. */
export interface Keyset {
  createdAt: Date;
  id: string;
}

export interface Edge<TNode> {
  cursor: string;
  node: TNode;
}

export interface Connection<TNode> {
  edges: Array<Edge<TNode>>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** `first` checked against the contract's bounds: 0..100, the default when absent. */
export function pageSize(first: number | null | undefined, field = 'first', fallback = DEFAULT_PAGE_SIZE): number {
  if (first === null || first === undefined) return fallback;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`${field} must be an integer from 0 to ${MAX_PAGE_SIZE}`, field);
  }
  return first;
}

/** Opaque to clients: base64url of the sort keys. */
export function encodeCursor({ createdAt, id }: Keyset): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

/** The keys a cursor from `encodeCursor` holds; anything else is the client's mistake, named by `field`. */
export function decodeCursor(cursor: string, field = 'after'): Keyset {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(typeof createdAt === 'string' ? createdAt : Number.NaN);
    if (typeof id === 'string' && isUuid(id) && !Number.isNaN(date.getTime())) return { createdAt: date, id };
  } catch {
    // Not base64url JSON: reported below like any other malformed cursor.
  }
  throw new BadUserInputError('Invalid cursor', field);
}

/** Rows strictly after `cursor` in newest-first order; an index on (createdAt, id) serves it. */
export function olderThan(createdAt: AnyColumn, id: AnyColumn, cursor: Keyset): SQL {
  return sql`(${createdAt}, ${id}) < (${cursor.createdAt.toISOString()}::timestamptz, ${cursor.id}::uuid)`;
}

export function newestFirst(createdAt: AnyColumn, id: AnyColumn): SQL[] {
  return [desc(createdAt), desc(id)];
}

/**
 * A page from rows fetched with `limit(size + 1)`: the extra row only tells that there is a next page.
 */
export function toConnection<TNode extends Keyset>(rows: TNode[], size: number): Connection<TNode> {
  const edges = rows.slice(0, size).map((node) => ({ cursor: encodeCursor(node), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}
