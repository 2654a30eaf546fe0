import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { removeRedisKeys } from '../../test/helpers/real-services.ts';
import { realServices, uniqueName } from '../../test/helpers/services.ts';
import { createInProcessCache } from './in-process.ts';
import { createRedisCache } from './redis.ts';
import type { Cache } from './types.ts';

interface Implementation {
  name: Cache['kind'];
  enabled: boolean;
  open(keyPrefix: string): Cache;
  /** Leaves a shared server as the test found it. */
  removeKeys(keyPrefix: string): Promise<void>;
}

const implementations: Implementation[] = [
  {
    name: 'in-process',
    enabled: true,
    open: (keyPrefix) => createInProcessCache({ keyPrefix }),
    removeKeys: async () => {},
  },
  {
    name: 'redis',
    enabled: realServices.redisUrl !== undefined,
    open: (keyPrefix) => createRedisCache(realServices.redisUrl!, { keyPrefix }),
    removeKeys: removeRedisKeys,
  },
];

/** Ties at one score, in ZREVRANGE order: member bytes descending, i.e. code points, not UTF-16 units. */
const TIED_MEMBERS_REVERSED = ['\u{1F600}', '\uFF5E', 'é', 'c', 'b', 'a', 'B', ''];

for (const implementation of implementations) {
  // Each test gets caches under fresh prefixes, so the tests can run concurrently and clean up after themselves.
  const cacheTest = test.extend<{ open: () => Cache; cache: Cache }>({
    // vitest reads a fixture's dependencies from this destructuring, so it stays even when empty.
    open: async ({}, use) => {
      const opened: Array<{ cache: Cache; keyPrefix: string }> = [];
      await use(() => {
        const keyPrefix = `${uniqueName('cache_test')}:`;
        const cache = implementation.open(keyPrefix);
        opened.push({ cache, keyPrefix });
        return cache;
      });
      for (const { cache, keyPrefix } of opened) {
        await implementation.removeKeys(keyPrefix);
        await cache.close();
      }
    },
    cache: async ({ open }, use) => use(open()),
  });

  describe.skipIf(!implementation.enabled).concurrent(`Cache (${implementation.name})`, () => {
    cacheTest('reports its kind', ({ cache }) => {
      expect(cache.kind).toBe(implementation.name);
    });

    cacheTest('gets, sets, overwrites and deletes strings', async ({ cache }) => {
      expect(await cache.get('missing')).toBeNull();
      await cache.set('a', 'one');
      await cache.set('b', 'two');
      await cache.set('a', 'uno');
      expect(await cache.get('a')).toBe('uno');
      expect(await cache.del('a', 'b', 'missing')).toBe(2);
      expect(await cache.get('a')).toBeNull();
      expect(await cache.del()).toBe(0);
    });

    cacheTest('expires keys after their TTL, and a plain set clears the TTL', async ({ cache }) => {
      await cache.set('second', 'v', 1);
      await cache.set('fraction', 'v', 0.2);
      await cache.set('forever', 'v');
      await cache.set('reset', 'v', 1);
      await cache.set('reset', 'w');
      expect(await cache.get('second')).toBe('v');
      await sleep(350);
      expect(await cache.get('fraction')).toBeNull();
      expect(await cache.get('second')).toBe('v');
      await sleep(850);
      expect(await cache.get('second')).toBeNull();
      expect(await cache.del('second', 'fraction')).toBe(0);
      expect(await cache.get('forever')).toBe('v');
      expect(await cache.get('reset')).toBe('w');
    });

    cacheTest('rejects a TTL that is not positive', async ({ cache }) => {
      await expect(cache.set('k', 'v', 0)).rejects.toThrow(/invalid expire time/);
      await expect(cache.set('k', 'v', -1)).rejects.toThrow(/invalid expire time/);
    });

    cacheTest('counts hits in a fixed window, then starts a new one', async ({ cache }) => {
      const first = await cache.hit('ip:1', 300);
      expect(first.count).toBe(1);
      expect(first.resetInMs).toBeGreaterThan(250);
      expect(first.resetInMs).toBeLessThanOrEqual(300);
      await sleep(50);
      await cache.hit('ip:1', 300);
      const third = await cache.hit('ip:1', 300);
      expect(third.count).toBe(3);
      // Later hits do not extend the window.
      expect(third.resetInMs).toBeLessThanOrEqual(first.resetInMs - 40);
      expect(await cache.get('ip:1')).toBe('3');
      expect((await cache.hit('ip:2', 300)).count).toBe(1);
      expect((await cache.hit('ip:2', 300, 5)).count).toBe(6);
      await sleep(third.resetInMs + 50);
      const next = await cache.hit('ip:1', 300);
      expect(next.count).toBe(1);
      expect(next.resetInMs).toBeGreaterThan(250);
    });

    cacheTest('starts a window on a counter that has no expiry', async ({ cache }) => {
      await cache.set('counter', '5');
      expect(await cache.hit('counter', 1000)).toEqual({ count: 6, resetInMs: expect.any(Number) });
      expect((await cache.hit('counter', 1000)).resetInMs).toBeLessThanOrEqual(1000);
      await cache.set('text', 'not a number');
      await expect(cache.hit('text', 1000)).rejects.toThrow(/not an integer/);
    });

    cacheTest('isolates caches with different prefixes', async ({ open }) => {
      const first = open();
      const second = open();
      await first.set('k', 'first');
      expect(await second.get('k')).toBeNull();
      await second.set('k', 'second');
      await first.zadd('board', 1, 'ada');
      await first.hit('window', 1000);
      expect(await first.get('k')).toBe('first');
      expect(await second.zcard('board')).toBe(0);
      expect((await second.hit('window', 1000)).count).toBe(1);
      expect(await second.del('k')).toBe(1);
      expect(await first.get('k')).toBe('first');
    });

    cacheTest('refuses to read a key as the wrong type, as Redis does', async ({ cache }) => {
      await cache.zadd('board', 1, 'ada');
      await expect(cache.get('board')).rejects.toThrow(/WRONGTYPE/);
      await expect(cache.hit('board', 1000)).rejects.toThrow(/WRONGTYPE/);
      await cache.set('board', 'replaced');
      await expect(cache.zcard('board')).rejects.toThrow(/WRONGTYPE/);
      expect(await cache.get('board')).toBe('replaced');
    });

    cacheTest('adds, updates and reads scores', async ({ cache }) => {
      expect(await cache.zscore('board', 'ada')).toBeNull();
      expect(await cache.zcard('board')).toBe(0);
      await cache.zadd('board', 10, 'ada');
      await cache.zadd('board', 20, 'bob');
      await cache.zadd('board', 5, 'ada');
      expect(await cache.zscore('board', 'ada')).toBe(5);
      expect(await cache.zscore('board', 'nobody')).toBeNull();
      expect(await cache.zcard('board')).toBe(2);
      await cache.zadd('board', Infinity, 'top');
      await cache.zadd('board', -Infinity, 'bottom');
      expect(await cache.zscore('board', 'top')).toBe(Infinity);
      expect(await cache.zrevrange('board', 0, -1)).toEqual([
        { member: 'top', score: Infinity },
        { member: 'bob', score: 20 },
        { member: 'ada', score: 5 },
        { member: 'bottom', score: -Infinity },
      ]);
      await expect(cache.zadd('board', Number.NaN, 'nan')).rejects.toThrow(/not a valid float/);
    });

    cacheTest('keeps the higher score with GT, and still adds new members', async ({ cache }) => {
      await cache.zadd('best', 10, 'ada', 'GT');
      await cache.zadd('best', 5, 'ada', 'GT');
      expect(await cache.zscore('best', 'ada')).toBe(10);
      await cache.zadd('best', 10, 'ada', 'GT');
      await cache.zadd('best', 12.5, 'ada', 'GT');
      expect(await cache.zscore('best', 'ada')).toBe(12.5);
      await cache.zadd('best', -3, 'bob', 'GT');
      expect(await cache.zscore('best', 'bob')).toBe(-3);
    });

    cacheTest('increments scores', async ({ cache }) => {
      expect(await cache.zincrby('points', 2.5, 'ada')).toBe(2.5);
      expect(await cache.zincrby('points', 4, 'ada')).toBe(6.5);
      expect(await cache.zincrby('points', -10, 'ada')).toBe(-3.5);
      expect(await cache.zincrby('points', 0.1, 'bob')).toBe(0.1);
      expect(await cache.zscore('points', 'ada')).toBe(-3.5);
      await cache.zadd('points', Infinity, 'top');
      await expect(cache.zincrby('points', -Infinity, 'top')).rejects.toThrow(/NaN/);
    });

    cacheTest('ranks ties by member bytes, exactly as Redis', async ({ cache }) => {
      // Added out of order, so the order read back is the store's own.
      for (const member of ['b', '', 'é', '\u{1F600}', 'B', 'a', '\uFF5E', 'c']) await cache.zadd('ties', 5, member);
      await cache.zadd('ties', 9, 'high');
      await cache.zadd('ties', 1, 'low');
      const members = (await cache.zrevrange('ties', 0, -1)).map((entry) => entry.member);
      expect(members).toEqual(['high', ...TIED_MEMBERS_REVERSED, 'low']);
      for (const [rank, member] of members.entries()) expect(await cache.zrevrank('ties', member)).toBe(rank);
    });

    cacheTest('reads ranges with negative and out-of-range indexes as Redis does', async ({ cache }) => {
      for (const [score, member] of [[1, 'e'], [2, 'd'], [3, 'c'], [4, 'b'], [5, 'a']] as const) {
        await cache.zadd('abc', score, member);
      }
      const range = async (start: number, stop: number) =>
        (await cache.zrevrange('abc', start, stop)).map((entry) => entry.member).join('');
      expect(await range(0, -1)).toBe('abcde');
      expect(await range(1, 2)).toBe('bc');
      expect(await range(-2, -1)).toBe('de');
      expect(await range(-100, 1)).toBe('ab');
      expect(await range(3, 100)).toBe('de');
      expect(await range(3, 1)).toBe('');
      expect(await range(5, 10)).toBe('');
      expect(await range(-1, -2)).toBe('');
      expect(await cache.zrevrange('missing', 0, -1)).toEqual([]);
    });

    cacheTest('ranks members from the highest score', async ({ cache }) => {
      await cache.zadd('board', 10, 'ada');
      await cache.zadd('board', 30, 'bob');
      await cache.zadd('board', 20, 'cy');
      expect(await cache.zrevrank('board', 'bob')).toBe(0);
      expect(await cache.zrevrank('board', 'cy')).toBe(1);
      expect(await cache.zrevrank('board', 'ada')).toBe(2);
      expect(await cache.zrevrank('board', 'nobody')).toBeNull();
      expect(await cache.zrevrank('missing', 'ada')).toBeNull();
    });

    cacheTest('answers ping while open, and not after close', async ({ cache }) => {
      expect(await cache.ping()).toBe(true);
      await cache.close();
      expect(await cache.ping()).toBe(false);
      await cache.close();
    });
  });
}

describe('Cache (in-process) sorted set against a brute-force model', () => {
  test('agrees on scores, ranks and ranges over random operations', async () => {
    const cache = createInProcessCache({ keyPrefix: 'model:' });
    const model = new Map<string, number>();
    const random = seededRandom(20240601);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const integer = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
    // Few distinct scores, so most members tie and the member order is exercised.
    const members = [...TIED_MEMBERS_REVERSED, ...Array.from({ length: 60 }, (_, i) => `m${i}`)];
    const scores = [-2, -1, 0, 0.5, 1, 2, 3];
    // Independent of the implementation: sort everything, order ties by UTF-8 bytes like Redis's memcmp.
    const expectedOrder = () =>
      [...model]
        .sort(([ma, sa], [mb, sb]) => sb - sa || Buffer.compare(Buffer.from(mb), Buffer.from(ma)))
        .map(([member, score]) => ({ member, score }));

    for (let step = 0; step < 4000; step++) {
      const member = pick(members);
      const score = pick(scores);
      const operation = integer(0, 3);
      if (operation === 0) {
        await cache.zadd('set', score, member);
        model.set(member, score);
      } else if (operation === 1) {
        await cache.zadd('set', score, member, 'GT');
        model.set(member, Math.max(score, model.get(member) ?? -Infinity));
      } else if (operation === 2) {
        model.set(member, (model.get(member) ?? 0) + score);
        expect(await cache.zincrby('set', score, member)).toBe(model.get(member));
      } else {
        const [start, stop] = [integer(-80, 80), integer(-80, 80)];
        expect(await cache.zrevrange('set', start, stop)).toEqual(redisSlice(expectedOrder(), start, stop));
      }
      const probe = pick(members);
      const rank = expectedOrder().findIndex((entry) => entry.member === probe);
      expect(await cache.zrevrank('set', probe)).toBe(rank === -1 ? null : rank);
      expect(await cache.zscore('set', probe)).toBe(model.get(probe) ?? null);
      expect(await cache.zcard('set')).toBe(model.size);
    }
    expect(await cache.zrevrange('set', 0, -1)).toEqual(expectedOrder());
    await cache.close();
  });
});

/** ZRANGE's index rules: negatives count from the end, then clamp to the list. */
function redisSlice<T>(items: T[], start: number, stop: number): T[] {
  const from = start < 0 ? Math.max(items.length + start, 0) : start;
  const to = stop < 0 ? items.length + stop : Math.min(stop, items.length - 1);
  return from > to ? [] : items.slice(from, to + 1);
}

/** mulberry32: a failure reproduces from the same seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
