import type { InputMaybe } from '../generated/resolvers.ts';
import type { Context } from '../context.ts';
import type { AttemptRow } from '../db/schema.ts';
import { requireIntInRange } from '../../../lib/validation.ts';

export const MAX_LEADERBOARD_SIZE = 100;

/** `first` of both leaderboard fields: 1..100, 10 when left out. */
export function leaderboardSize(first: InputMaybe<number> | undefined): number {
  return requireIntInRange(first ?? 10, 'first', 1, MAX_LEADERBOARD_SIZE);
}

/** An attempt is its user's alone: anyone else, anonymous included, gets null as if it did not exist. */
export async function visibleAttempt({ userId, loaders }: Context, id: string): Promise<AttemptRow | null> {
  if (!userId) return null;
  const attempt = await loaders.attemptById.load(id);
  return attempt?.userId === userId ? attempt : null;
}
