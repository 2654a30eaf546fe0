import type { Connection } from '../../lib/pagination.ts';
import type { JobRow, ProposalRow } from './db/schema.ts';

/** What the resolvers receive for the GraphQL types that are not plain rows (codegen's mappers). */

/** A user this subgraph only points at: the users subgraph resolves the rest. */
export interface UserReference {
  id: string;
}

/** A proposal with its job's client: enough to tell who may see it, with no other query. */
export type ProposalRecord = ProposalRow & { clientId: string };

/** A page of `jobs`; `totalCount` is a separate query, run only when a client asks for it. */
export type JobPage = Connection<JobRow> & { totalCount(): Promise<number> };
