import type { Connection } from '../../lib/pagination.ts';
import type { TeamRow } from './db/schema.ts';

/** A `User` as teams returns it: the key alone, for the users subgraph to resolve. */
export interface UserReference {
  id: string;
}

/** `TeamFilter`, validated and normalized. */
export interface TeamSearch {
  skill?: string;
  hackathon?: string;
  search?: string;
  openOnly: boolean;
}

/** A page of `teams`; `totalCount` counts `search` only when a client asks for it. */
export interface TeamPage extends Connection<TeamRow> {
  search: TeamSearch;
}
