/**
 * Per-page state (src/model/pages.ts): ownership claims and releases (exclusive-ownership, B15
 * double frees), the writer tag (zeroed-on-alloc), the linear-map type and live / stale mapping
 * counters per memory type (ARCH-1, ARCH-4), and the touched-page list incremental checkers read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLEAN,
  isFreeKind,
  isLiveOwner,
  MULTI_SHIFT,
  NO_LINEAR,
  OWNER_NAMES,
  Owner,
  PageState,
  STALE_SHIFT,
  WB_BIT,
} from '../../../src/model/pages.ts';
import { MemType, ModelBug } from '../../../src/model/types.ts';

const fresh = (n = 16) => new PageState(0x80000, n);

describe('a fresh PageState', () => {
  it('has no linear mapping, no owner claim, no mapping and nothing touched', () => {
    const ps = fresh();
    expect([...ps.linearType]).toEqual(new Array(16).fill(NO_LINEAR));
    expect(ps.typeMask(3, true)).toBe(0);
    expect(ps.writer[3]).toBe(CLEAN);
    expect(ps.touched().length).toBe(0);
    expect(ps.pfnOf(5)).toBe(0x80005);
  });
});

describe('ownership', () => {
  it('claim hands pages to an owner with one claim; a second live claim is counted (exclusive-ownership)', () => {
    const ps = fresh();
    ps.claim(2, 3, Owner.BUFFER, 7);
    expect([ps.ownerKind[2], ps.ownerId[2], ps.claims[2]]).toEqual([Owner.BUFFER, 7, 1]);
    expect(ps.ownerKind[5]).toBe(Owner.FREE);
    ps.claim(4, 1, Owner.DRIVER, 1);
    expect(ps.claims[4]).toBe(2);
    expect(ps.ownerKind[4]).toBe(Owner.DRIVER);
  });

  it('a claim over a free page replaces it: claims stay 1', () => {
    const ps = fresh();
    ps.claim(0, 1, Owner.ION_POOL, 0);
    ps.claim(0, 1, Owner.BUFFER, 1);
    expect(ps.claims[0]).toBe(1);
  });

  it('release returns the page to the free kind given; the last claim clears the owner', () => {
    const ps = fresh();
    ps.claim(0, 1, Owner.BUFFER, 1);
    ps.claim(0, 1, Owner.BUFFER, 2);
    ps.release(0, 1, Owner.CMA_FREE);
    expect([ps.ownerKind[0], ps.claims[0]]).toEqual([Owner.BUFFER, 1]);
    ps.release(0, 1, Owner.CMA_FREE);
    expect([ps.ownerKind[0], ps.ownerId[0], ps.claims[0]]).toEqual([Owner.CMA_FREE, 0, 0]);
    expect(ps.doubleFrees[0]).toBe(0);
  });

  it('releasing a page that is already free counts a double free (B15) and corrupts nothing', () => {
    const ps = fresh();
    ps.claim(1, 1, Owner.BUFFER, 1);
    ps.release(1, 1, Owner.CMA_FREE);
    ps.release(1, 1, Owner.CMA_FREE);
    expect(ps.doubleFrees[1]).toBe(1);
    expect([ps.ownerKind[1], ps.claims[1]]).toEqual([Owner.CMA_FREE, 0]);
    ps.noteDoubleFree(1);
    expect(ps.doubleFrees[1]).toBe(2);
  });

  it('owner kinds: live owners and free kinds are disjoint, and every kind has a name', () => {
    const kinds = Object.values(Owner);
    expect(OWNER_NAMES).toHaveLength(kinds.length);
    for (const k of kinds) expect(isLiveOwner(k) && isFreeKind(k)).toBe(false);
    expect(kinds.filter(isLiveOwner)).toEqual([Owner.BUFFER, Owner.ATOMIC_POOL, Owner.DRIVER, Owner.KERNEL]);
    expect(kinds.filter(isFreeKind)).toEqual([
      Owner.FREE,
      Owner.CMA_FREE,
      Owner.ION_POOL,
      Owner.CARVEOUT_FREE,
    ]);
    // a reserved page is neither: never allocatable, never a user's
    expect(isLiveOwner(Owner.RESERVED) || isFreeKind(Owner.RESERVED)).toBe(false);
  });
});

describe('mapping counters', () => {
  it('setLinearType moves the page between live types and counts real type changes', () => {
    const ps = fresh();
    ps.setLinearType(0, MemType.WB);
    expect(ps.typeMask(0, false)).toBe(WB_BIT);
    expect(ps.typeChanges[0]).toBe(0); // a new linear mapping is not a type change
    ps.setLinearType(0, MemType.NC);
    expect(ps.live[MemType.WB]![0]).toBe(0);
    expect(ps.live[MemType.NC]![0]).toBe(1);
    expect(ps.typeChanges[0]).toBe(1);
    ps.setLinearType(0, MemType.NC); // no change
    expect(ps.typeChanges[0]).toBe(1);
    ps.setLinearType(0, NO_LINEAR);
    expect(ps.typeMask(0, true)).toBe(0);
  });

  it('counts the pages whose type changed twice or more, through copies and restores', () => {
    const twice = (ps: PageState) => ps.typeChanges.filter((n) => n >= 2).length;
    const template = fresh();
    for (const p of [0, 1, 2]) template.setLinearType(p, MemType.WB);
    template.setLinearType(0, MemType.NC);
    template.setLinearType(0, MemType.WB);
    expect(template.pagesTypeChangedTwice).toBe(1);
    const run = template.clone();
    expect(run.pagesTypeChangedTwice).toBe(1);
    run.setLinearType(0, MemType.NC); // a third change: the same page still
    run.setLinearType(1, MemType.NC);
    expect(run.pagesTypeChangedTwice).toBe(1);
    run.setLinearType(1, MemType.WB);
    run.setLinearType(2, MemType.NC);
    run.setLinearType(2, MemType.WB);
    expect(run.pagesTypeChangedTwice).toBe(3);
    expect(run.pagesTypeChangedTwice).toBe(twice(run));
    expect(template.pagesTypeChangedTwice).toBe(1);
    // a reusing clone restores the count with the pages, and so does a whole copy over it
    expect(template.clone(run).pagesTypeChangedTwice).toBe(1);
    const other = fresh();
    expect(other.clone(run, true).pagesTypeChangedTwice).toBe(0);
    template.resetTypeChanges();
    expect(template.pagesTypeChangedTwice).toBe(0);
  });

  it('typeMask sees stale (lazily unmapped) entries only when asked (ARCH-4)', () => {
    const ps = fresh();
    ps.setLinearType(0, MemType.WB);
    ps.addStale(0, MemType.NC, 1);
    expect(ps.typeMask(0, false)).toBe(1 << MemType.WB);
    expect(ps.typeMask(0, true)).toBe((1 << MemType.WB) | (1 << MemType.NC));
    ps.addLive(0, MemType.SO, 1);
    ps.addLive(0, MemType.DEV, 1);
    expect(ps.typeMask(0, false)).toBe(0b1101);
  });

  it('a counter going negative is a model bug, never silent', () => {
    const ps = fresh();
    expect(() => ps.addLive(0, MemType.NC, -1)).toThrow(ModelBug);
    expect(() => ps.addStale(0, MemType.WB, -1)).toThrow(/stale mapping count of page 0 went negative/);
  });
});

describe('classes (the per-page summary of the counters)', () => {
  /** The classes of page p, read from its eight counters. */
  const fromCounters = (ps: PageState, p: number) => {
    let c = 0;
    for (let t = 0; t < 4; t++) {
      if (ps.live[t]![p]! > 0) c |= 1 << t;
      if (ps.live[t]![p]! > 1) c |= 1 << (t + MULTI_SHIFT);
      if (ps.stale[t]![p]! > 0) c |= 1 << (t + STALE_SHIFT);
    }
    return c;
  };

  it('equal the counters after any sequence of mapping changes, linear PTE rewrites and clones', () => {
    // one step: [page, type, what]: 0 map, 1 unmap a live one, 2 make a live one stale, 3 drop a
    // stale one, 4 rewrite the linear PTE; two pages, so counts climb past 1 and come back
    const step = fc.tuple(fc.nat(1), fc.nat(3), fc.nat(4));
    fc.assert(
      fc.property(fc.array(step, { minLength: 20, maxLength: 80 }), (steps) => {
        let ps = fresh(2);
        for (const [p, t, what] of steps) {
          const type = t as MemType;
          if (what === 0) ps.addLive(p, type, 1);
          else if (what === 1 && ps.live[t]![p]! > (ps.linearType[p] === t ? 1 : 0)) ps.addLive(p, type, -1);
          else if (what === 2 && ps.live[t]![p]! > (ps.linearType[p] === t ? 1 : 0)) {
            ps.addLive(p, type, -1);
            ps.addStale(p, type, 1);
          } else if (what === 3 && ps.stale[t]![p]! > 0) ps.addStale(p, type, -1);
          else if (what === 4) ps.setLinearType(p, t === 3 ? NO_LINEAR : type);
          if (what === 4 && p === 0) ps = ps.clone();
          for (let q = 0; q < 2; q++) expect(ps.classes[q], `page ${q}`).toBe(fromCounters(ps, q));
        }
      }),
      { seed: 5, numRuns: 300 },
    );
  });

  it('typeMask and staleMask read them', () => {
    const ps = fresh();
    ps.setLinearType(1, MemType.WB);
    ps.addLive(1, MemType.NC, 1);
    ps.addStale(1, MemType.DEV, 1);
    expect(ps.classes[1]).toBe(0b0100_0011);
    ps.addLive(1, MemType.NC, 1);
    expect(ps.classes[1]).toBe((1 << (MemType.NC + MULTI_SHIFT)) | 0b0100_0011);
    expect(ps.typeMask(1, false)).toBe(0b0011);
    expect(ps.typeMask(1, true)).toBe(0b0111);
    expect(ps.staleMask(1)).toBe(0b0100);
    ps.addLive(1, MemType.NC, -2);
    ps.addStale(1, MemType.DEV, -1);
    expect(ps.classes[1]).toBe(1 << MemType.WB);
  });
});

describe('touched pages (incremental checking)', () => {
  it('every mutation records the page once, in order, until cleared', () => {
    const ps = fresh();
    ps.setWriter(3, 5);
    ps.claim(1, 2, Owner.BUFFER, 0);
    ps.setWriter(3, 6);
    ps.addLive(9, MemType.WB, 1);
    expect([...ps.touched()]).toEqual([3, 1, 2, 9]);
    expect(ps.isTouched(2)).toBe(true);
    ps.clearTouched();
    expect(ps.touched().length).toBe(0);
    expect(ps.isTouched(2)).toBe(false);
    ps.release(2, 1, Owner.FREE);
    expect([...ps.touched()]).toEqual([2]);
  });

  it('the list grows past its first 1,024 entries', () => {
    const ps = fresh(3000);
    ps.claim(0, 3000, Owner.KERNEL, 0);
    expect(ps.touched().length).toBe(3000);
    expect(ps.touched()[2999]).toBe(2999);
  });

  it('touched() is the current list however it was asked before: one view per list and length', () => {
    const ps = fresh(3000);
    ps.setWriter(5, 1);
    const one = ps.touched();
    expect(ps.touched()).toBe(one);
    // the list grows (a new buffer) and is cleared with nobody asking; then as many pages as before
    ps.claim(100, 2000, Owner.KERNEL, 0);
    ps.clearTouched();
    ps.setWriter(7, 1);
    expect([...ps.touched()]).toEqual([7]);
    ps.setWriter(8, 1);
    expect([...ps.touched()]).toEqual([7, 8]);
  });
});

describe('touchedRuns', () => {
  /** The runs spelled out as the pages they cover, in order. */
  const spelled = (ps: PageState) => {
    const r = ps.touchedRuns();
    const out: number[] = [];
    for (let i = 0; i < r.count; i++) for (let j = 0; j < r.length[i]!; j++) out.push(r.start[i]! + j);
    return out;
  };

  it('the touched list as runs of consecutive pages, in its order, a page once; cleared with it', () => {
    const ps = fresh(3000);
    ps.claim(10, 4, Owner.BUFFER, 0);
    // 14 grows the run; 12 and 10 again are no new pages; 9 starts a run, and 15 another (it follows
    // 9's run, not 14's, in the list)
    ps.setWriter(14, 1);
    ps.setWriter(12, 2);
    ps.setWriter(9, 3);
    ps.setWriter(15, 4);
    ps.setWriter(10, 5);
    expect([...ps.touched()]).toEqual([10, 11, 12, 13, 14, 9, 15]);
    const r = ps.touchedRuns();
    expect([...r.start.subarray(0, r.count)]).toEqual([10, 9, 15]);
    expect([...r.length.subarray(0, r.count)]).toEqual([5, 1, 1]);
    expect(spelled(ps)).toEqual([...ps.touched()]);
    ps.clearTouched();
    expect(ps.touchedRuns().count).toBe(0);
    ps.setWriter(0, 1);
    expect(spelled(ps)).toEqual([0]);
  });

  it('more runs than its first arrays hold, and a clone starts with none', () => {
    const ps = fresh(3000);
    // every other page: 1,000 runs of one page
    for (let p = 0; p < 2000; p += 2) ps.setWriter(p, 1);
    expect(ps.touchedRuns().count).toBe(1000);
    expect(spelled(ps)).toEqual([...ps.touched()]);
    expect(ps.clone().touchedRuns().count).toBe(0);
    const reused = ps.clone();
    reused.setWriter(1, 1);
    expect(ps.clone(reused).touchedRuns().count).toBe(0);
  });

  it('random touches: the runs spell the touched list exactly (seed 5)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 300 }), (ps_) => {
        const ps = fresh(100);
        for (const p of ps_) ps.setWriter(p, 1);
        expect(spelled(ps)).toEqual([...ps.touched()]);
        const r = ps.touchedRuns();
        // maximal: no run starts where the one before ends
        for (let i = 1; i < r.count; i++) expect(r.start[i]).not.toBe(r.start[i - 1]! + r.length[i - 1]!);
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});

describe('clone', () => {
  it('copies every array: changes to the clone leave the original alone, and nothing is touched', () => {
    const ps = fresh();
    ps.claim(0, 1, Owner.BUFFER, 1);
    ps.setLinearType(0, MemType.WB);
    const c = ps.clone();
    expect(c.touched().length).toBe(0);
    c.release(0, 1, Owner.FREE);
    c.setLinearType(0, MemType.NC);
    c.setWriter(0, 9);
    expect([ps.ownerKind[0], ps.linearType[0], ps.writer[0]]).toEqual([Owner.BUFFER, MemType.WB, CLEAN]);
    expect(ps.live[MemType.NC]![0]).toBe(0);
    expect([c.ownerKind[0], c.linearType[0], c.writer[0]]).toEqual([Owner.FREE, MemType.NC, 9]);
  });
});
