import type { Cache } from './types.ts';

/**
 * The embedded default's cache: one process's memory, with Redis's semantics for every method so the
 * code above it cannot tell the difference (the shared test body in cache.test.ts holds both to it).
 * Errors carry Redis's messages (`WRONGTYPE ...`, `ERR ...`) for the same reason.
 */
export function createInProcessCache(options: { keyPrefix: string }): Cache {
  // Each instance owns its store, so unlike Redis two caches never share keys even under one prefix;
  // keys still carry the prefix so that they read the same as on the server.
  const store = new Map<string, Entry>();
  const key = (name: string) => options.keyPrefix + name;
  let closed = false;

  // Reads drop expired keys lazily; the sweep frees keys nobody reads again (rate-limit windows of
  // departed clients). unref(): a cache must never keep the process alive on its own.
  const sweep = setInterval(() => sweepExpired(store), SWEEP_INTERVAL_MS);
  sweep.unref();

  const assertOpen = () => {
    if (closed) throw new Error('Connection is closed.');
  };
  const live = (name: string): Entry | undefined => {
    assertOpen();
    const entry = store.get(key(name));
    if (entry && isExpired(entry, now())) {
      store.delete(key(name));
      return undefined;
    }
    return entry;
  };
  const stringEntry = (name: string) => {
    const entry = live(name);
    if (entry && entry.kind !== 'string') throw wrongType();
    return entry;
  };
  const sortedSet = (name: string): SortedSet | undefined => {
    const entry = live(name);
    if (entry && entry.kind !== 'zset') throw wrongType();
    return entry?.set;
  };
  const sortedSetForWrite = (name: string): SortedSet => {
    const existing = sortedSet(name);
    if (existing) return existing;
    const set = new SortedSet();
    store.set(key(name), { kind: 'zset', set });
    return set;
  };

  return {
    kind: 'in-process',
    async get(name) {
      return stringEntry(name)?.value ?? null;
    },
    async set(name, value, ttlSeconds) {
      assertOpen();
      if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
        throw new Error("ERR invalid expire time in 'set' command");
      }
      // Whole milliseconds, as the Redis implementation sends them (SET ... PX).
      const expiresAt = ttlSeconds === undefined ? undefined : now() + Math.ceil(ttlSeconds * 1000);
      store.set(key(name), { kind: 'string', value, expiresAt });
    },
    async del(...names) {
      let deleted = 0;
      for (const name of names) if (live(name) && store.delete(key(name))) deleted++;
      return deleted;
    },
    async hit(name, windowMs, weight = 1) {
      if (!Number.isInteger(windowMs) || windowMs <= 0) {
        throw new Error("ERR invalid expire time in 'pexpire' command");
      }
      if (!Number.isInteger(weight) || weight <= 0) throw new Error('ERR weight must be a positive integer');
      const entry = stringEntry(name);
      const count = (entry ? parseCounter(entry.value) : 0) + weight;
      // A key without expiry (new, or written by `set`) starts the window, as the Redis script does.
      const expiresAt = entry?.expiresAt ?? now() + windowMs;
      store.set(key(name), { kind: 'string', value: String(count), expiresAt });
      return { count, resetInMs: Math.max(0, Math.ceil(expiresAt - now())) };
    },
    async zadd(name, score, member, only) {
      assertScore(score, 'ERR value is not a valid float');
      const set = sortedSetForWrite(name);
      const current = set.score(member);
      if (only === 'GT' && current !== undefined && score <= current) return;
      set.set(member, score);
    },
    async zincrby(name, increment, member) {
      assertScore(increment, 'ERR value is not a valid float');
      const set = sortedSetForWrite(name);
      const score = (set.score(member) ?? 0) + increment;
      assertScore(score, 'ERR resulting score is not a number (NaN)');
      set.set(member, score);
      return score;
    },
    async zscore(name, member) {
      return sortedSet(name)?.score(member) ?? null;
    },
    async zrevrange(name, start, stop) {
      if (!Number.isInteger(start) || !Number.isInteger(stop)) {
        throw new Error('ERR value is not an integer or out of range');
      }
      return sortedSet(name)?.revRange(start, stop) ?? [];
    },
    async zrevrank(name, member) {
      return sortedSet(name)?.revRank(member) ?? null;
    },
    async zcard(name) {
      return sortedSet(name)?.size ?? 0;
    },
    async ping() {
      return !closed;
    },
    async close() {
      closed = true;
      clearInterval(sweep);
      store.clear();
    },
  };
}

const SWEEP_INTERVAL_MS = 1000;

/** Only strings expire: nothing in the interface sets a TTL on a sorted set. */
type Entry =
  | { kind: 'string'; value: string; expiresAt: number | undefined }
  | { kind: 'zset'; set: SortedSet; expiresAt?: undefined };

// Monotonic, so a wall-clock adjustment neither expires every key nor freezes a rate-limit window.
const now = () => performance.now();

const isExpired = (entry: Entry, at: number) => entry.expiresAt !== undefined && entry.expiresAt <= at;

function sweepExpired(store: Map<string, Entry>): void {
  const at = now();
  for (const [name, entry] of store) if (isExpired(entry, at)) store.delete(name);
}

const wrongType = () => new Error('WRONGTYPE Operation against a key holding the wrong kind of value');

function parseCounter(value: string): number {
  const count = Number(value);
  if (!/^(0|-?[1-9]\d*)$/.test(value) || !Number.isSafeInteger(count)) {
    throw new Error('ERR value is not an integer or out of range');
  }
  return count;
}

function assertScore(score: number, message: string): void {
  if (Number.isNaN(score)) throw new Error(message);
}

/**
 * Redis orders members of equal score by their bytes (memcmp), which for UTF-8 is code point order.
 * JavaScript's `<` compares UTF-16 code units, which disagrees only when a surrogate (U+D800-U+DFFF,
 * half of a code point above U+FFFF) meets a unit in U+E000-U+FFFF: shift those two ranges past each
 * other at the first difference, as ICU's code point order comparison does.
 */
function compareMembers(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) - codePointOrder(y);
  }
  return a.length - b.length;
}

const codePointOrder = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit);

// Redis's own skip list parameters: a node reaches level i+1 with probability 1/4, up to 32 levels.
const MAX_LEVEL = 32;
const LEVEL_UP_PROBABILITY = 0.25;

interface SkipNode {
  member: string;
  score: number;
  /** Towards lower scores along level 0, for walking down from the top rank. */
  backward: SkipNode | null;
  /** `span`: how many level-0 steps `next` is ahead, so ranks are summed on the way down. */
  levels: Array<{ next: SkipNode | null; span: number }>;
}

/**
 * A sorted set as Redis builds it: a skip list ordered by (score, member) ascending, with spans for
 * O(log N) ranks, plus a map for O(1) scores. zadd, zincrby and zrevrank are O(log N); a range is
 * O(log N + M): find its first element by rank, then follow `backward` pointers.
 */
class SortedSet {
  private readonly scores = new Map<string, number>();
  private readonly head: SkipNode = createNode(MAX_LEVEL, '', -Infinity);
  private level = 1;

  get size(): number {
    return this.scores.size;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  set(member: string, score: number): void {
    const current = this.scores.get(member);
    if (current === score) return;
    if (current !== undefined) this.remove(member, current);
    this.insert(member, score);
    this.scores.set(member, score);
  }

  /** 0-based rank from the highest score. */
  revRank(member: string): number | null {
    const score = this.scores.get(member);
    if (score === undefined) return null;
    let rank = 0;
    let node = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = node.levels[i]!.next; next && !isAfter(next, score, member); next = node.levels[i]!.next) {
        rank += node.levels[i]!.span;
        node = next;
      }
      if (node !== this.head && node.member === member) return this.size - rank;
    }
    return null;
  }

  /** Ranks `start..stop` from the highest score, with Redis's handling of negative and out-of-range indexes. */
  revRange(start: number, stop: number): Array<{ member: string; score: number }> {
    const size = this.size;
    const first = Math.max(start < 0 ? size + start : start, 0);
    const last = Math.min(stop < 0 ? size + stop : stop, size - 1);
    const range: Array<{ member: string; score: number }> = [];
    let node = first <= last ? this.nodeAtRank(size - first) : null;
    for (let i = first; i <= last && node; i++, node = node.backward) {
      range.push({ member: node.member, score: node.score });
    }
    return range;
  }

  /** The node at 1-based ascending `rank`. */
  private nodeAtRank(rank: number): SkipNode | null {
    let traversed = 0;
    let node = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (node.levels[i]!.next && traversed + node.levels[i]!.span <= rank) {
        traversed += node.levels[i]!.span;
        node = node.levels[i]!.next!;
      }
      if (traversed === rank) return node;
    }
    return null;
  }

  /** For each level, the last node before (score, member) and its 1-based rank (0 for the head). */
  private predecessors(score: number, member: string): { update: SkipNode[]; rank: number[] } {
    const update: SkipNode[] = [];
    const rank: number[] = [];
    let node = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      for (let next = node.levels[i]!.next; next && isBefore(next, score, member); next = node.levels[i]!.next) {
        rank[i]! += node.levels[i]!.span;
        node = next;
      }
      update[i] = node;
    }
    return { update, rank };
  }

  private insert(member: string, score: number): void {
    const { update, rank } = this.predecessors(score, member);
    const level = randomLevel();
    for (let i = this.level; i < level; i++) {
      // New levels start at the head, whose span there covers the whole list.
      rank[i] = 0;
      update[i] = this.head;
      this.head.levels[i]!.span = this.size;
    }
    this.level = Math.max(this.level, level);
    const node = createNode(level, member, score);
    for (let i = 0; i < level; i++) {
      const before = update[i]!.levels[i]!;
      const stepsToNode = rank[0]! - rank[i]! + 1;
      node.levels[i] = { next: before.next, span: before.span - stepsToNode + 1 };
      before.next = node;
      before.span = stepsToNode;
    }
    // Levels above the new node now jump over one more element.
    for (let i = level; i < this.level; i++) update[i]!.levels[i]!.span++;
    node.backward = update[0] === this.head ? null : update[0]!;
    const after = node.levels[0]!.next;
    if (after) after.backward = node;
  }

  private remove(member: string, score: number): void {
    const { update } = this.predecessors(score, member);
    const node = update[0]!.levels[0]!.next!;
    for (let i = 0; i < this.level; i++) {
      const before = update[i]!.levels[i]!;
      if (before.next === node) {
        before.span += node.levels[i]!.span - 1;
        before.next = node.levels[i]!.next;
      } else {
        before.span--;
      }
    }
    const after = node.levels[0]!.next;
    if (after) after.backward = node.backward;
    while (this.level > 1 && !this.head.levels[this.level - 1]!.next) this.level--;
  }
}

function createNode(level: number, member: string, score: number): SkipNode {
  return { member, score, backward: null, levels: Array.from({ length: level }, () => ({ next: null, span: 0 })) };
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < LEVEL_UP_PROBABILITY) level++;
  return level;
}

const isBefore = (node: SkipNode, score: number, member: string) =>
  node.score < score || (node.score === score && compareMembers(node.member, member) < 0);

const isAfter = (node: SkipNode, score: number, member: string) =>
  node.score > score || (node.score === score && compareMembers(node.member, member) > 0);
