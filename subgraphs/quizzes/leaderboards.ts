import { and, asc, count, countDistinct, eq, gt, sql } from 'drizzle-orm';
import type { Cache } from '../../lib/cache/types.ts';
import type { Database, Executor } from '../../lib/db/index.ts';
import { bestScores, quizzes } from './db/schema.ts';

/**
 * Leaderboards are Redis sorted sets (the in-process store on the embedded default), one per quiz and
 * one global, read from the top in O(log N + M). The database's `quiz_best_scores` is their source of
 * truth: every write here is derived from it, so the sets can be rebuilt from it at any time.
 *
 * Member: the user id. Score: `units + tieBreak`, where
 * - `units` is a whole number: the best score on the quiz, or for the global board the sum of the
 *   user's best percentages in hundredths (percentages have two decimals, so the sum is exact);
 * - `tieBreak` in [0, 1) shrinks as the time the user reached that total grows, so among equal
 *   totals whoever got there first ranks higher, in whole seconds since 2024-01-01.
 * 21 bits of units and 32 bits of seconds (136 years) fill a double's 53-bit mantissa exactly, so the
 * encoding is lossless and `Math.floor` gives the units back.
 *
 * A user's totals only ever rise (a best score is replaced only by a higher one, or by the same one
 * reached earlier), and so do their encoded scores. Every write is therefore `ZADD GT`: replaying an
 * update, or applying an older one late, cannot lower an entry or count anything twice.
 */
const TIE_EPOCH_SECONDS = Date.UTC(2024, 0, 1) / 1000;
const TIE_SLOTS = 2 ** 32;
const MAX_UNITS = 2 ** 21;

export const GLOBAL_LEADERBOARD_KEY = 'quizzes:leaderboard:global';
export const quizLeaderboardKey = (quizId: string) => `quizzes:leaderboard:quiz:${quizId}`;

/** Redis pipelines the commands of one page; pages keep memory flat however many users there are. */
const REBUILD_PAGE_SIZE = 1000;

export function encodeScore(units: number, reachedAt: Date): number {
  if (!Number.isInteger(units) || units < 0 || units >= MAX_UNITS) throw new RangeError(`Leaderboard units out of range: ${units}`);
  const second = Math.floor(reachedAt.getTime() / 1000) - TIE_EPOCH_SECONDS;
  const slot = Math.min(Math.max(second, 0), TIE_SLOTS - 1);
  return units + (TIE_SLOTS - 1 - slot) / TIE_SLOTS;
}

export const decodeUnits = (score: number) => Math.floor(score);

export interface Standing {
  units: number;
  reachedAt: Date;
}

export interface GlobalStanding extends Standing {
  userId: string;
}

/** Sum of best percentages in hundredths, and when the last of those bests was reached. */
const globalColumns = {
  userId: bestScores.userId,
  units: sql`sum(round(${bestScores.percent} * 100))::integer`.mapWith(Number),
  reachedAt: sql`max(${bestScores.reachedAt})`.mapWith(bestScores.reachedAt),
};

/** A user's global standing, or null before their first scored attempt. */
export async function globalStanding(db: Executor, userId: string): Promise<GlobalStanding | null> {
  const [row] = await db.select(globalColumns).from(bestScores).where(eq(bestScores.userId, userId)).groupBy(bestScores.userId);
  return row ?? null;
}

export interface LeaderboardEntryRow {
  rank: number;
  user: { id: string };
  score: number;
}

export type Leaderboards = ReturnType<typeof createLeaderboards>;

export function createLeaderboards(db: Database, cache: Cache) {
  async function writeGlobal(standings: GlobalStanding[]): Promise<void> {
    await Promise.all(standings.map((s) => cache.zadd(GLOBAL_LEADERBOARD_KEY, encodeScore(s.units, s.reachedAt), s.userId, 'GT')));
  }

  async function rebuildQuizBoards(): Promise<number> {
    let written = 0;
    let after: { userId: string; quizId: string } | undefined;
    for (;;) {
      const page = await db
        .select()
        .from(bestScores)
        .where(after && sql`(${bestScores.userId}, ${bestScores.quizId}) > (${after.userId}, ${after.quizId})`)
        .orderBy(asc(bestScores.userId), asc(bestScores.quizId))
        .limit(REBUILD_PAGE_SIZE);
      await Promise.all(page.map((row) => cache.zadd(quizLeaderboardKey(row.quizId), encodeScore(row.score, row.reachedAt), row.userId, 'GT')));
      written += page.length;
      if (page.length < REBUILD_PAGE_SIZE) return written;
      after = page.at(-1);
    }
  }

  async function rebuildGlobalBoard(): Promise<number> {
    let written = 0;
    let after: string | undefined;
    for (;;) {
      const page = await db
        .select(globalColumns)
        .from(bestScores)
        .where(after ? gt(bestScores.userId, after) : undefined)
        .groupBy(bestScores.userId)
        .orderBy(asc(bestScores.userId))
        .limit(REBUILD_PAGE_SIZE);
      await writeGlobal(page);
      written += page.length;
      if (page.length < REBUILD_PAGE_SIZE) return written;
      after = page.at(-1)!.userId;
    }
  }

  /**
   * Writes every standing from the database to the cache. With `reset`, first deletes the sets, so
   * nothing but the database's content remains (`npm run leaderboards:rebuild`); without it, only
   * adds what is missing or behind. Scores that land meanwhile are kept: they are at least as high.
   */
  async function rebuild({ reset }: { reset: boolean }): Promise<{ quizEntries: number; globalEntries: number }> {
    if (reset) {
      const quizIds = await db.select({ id: quizzes.id }).from(quizzes);
      await cache.del(GLOBAL_LEADERBOARD_KEY, ...quizIds.map(({ id }) => quizLeaderboardKey(id)));
    }
    return { quizEntries: await rebuildQuizBoards(), globalEntries: await rebuildGlobalBoard() };
  }

  return {
    /** The top `first` entries: of one quiz (its best scores), or global (sums of best percentages) when quizId is null. */
    async top(quizId: string | null, first: number): Promise<LeaderboardEntryRow[]> {
      const entries = await cache.zrevrange(quizId ? quizLeaderboardKey(quizId) : GLOBAL_LEADERBOARD_KEY, 0, first - 1);
      return entries.map((entry, index) => ({
        rank: index + 1,
        user: { id: entry.member },
        score: quizId ? decodeUnits(entry.score) : decodeUnits(entry.score) / 100,
      }));
    },

    /**
     * Copies one user's standing on a quiz and globally from the database to the cache. Idempotent:
     * call it after every scoring, and again on a redelivery (an earlier delivery may have committed
     * the score but failed before reaching the cache).
     */
    async syncUser(userId: string, quizId: string): Promise<void> {
      const [best] = await db
        .select({ score: bestScores.score, reachedAt: bestScores.reachedAt })
        .from(bestScores)
        .where(and(eq(bestScores.userId, userId), eq(bestScores.quizId, quizId)));
      const global = await globalStanding(db, userId);
      await Promise.all([
        best && cache.zadd(quizLeaderboardKey(quizId), encodeScore(best.score, best.reachedAt), userId, 'GT'),
        global && writeGlobal([global]),
      ]);
    },

    rebuild,

    /**
     * The start-time check: when a leaderboard holds fewer users than the database says it should
     * (Redis was emptied, lost data, or is the in-process store of a fresh process), rebuilds them all.
     * Returns whether it did.
     */
    async restoreIfIncomplete(): Promise<boolean> {
      const perQuiz = await db.select({ quizId: bestScores.quizId, users: count() }).from(bestScores).groupBy(bestScores.quizId);
      const [total] = await db.select({ users: countDistinct(bestScores.userId) }).from(bestScores);
      const behind = await Promise.all([
        cache.zcard(GLOBAL_LEADERBOARD_KEY).then((size) => size < (total?.users ?? 0)),
        ...perQuiz.map(({ quizId, users }) => cache.zcard(quizLeaderboardKey(quizId)).then((size) => size < users)),
      ]);
      if (!behind.some(Boolean)) return false;
      await rebuild({ reset: false });
      return true;
    },
  };
}
