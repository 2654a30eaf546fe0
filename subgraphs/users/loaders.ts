import DataLoader from 'dataloader';
import { oneByKey } from '../../lib/loaders.ts';
import type { UserRow } from './db/schema.ts';
import type { UsersService } from './service.ts';

export interface UserLoaders {
  userById: DataLoader<string, UserRow | null>;
}

/** Per request: every `User` reference in one subgraph fetch becomes one SQL query. */
export function createUserLoaders(users: UsersService): UserLoaders {
  return {
    userById: new DataLoader(async (ids) => oneByKey(ids, await users.byIds(ids), (row) => row.id)),
  };
}
