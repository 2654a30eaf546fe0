import DataLoader from 'dataloader';
import type { UserRow } from './db/schema.ts';
import type { UsersService } from './service.ts';

export interface UserLoaders {
  userById: DataLoader<string, UserRow | null>;
}

/** Per request: every `User` reference in one subgraph fetch becomes one SQL query. */
export function createUserLoaders(users: UsersService): UserLoaders {
  return {
    userById: new DataLoader(async (ids) => {
      const rows = new Map((await users.byIds(ids)).map((row) => [row.id, row]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
  };
}
