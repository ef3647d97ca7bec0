import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BuddyZone, type FreeResult } from '../../../src/model/buddy.ts';
import { ModelBug } from '../../../src/model/types.ts';

// ---------------------------------------------------------------------------------------------
// Deterministic unit tests

describe('BuddyZone: boot free', () => {
  it('starts empty', () => {
    const z = new BuddyZone('Normal', 0, 4096);
    expect(z.freePagesCount).toBe(0);
    expect(z.largestFreeOrder()).toBe(-1);
    expect(z.allocPages(0)).toBe(-1);
    z.checkInvariants();
  });

  it('gives max-order blocks, then the largest aligned blocks of the remainder', () => {
    const start = 1024;
    const z = new BuddyZone('Normal', start, start + 4 * 1024 + 100);
    expect(z.freeRange(start, 4 * 1024 + 100)).toEqual({ ok: true });
    z.checkInvariants();
    expect(z.freePagesCount).toBe(4196);
    expect(z.freeCount(10)).toBe(4);
    expect(z.largestFreeOrder()).toBe(10);
    const tail = start + 4096;
    expect(z.freeBlocks()).toEqual([
      { idx: start, order: 10 },
      { idx: start + 1024, order: 10 },
      { idx: start + 2048, order: 10 },
      { idx: start + 3072, order: 10 },
      { idx: tail, order: 6 },
      { idx: tail + 64, order: 5 },
      { idx: tail + 96, order: 2 },
    ]);
    // __free_pages_memory() frees ascending and list_add() puts each block at the head.
    expect(z.freeList(10)).toEqual([start + 3072, start + 2048, start + 1024, start]);
  });

  it('aligns relative to startIdx, not to absolute indices', () => {
    const z = new BuddyZone('odd', 5, 5 + 40, 5);
    z.freeRange(5, 40);
    expect(z.freeBlocks()).toEqual([
      { idx: 5, order: 4 },
      { idx: 21, order: 4 },
      { idx: 37, order: 3 },
    ]);
    // A sub-range starting off-alignment is split into aligned pieces.
    const y = new BuddyZone('odd', 5, 5 + 40, 5);
    y.freeRange(8, 13);
    expect(y.freeBlocks()).toEqual([
      { idx: 8, order: 0 },
      { idx: 9, order: 2 },
      { idx: 13, order: 3 },
    ]);
    y.checkInvariants();
  });

  it('refuses a range that leaves the zone or overlaps free pages, without change', () => {
    const z = new BuddyZone('Normal', 100, 200, 4);
    z.freeRange(120, 10);
    const before = z.stateKey();
    expect(z.freeRange(90, 20)).toEqual({ ok: false, reason: 'out-of-zone', page: 90 });
    expect(z.freeRange(190, 20)).toEqual({ ok: false, reason: 'out-of-zone', page: 200 });
    expect(z.freeRange(110, 15)).toEqual({ ok: false, reason: 'double-free', page: 120 });
    expect(z.freeRange(150, 0)).toEqual({ ok: true });
    expect(z.stateKey()).toBe(before);
    z.checkInvariants();
  });
});

describe('BuddyZone: allocation and free', () => {
  const start = 2048;
  const twoBlocks = (): BuddyZone => {
    const z = new BuddyZone('Normal', start, start + 2048);
    z.freeRange(start, 2048);
    return z;
  };

  it('order 0 from a fresh 2-block zone splits the head block (the last freed, upper one)', () => {
    const z = twoBlocks();
    const boot = z.snapshot();
    expect(boot).toBe(`Normal[${start},${start + 2048}) free=2048 {${start}:10 ${start + 1024}:10}`);
    const p = z.allocPages(0);
    expect(p).toBe(start + 1024);
    z.checkInvariants();
    for (let o = 0; o <= 9; o++) {
      expect(z.freeCount(o)).toBe(1);
      expect(z.freeList(o)).toEqual([start + 1024 + (1 << o)]);
    }
    expect(z.freeList(10)).toEqual([start]);
    expect(z.freePagesCount).toBe(2047);
    expect(z.isPageFree(p)).toBe(false);
    expect(z.isPageFree(p + 1)).toBe(true);
    // The next order-10 request takes the remaining max-order block.
    const q = z.allocPages(10);
    expect(q).toBe(start);
    expect(z.allocPages(10)).toBe(-1);
    expect(z.freePages(q, 10)).toEqual({ ok: true });
    // Freeing merges all the way back to the boot state, list order included.
    const bootKey = twoBlocks().stateKey();
    expect(z.freePages(p, 0)).toEqual({ ok: true });
    expect(z.snapshot()).toBe(boot);
    expect(z.stateKey()).toBe(bootKey);
    z.checkInvariants();
  });

  it('takes the smallest sufficient order first, from the head', () => {
    const z = new BuddyZone('z', 0, 64, 7);
    z.freeRange(0, 64); // o6:[0]
    expect(z.allocPages(0)).toBe(0); // o5:[32] o4:[16] o3:[8] o2:[4] o1:[2] o0:[1]
    expect(z.allocPages(2)).toBe(4);
    expect(z.allocPages(0)).toBe(1);
    expect(z.allocPages(0)).toBe(2); // from o1:[2], o0 gets 3
    expect(z.freeList(0)).toEqual([3]);
    expect(z.allocPages(7)).toBe(-1);
    expect(z.allocPages(100)).toBe(-1);
    z.checkInvariants();
  });

  it('runs out: -1 once every page is allocated', () => {
    const z = new BuddyZone('z', 10, 10 + 37, 4);
    z.freeRange(10, 37);
    const got: number[] = [];
    for (let p = z.allocPages(0); p !== -1; p = z.allocPages(0)) got.push(p);
    expect(got.length).toBe(37);
    expect(new Set(got).size).toBe(37);
    expect(z.freePagesCount).toBe(0);
    expect(z.largestFreeOrder()).toBe(-1);
    for (const p of got) expect(z.freePages(p, 0)).toEqual({ ok: true });
    expect(z.snapshot()).toBe('z[10,47) free=37 {10:3 18:3 26:3 34:3 42:2 46:0}');
    z.checkInvariants();
  });

  it('puts a merged block at the tail when its next-order buddy is free (3.18 hint)', () => {
    const mk = (tailHint: boolean): BuddyZone => {
      const z = new BuddyZone('z', 0, 64, 7, { tailHint });
      z.freeRange(4, 4); // o2:[4]
      z.freeRange(16, 2); // o1:[16]
      // Block 2 (order 1): buddy 0 is in use; the buddy of its parent (4, order 2) is free.
      expect(z.freePages(2, 1)).toEqual({ ok: true });
      return z;
    };
    const kernel = mk(true);
    expect(kernel.freeList(1)).toEqual([16, 2]);
    expect(kernel.allocPages(1)).toBe(16);
    const plain = mk(false);
    expect(plain.freeList(1)).toEqual([2, 16]);
    expect(plain.allocPages(1)).toBe(2);
    expect(kernel.snapshot()).not.toBe(plain.snapshot());
  });
});

describe('BuddyZone: bad frees', () => {
  const mk = (): BuddyZone => {
    const z = new BuddyZone('Normal', 512, 512 + 1024, 11);
    z.freeRange(512, 1024);
    return z;
  };

  it('double free returns double-free and changes nothing', () => {
    const z = mk();
    const p = z.allocPages(3);
    expect(z.freePages(p, 3)).toEqual({ ok: true });
    const snap = z.snapshot();
    const key = z.stateKey();
    expect(z.freePages(p, 3)).toEqual({ ok: false, reason: 'double-free', page: p });
    // A page inside a larger free block, not its first page.
    expect(z.freePages(p + 5, 0)).toEqual({ ok: false, reason: 'double-free', page: p + 5 });
    expect(z.snapshot()).toBe(snap);
    expect(z.stateKey()).toBe(key);
    expect(z.freePagesCount).toBe(1024);
    z.checkInvariants();
  });

  it('a block partly free is refused at its first free page', () => {
    const z = mk();
    const a = z.allocPages(0); // the one order-10 block, split
    expect(a).toBe(512);
    const key = z.stateKey();
    expect(z.freePages(a, 1)).toEqual({ ok: false, reason: 'double-free', page: a + 1 });
    expect(z.stateKey()).toBe(key);
  });

  it('out-of-zone and misaligned frees are refused without change', () => {
    const z = new BuddyZone('Normal', 512, 512 + 100, 11);
    z.freeRange(560, 20);
    const key = z.stateKey();
    expect(z.freePages(511, 0)).toEqual({ ok: false, reason: 'out-of-zone', page: 511 });
    expect(z.freePages(612, 0)).toEqual({ ok: false, reason: 'out-of-zone', page: 612 });
    expect(z.freePages(608, 3)).toEqual({ ok: false, reason: 'out-of-zone', page: 612 });
    expect(z.freePages(514, 2)).toEqual({ ok: false, reason: 'misaligned', page: 514 });
    expect(z.stateKey()).toBe(key);
    expect(() => z.freePages(512, 11)).toThrow(ModelBug);
    expect(() => z.freePages(512.5, 0)).toThrow(ModelBug);
    expect(() => z.allocPages(-1)).toThrow(ModelBug);
    z.checkInvariants();
  });
});

describe('BuddyZone: splitAllocated', () => {
  it('keeps the head pages and frees the tail one page at a time', () => {
    const z = new BuddyZone('z', 0, 16, 5);
    z.freeRange(0, 16);
    const p = z.allocPages(3); // o3:[8]
    expect(p).toBe(0);
    expect(z.splitAllocated(p, 3, 3)).toEqual({ ok: true });
    expect(z.freePagesCount).toBe(13);
    expect(z.snapshot()).toBe('z[0,16) free=13 {3:0 4:2 8:3}');
    z.checkInvariants();
    // The kept pages are independent order-0 pages now.
    expect(z.freePages(1, 0)).toEqual({ ok: true });
    expect(z.freePages(0, 0)).toEqual({ ok: true });
    expect(z.freePages(2, 0)).toEqual({ ok: true });
    expect(z.snapshot()).toBe('z[0,16) free=16 {0:4}');
    z.checkInvariants();
  });

  it('refuses bad input without change', () => {
    const z = new BuddyZone('z', 0, 16, 5);
    z.freeRange(0, 16);
    const p = z.allocPages(2);
    const key = z.stateKey();
    expect(z.splitAllocated(p + 4, 2, 1)).toEqual({ ok: false, reason: 'double-free', page: p + 4 });
    expect(z.splitAllocated(p + 1, 1, 1)).toEqual({ ok: false, reason: 'misaligned', page: p + 1 });
    expect(z.splitAllocated(12, 2, 1)).toEqual({ ok: false, reason: 'double-free', page: 12 });
    expect(z.splitAllocated(14, 2, 1)).toEqual({ ok: false, reason: 'out-of-zone', page: 16 });
    expect(z.splitAllocated(p, 2, 4)).toEqual({ ok: true }); // keeps everything
    expect(z.stateKey()).toBe(key);
    expect(() => z.splitAllocated(p, 2, 5)).toThrow(ModelBug);
  });
});

describe('BuddyZone: clone', () => {
  it('is a deep copy', () => {
    const z = new BuddyZone('z', 0, 256, 6);
    z.freeRange(0, 256);
    const c = z.clone();
    expect(c.stateKey()).toBe(z.stateKey());
    const key = z.stateKey();
    c.allocPages(0);
    c.freePages(0, 0);
    c.allocPages(5);
    expect(z.stateKey()).toBe(key);
    z.checkInvariants();
    c.checkInvariants();
  });
});

describe('BuddyZone: clone(reuse)', () => {
  it('restores an earlier clone to the source state, whatever that clone did', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(4), fc.nat(255)), { maxLength: 60 }), (steps) => {
        const z = new BuddyZone('z', 0, 256, 6);
        z.freeRange(0, 256);
        z.allocPages(3);
        const c = z.clone();
        const held: [number, number][] = [];
        for (const [alloc, order, k] of steps) {
          if (alloc || held.length === 0) {
            const p = c.allocPages(order);
            if (p >= 0) held.push([p, order]);
          } else c.freePages(...held.splice(k % held.length, 1)[0]!);
        }
        const r = z.clone(c);
        expect(r).toBe(c);
        expect(r.stateKey()).toBe(z.stateKey());
        r.checkInvariants();
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('BuddyZone: freeRange against page-by-page frees', () => {
  it('freeing a run of allocated pages at once leaves the lists of one freePages(p, 0) per page, ascending', () => {
    const state = fc.record({
      frees: fc.array(fc.tuple(fc.nat(511), fc.nat(4)), { maxLength: 40 }),
      start: fc.nat(511),
      count: fc.integer({ min: 1, max: 300 }),
      tailHint: fc.boolean(),
    });
    fc.assert(
      fc.property(state, ({ frees, start, count, tailHint }) => {
        const a = new BuddyZone('z', 0, 512, 6, { tailHint });
        for (const [p, order] of frees) a.freePages(p & ~((1 << order) - 1), order);
        const n = Math.min(count, 512 - start);
        // only runs of allocated pages: that is when freePagesEach takes the run at once
        for (let p = start; p < start + n; p++) fc.pre(!a.isPageFree(p));
        const b = a.clone();
        expect(a.freeRange(start, n).ok).toBe(true);
        for (let p = start; p < start + n; p++) expect(b.freePages(p, 0).ok).toBe(true);
        expect(a.stateKey()).toBe(b.stateKey());
        a.checkInvariants();
      }),
      { seed: 13, numRuns: 3000 },
    );
  });
});

describe('BuddyZone: allocOrder0Bulk', () => {
  it('gives the pages, trace count and lists of one allocPages(0) call per page', () => {
    const state = fc.record({
      frees: fc.array(fc.tuple(fc.nat(511), fc.nat(3)), { maxLength: 40 }),
      want: fc.integer({ min: 1, max: 600 }),
      tailHint: fc.boolean(),
    });
    fc.assert(
      fc.property(state, ({ frees, want, tailHint }) => {
        const a = new BuddyZone('z', 0, 512, 6, { tailHint });
        for (const [p, order] of frees) a.freePages(p & ~((1 << order) - 1), order);
        const b = a.clone();
        const bulk = new Int32Array(want);
        const got = a.allocOrder0Bulk(bulk, 0, want);
        const one: number[] = [];
        for (let i = 0; i < want; i++) {
          const p = b.allocPages(0);
          if (p < 0) break;
          one.push(p);
        }
        expect(got).toBe(one.length);
        expect([...bulk.subarray(0, got)]).toEqual(one);
        expect(a.stateKey()).toBe(b.stateKey());
        a.checkInvariants();
      }),
      { seed: 11, numRuns: 1500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Differential test against a naive reference with the same policy

/**
 * Naive reference: free lists as plain arrays (head first), everything by linear search. Same
 * policy: __rmqueue_smallest + expand, __free_one_page with the tail hint, __free_pages_memory.
 */
class RefZone {
  readonly lists: number[][];
  freePages = 0;
  constructor(
    readonly name: string,
    readonly start: number,
    readonly end: number,
    readonly maxOrder: number,
    readonly tailHint: boolean,
  ) {
    this.lists = Array.from({ length: maxOrder }, () => []);
  }

  private pageFree(p: number): boolean {
    return this.lists.some((l, o) => l.some((b) => p >= b && p < b + 2 ** o));
  }

  private check(idx: number, count: number, order: number): FreeResult | null {
    if (idx < this.start || idx >= this.end) return { ok: false, reason: 'out-of-zone', page: idx };
    if (idx + count > this.end) return { ok: false, reason: 'out-of-zone', page: this.end };
    if ((idx - this.start) % 2 ** order !== 0) return { ok: false, reason: 'misaligned', page: idx };
    for (let p = idx; p < idx + count; p++)
      if (this.pageFree(p)) return { ok: false, reason: 'double-free', page: p };
    return null;
  }

  private insert(idx: number, order: number): void {
    for (;;) {
      if (order >= this.maxOrder - 1) break;
      const rel = idx - this.start;
      const buddy = this.start + (rel ^ (2 ** order));
      const at = this.lists[order]!.indexOf(buddy);
      if (at < 0) break;
      this.lists[order]!.splice(at, 1);
      idx = Math.min(idx, buddy);
      order++;
    }
    if (this.tailHint && order < this.maxOrder - 2) {
      const rel = idx - this.start;
      const parent = rel - (rel % 2 ** (order + 1));
      const higherBuddy = this.start + (parent ^ (2 ** (order + 1)));
      if (this.lists[order + 1]!.includes(higherBuddy)) {
        this.lists[order]!.push(idx);
        return;
      }
    }
    this.lists[order]!.unshift(idx);
  }

  alloc(order: number): number {
    for (let cur = order; cur < this.maxOrder; cur++) {
      const idx = this.lists[cur]!.shift();
      if (idx === undefined) continue;
      for (let h = cur - 1; h >= order; h--) this.lists[h]!.unshift(idx + 2 ** h);
      this.freePages -= 2 ** order;
      return idx;
    }
    return -1;
  }

  free(idx: number, order: number): FreeResult {
    const bad = this.check(idx, 2 ** order, order);
    if (bad) return bad;
    this.freePages += 2 ** order;
    this.insert(idx, order);
    return { ok: true };
  }

  freeRange(s: number, count: number): FreeResult {
    if (count === 0) return { ok: true };
    const bad = this.check(s, count, 0);
    if (bad) return bad;
    this.freePages += count;
    let p = s;
    while (p < s + count) {
      let order = this.maxOrder - 1;
      while ((p - this.start) % 2 ** order !== 0 || p + 2 ** order > s + count) order--;
      this.insert(p, order);
      p += 2 ** order;
    }
    return { ok: true };
  }

  split(idx: number, order: number, keep: number): FreeResult {
    const bad = this.check(idx, 2 ** order, order);
    if (bad) return bad;
    for (let p = idx + keep; p < idx + 2 ** order; p++) {
      this.freePages++;
      this.insert(p, 0);
    }
    return { ok: true };
  }

  snapshot(): string {
    const blocks = this.lists
      .flatMap((l, o) => l.map((idx) => ({ idx, o })))
      .sort((a, b) => a.idx - b.idx)
      .map((b) => `${b.idx}:${b.o}`)
      .join(' ');
    return `${this.name}[${this.start},${this.end}) free=${this.freePages} {${blocks}}`;
  }
}

type Op =
  | { t: 'alloc'; order: number }
  | { t: 'free'; k: number }
  | { t: 'refree'; k: number }
  | { t: 'raw'; off: number; order: number }
  | { t: 'split'; k: number; keep: number }
  | { t: 'rawSplit'; off: number; order: number; keep: number }
  | { t: 'range'; k: number }
  | { t: 'rawRange'; off: number; count: number }
  | { t: 'clone' };

interface Scenario {
  maxOrder: number;
  start: number;
  size: number;
  cuts: number[];
  bootFreeFirst: boolean;
  tailHint: boolean;
  ops: Op[];
}

const opArb = (maxOrder: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.record({ t: fc.constant('alloc' as const), order: fc.nat(maxOrder) }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('free' as const), k: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('refree' as const), k: fc.nat() }) },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant('raw' as const), off: fc.nat(), order: fc.nat(maxOrder - 1) }),
    },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('split' as const), k: fc.nat(), keep: fc.nat() }) },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('rawSplit' as const),
        off: fc.nat(),
        order: fc.nat(maxOrder - 1),
        keep: fc.nat(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('range' as const), k: fc.nat() }) },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant('rawRange' as const), off: fc.nat(), count: fc.nat(40) }),
    },
    { weight: 1, arbitrary: fc.constant({ t: 'clone' as const }) },
  );

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    maxOrder: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 7, max: 11 })),
    start: fc.oneof(
      fc.nat(70),
      fc.nat(4).map((k) => k * 1024),
    ),
    sizeFrac: fc.nat(1000),
    cuts: fc.array(fc.nat(), { maxLength: 5 }),
    bootFreeFirst: fc.boolean(),
    tailHint: fc.boolean(),
  })
  .chain((s) =>
    fc.array(opArb(s.maxOrder), { maxLength: 60 }).map((ops) => ({
      maxOrder: s.maxOrder,
      start: s.start,
      // Up to 3 max-order blocks plus a ragged tail, capped to keep the naive reference fast.
      size: Math.floor((Math.min(3 * 2 ** (s.maxOrder - 1) + 7, 1600) * s.sizeFrac) / 1000),
      cuts: s.cuts,
      bootFreeFirst: s.bootFreeFirst,
      tailHint: s.tailHint,
      ops,
    })),
  );

/** The largest aligned blocks covering [s, s + n), relative alignment as __free_pages_memory(). */
function decompose(
  zoneStart: number,
  maxOrder: number,
  s: number,
  n: number,
): { idx: number; order: number }[] {
  const out: { idx: number; order: number }[] = [];
  let p = s;
  while (p < s + n) {
    let o = maxOrder - 1;
    while ((p - zoneStart) % 2 ** o !== 0 || p + 2 ** o > s + n) o--;
    out.push({ idx: p, order: o });
    p += 2 ** o;
  }
  return out;
}

function runScenario(sc: Scenario): void {
  const { maxOrder, start, size } = sc;
  const end = start + size;
  let zone = new BuddyZone('Z', start, end, maxOrder, { tailHint: sc.tailHint });
  const ref = new RefZone('Z', start, end, maxOrder, sc.tailHint);
  /** Blocks the harness holds (allocated or never freed), each freeable as (idx, order). */
  let held: { idx: number; order: number }[] = [];
  const freedLog: { idx: number; order: number }[] = [];

  const compare = (): void => {
    expect(zone.snapshot()).toBe(ref.snapshot());
    for (let o = 0; o < maxOrder; o++) {
      expect(zone.freeList(o)).toEqual(ref.lists[o]);
      expect(zone.freeCount(o)).toBe(ref.lists[o]!.length);
    }
    const largest = ref.lists.reduce((m, l, o) => (l.length > 0 ? o : m), -1);
    expect(zone.largestFreeOrder()).toBe(largest);
    expect(zone.freePagesCount).toBe(ref.freePages);
    zone.checkInvariants();
  };
  /** After a successful free of [s, s + n): drop what was held there, keep the rest as pages. */
  const release = (s: number, n: number): void => {
    const next: { idx: number; order: number }[] = [];
    for (const b of held) {
      const bEnd = b.idx + 2 ** b.order;
      if (bEnd <= s || b.idx >= s + n) next.push(b);
      else for (let p = b.idx; p < bEnd; p++) if (p < s || p >= s + n) next.push({ idx: p, order: 0 });
    }
    held = next;
  };

  // Boot: cut the zone into segments, alternately freed and kept (reserved) by the harness.
  const cuts = [...new Set(sc.cuts.map((c) => (size === 0 ? 0 : c % size)))].sort((a, b) => a - b);
  const bounds = [0, ...cuts.filter((c) => c > 0), size];
  let freeSeg = sc.bootFreeFirst;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const s = start + bounds[i]!;
    const n = bounds[i + 1]! - bounds[i]!;
    if (freeSeg) expect(zone.freeRange(s, n)).toEqual(ref.freeRange(s, n));
    else held.push(...decompose(start, maxOrder, s, n));
    freeSeg = !freeSeg;
  }
  compare();

  const rawIdx = (off: number): number => start - 3 + (off % (size + 6));
  let previous: { zone: BuddyZone; key: string } | null = null;
  for (const op of sc.ops) {
    switch (op.t) {
      case 'alloc': {
        const got = zone.allocPages(op.order);
        expect(got).toBe(ref.alloc(op.order));
        if (got !== -1) held.push({ idx: got, order: op.order });
        break;
      }
      case 'free':
      case 'range': {
        if (held.length === 0) break;
        const i = op.k % held.length;
        const b = held[i]!;
        const r = op.t === 'free' ? zone.freePages(b.idx, b.order) : zone.freeRange(b.idx, 2 ** b.order);
        expect(r).toEqual({ ok: true });
        expect(op.t === 'free' ? ref.free(b.idx, b.order) : ref.freeRange(b.idx, 2 ** b.order)).toEqual(r);
        held.splice(i, 1);
        freedLog.push(b);
        break;
      }
      case 'refree': {
        if (freedLog.length === 0) break;
        const b = freedLog[op.k % freedLog.length]!;
        const r = zone.freePages(b.idx, b.order);
        expect(r).toEqual(ref.free(b.idx, b.order));
        if (r.ok) release(b.idx, 2 ** b.order);
        break;
      }
      case 'raw': {
        const idx = rawIdx(op.off);
        const r = zone.freePages(idx, op.order);
        expect(r).toEqual(ref.free(idx, op.order));
        if (r.ok) release(idx, 2 ** op.order);
        break;
      }
      case 'split': {
        if (held.length === 0) break;
        const i = op.k % held.length;
        const b = held[i]!;
        const keep = op.keep % (2 ** b.order + 1);
        const r = zone.splitAllocated(b.idx, b.order, keep);
        expect(r).toEqual({ ok: true });
        expect(ref.split(b.idx, b.order, keep)).toEqual(r);
        held.splice(i, 1);
        for (let p = b.idx; p < b.idx + keep; p++) held.push({ idx: p, order: 0 });
        break;
      }
      case 'rawSplit': {
        const idx = rawIdx(op.off);
        const keep = op.keep % (2 ** op.order + 1);
        const r = zone.splitAllocated(idx, op.order, keep);
        expect(r).toEqual(ref.split(idx, op.order, keep));
        if (r.ok) release(idx + keep, 2 ** op.order - keep);
        break;
      }
      case 'rawRange': {
        const idx = rawIdx(op.off);
        const r = zone.freeRange(idx, op.count);
        expect(r).toEqual(ref.freeRange(idx, op.count));
        if (r.ok) release(idx, op.count);
        break;
      }
      case 'clone': {
        const c = zone.clone();
        expect(c.stateKey()).toBe(zone.stateKey());
        previous = { zone, key: zone.stateKey() };
        zone = c;
        break;
      }
    }
    compare();
    if (previous && previous.zone !== zone) {
      // The original must not see the clone's later changes.
      expect(previous.zone.stateKey()).toBe(previous.key);
    }
  }
  // Free everything still held: the zone must end fully free, as one boot free would leave it.
  for (const b of held) {
    expect(zone.freePages(b.idx, b.order)).toEqual({ ok: true });
    ref.free(b.idx, b.order);
  }
  compare();
  expect(zone.freePagesCount).toBe(size);
  const fresh = new BuddyZone('Z', start, end, maxOrder);
  fresh.freeRange(start, size);
  expect(zone.snapshot()).toBe(fresh.snapshot());
}

describe('BuddyZone: differential against a naive reference', () => {
  it('agrees on every result, free list and counter', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        runScenario(sc);
      }),
      { seed: 42, numRuns: 2500 },
    );
  });

  it('agrees on small zones driven to exhaustion', () => {
    const small = fc
      .record({
        maxOrder: fc.integer({ min: 1, max: 5 }),
        start: fc.nat(20),
        size: fc.nat(40),
        tailHint: fc.boolean(),
      })
      .chain((s) =>
        fc
          .array(
            fc.oneof(
              { weight: 6, arbitrary: fc.record({ t: fc.constant('alloc' as const), order: fc.nat(2) }) },
              { weight: 3, arbitrary: fc.record({ t: fc.constant('free' as const), k: fc.nat() }) },
              { weight: 1, arbitrary: opArb(s.maxOrder) },
            ),
            { minLength: 20, maxLength: 120 },
          )
          .map((ops) => ({ ...s, cuts: [], bootFreeFirst: true, ops })),
      );
    fc.assert(
      fc.property(small, (sc) => {
        runScenario(sc);
      }),
      { seed: 43, numRuns: 1000 },
    );
  });
});
