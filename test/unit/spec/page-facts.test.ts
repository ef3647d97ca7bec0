/** Page facts: each fact set exactly when its statement holds of the page, and computed once per op. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import { NO_LINEAR, Owner } from '../../../src/model/pages.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { MemType } from '../../../src/model/types.ts';
import { Fact, factsOf, runsOf, touchedFacts } from '../../../src/spec/page-facts.ts';
import { boot, bootWith, KiB, uncachedCma } from '../../helpers/kernel.ts';
import { opsArb } from '../../helpers/random-ops.ts';

/** The facts of page p, read one by one from their definitions. */
function expected(k: Kernel, p: number): number {
  const ps = k.mm.pages;
  const kind = ps.ownerKind[p]!;
  const lt = ps.linearType[p]!;
  const free = kind === Owner.FREE || kind === Owner.CMA_FREE || kind === Owner.CARVEOUT_FREE;
  const others = ps.live[1]![p]! + ps.live[2]![p]! + ps.live[3]![p]!;
  const onlyLinear =
    (lt === MemType.WB ? ps.live[0]![p] === 1 : lt === NO_LINEAR && ps.live[0]![p] === 0) && others === 0;
  let f = 0;
  if (ps.doubleFrees[p]! > 0) f |= Fact.DOUBLE_FREED;
  if (ps.claims[p]! >= 2) f |= Fact.MULTI_CLAIMED;
  if (kind === Owner.BUFFER) f |= Fact.BUFFER;
  if (kind === Owner.BUFFER && ps.writer[p] !== 0 && ps.writer[p] !== ps.ownerId[p]! + 1)
    f |= Fact.FOREIGN_DATA;
  const held = [...k.ion.buffers.values(), ...k.ion.freeList].some((b) => b.id === ps.ownerId[p]);
  if (kind === Owner.BUFFER && !held) f |= Fact.BUFFER_GONE;
  if (free && !onlyLinear) f |= Fact.FREE_MAPPED;
  if (lt !== NO_LINEAR && (lt > 3 || p >= k.mm.lowmemPages || ps.live[lt]![p]! === 0))
    f |= Fact.LINEAR_BROKEN;
  return f;
}

/** factsOf of `pages` against the definitions; the union. */
function check(k: Kernel, pages: Int32Array): number {
  const out = new Uint8Array(pages.length);
  const any = factsOf(k, pages, out);
  let union = 0;
  pages.forEach((p, i) => {
    expect(out[i], `page ${p}`).toBe(expected(k, p));
    union |= out[i]!;
  });
  expect(any).toBe(union);
  return any;
}

describe('factsOf', () => {
  it('a booted machine: free pages mapped by their WB linear PTE (lowmem) or nothing (highmem) have no fact', () => {
    const k = boot('tiny', 'cma-direct');
    const all = Int32Array.from({ length: k.mm.pages.nPages }, (_, i) => i);
    check(k, all);
    const free = all.filter((p) => k.mm.pages.ownerKind[p] === Owner.FREE);
    const out = new Uint8Array(free.length);
    expect(factsOf(k, free, out)).toBe(0);
  });

  it('flags a buffer page holding another buffer user data, a free page still mapped, a double free, two claims', () => {
    // zoo/m03: buffer 1 reads what buffer 0's user wrote at pfn 0x80C04 (zeroed-on-alloc.test.ts)
    const m03 = bootWith('tiny', 'zoo/m03-zero-skips-order0', [
      uncachedCma(4 * KiB),
      { op: 'share', client: 1, handle: 0 },
      { op: 'mmap', fd: 0 },
      { op: 'write', vma: 0 },
      { op: 'munmap', vma: 0 },
      { op: 'close', fd: 0 },
      { op: 'free', client: 1, handle: 0 },
      uncachedCma(4 * KiB),
    ]);
    const out = new Uint8Array(1);
    factsOf(m03, Int32Array.of(0x80c04 - m03.mm.pages.basePfn), out);
    expect(out[0]).toBe(Fact.BUFFER | Fact.FOREIGN_DATA);
    // a free page a hand-made vmap still maps NC
    const k = boot('tiny', 'cma-direct');
    const q = k.mm.lowmemPages + 8;
    k.mm.vmap(Int32Array.of(q), MemType.NC, 'hand vmap', -1, 0);
    factsOf(k, Int32Array.of(q), out);
    expect(out[0]).toBe(Fact.FREE_MAPPED);
    k.mm.pages.noteDoubleFree(q);
    k.mm.pages.claim(q + 1, 1, Owner.DRIVER, 1);
    k.mm.pages.claim(q + 1, 1, Owner.DRIVER, 2);
    check(k, Int32Array.of(q, q + 1));
    const two = new Uint8Array(2);
    factsOf(k, Int32Array.of(q, q + 1), two);
    expect([...two]).toEqual([Fact.FREE_MAPPED | Fact.DOUBLE_FREED, Fact.MULTI_CLAIMED]);
    // a free lowmem page mapped WB twice: its linear PTE and a vmap of the same class
    const low = k.mm.pages.ownerKind.findIndex((kind, p) => kind === Owner.FREE && p < k.mm.lowmemPages);
    factsOf(k, Int32Array.of(low), out);
    expect(out[0]).toBe(0);
    k.mm.vmap(Int32Array.of(low), MemType.WB, 'hand vmap', -1, 0);
    check(k, Int32Array.of(low));
    expect(factsOf(k, Int32Array.of(low), out)).toBe(Fact.FREE_MAPPED);
  });

  it('flags every page of a buffer that is gone (neither in the device nor queued), in runs and alone', () => {
    const k = bootWith('tiny', 'cma-direct', [uncachedCma(64 * KiB), uncachedCma(16 * KiB)]);
    const [a, b] = [...k.ion.buffers.values()];
    const run = Int32Array.from([...a!.pages, ...b!.pages]);
    // both held: a buffer's page and nothing more
    expect(check(k, run)).toBe(Fact.BUFFER);
    // the second one dropped from the device by hand (what B10 leaves): its pages, and only its
    k.ion.buffers.delete(b!.id);
    expect(check(k, run)).toBe(Fact.BUFFER | Fact.BUFFER_GONE);
    const out = new Uint8Array(run.length);
    factsOf(k, run, out);
    expect([...out]).toEqual(
      [...a!.pages]
        .map((): number => Fact.BUFFER)
        .concat([...b!.pages].map(() => Fact.BUFFER | Fact.BUFFER_GONE)),
    );
    // queued for its deferred free: held again
    k.ion.freeList.push(b!);
    expect(check(k, run)).toBe(Fact.BUFFER);
    // one page alone, off a quad
    k.ion.freeList.pop();
    expect(check(k, b!.pages.subarray(1, 2))).toBe(Fact.BUFFER | Fact.BUFFER_GONE);
  });

  it('a long run of pages in one state with one page different anywhere in it: that page keeps its own facts', () => {
    // a 64 KiB buffer (16 pages, a run of four quads) and the free lowmem pages after it
    const k = bootWith('tiny', 'cma-direct', [uncachedCma(64 * KiB)]);
    const ps = k.mm.pages;
    const buf = [...k.ion.buffers.values()][0]!.pages;
    const free = ps.ownerKind.findIndex(
      (kind, p) => kind === Owner.FREE && p % 4 === 0 && p + 64 < k.mm.lowmemPages,
    );
    const runs = [buf, Int32Array.from({ length: 64 }, (_, i) => free + i)];
    const changes: [string, (p: number) => void][] = [
      ['writer', (p) => (ps.writer[p] = 77)],
      ['claims', (p) => (ps.claims[p] = 2)],
      ['double free', (p) => (ps.doubleFrees[p] = 1)],
      ['owner', (p) => (ps.ownerKind[p] = Owner.DRIVER)],
      // an NC mapping more: its counter and its class bit
      [
        'classes',
        (p) => {
          ps.live[MemType.NC]![p]!++;
          ps.classes[p] = ps.classes[p]! | (1 << MemType.NC);
        },
      ],
      ['linear type', (p) => (ps.linearType[p] = NO_LINEAR)],
      // another buffer's page, one that is gone: BUFFER_GONE for that page alone
      ['owner id', (p) => (ps.ownerId[p] = 999)],
    ];
    for (const run of runs)
      for (const at of [0, 5, run.length - 1])
        for (const [name, change] of changes) {
          const p = run[at]!;
          const saved = [
            ps.writer[p]!,
            ps.claims[p]!,
            ps.doubleFrees[p]!,
            ps.ownerKind[p]!,
            ps.classes[p]!,
            ps.linearType[p]!,
            ps.ownerId[p]!,
          ];
          const nc = ps.live[MemType.NC]![p]!;
          change(p);
          const out = new Uint8Array(run.length);
          factsOf(k, run, out);
          expect(out[at], `${name} at ${at}`).toBe(expected(k, p));
          check(k, run);
          ps.live[MemType.NC]![p] = nc;
          [
            ps.writer[p],
            ps.claims[p],
            ps.doubleFrees[p],
            ps.ownerKind[p],
            ps.classes[p],
            ps.linearType[p],
            ps.ownerId[p],
          ] = saved as [number, number, number, number, number, number, number];
        }
  });

  it('a run that ends 1-3 pages past a quad, then a run in another state: each page keeps its own facts', () => {
    // free lowmem pages from a multiple of four, then a buffer's page: runs of 7 and 3 free pages
    // (a quad and 3 more, or 3 alone) end before the quad is done, and the next page is the buffer's
    const k = bootWith('tiny', 'cma-direct', [uncachedCma(64 * KiB)]);
    const ps = k.mm.pages;
    const bufPage = [...k.ion.buffers.values()][0]!.pages[0]!;
    const free = ps.ownerKind.findIndex(
      (kind, p) => kind === Owner.FREE && p % 4 === 0 && p + 8 < k.mm.lowmemPages && p + 8 < bufPage,
    );
    for (const n of [7, 3, 5, 6]) {
      const list = Int32Array.from({ length: n + 1 }, (_, i) => (i < n ? free + i : bufPage));
      expect(check(k, list), `${n} free pages then a buffer's`).toBe(Fact.BUFFER);
      const out = new Uint8Array(n + 1);
      factsOf(k, list, out);
      expect(out[n]).toBe(Fact.BUFFER);
    }
  });

  it('runs given for another list are refused, not read past', () => {
    const k = boot('tiny', 'cma-direct');
    const list = Int32Array.of(8, 9, 10);
    expect(() => factsOf(k, list, new Uint8Array(3), runsOf(Int32Array.of(8, 9)))).toThrow(
      'page facts: runs of 2 pages for a list of 3',
    );
  });

  it('a run of free pages across the lowmem boundary: a WB linear PTE past it is broken', () => {
    const k = boot('tiny', 'cma-direct');
    const ps = k.mm.pages;
    const low = k.mm.lowmemPages;
    expect(low % 4).toBe(0);
    // highmem pages mapped as if lowmem: a counted WB linear PTE (the model never does this)
    for (let p = low; p < low + 8; p++) {
      ps.linearType[p] = MemType.WB;
      ps.live[MemType.WB]![p]!++;
      ps.classes[p] = ps.classes[p]! | (1 << MemType.WB);
    }
    const run = Int32Array.from({ length: 16 }, (_, i) => low - 8 + i);
    expect(run.every((p) => ps.ownerKind[p] === Owner.FREE)).toBe(true);
    expect(check(k, run)).toBe(Fact.LINEAR_BROKEN);
  });

  // against the definitions, on every page each op touched and on all of RAM at the end
  for (const design of BUILTIN_DESIGNS) {
    it(`${design.id}: every touched page of 10 random runs, and all of RAM at their ends (seed 3)`, () => {
      const booted = Kernel.boot(resolveProfile('tiny'), design);
      let union = 0;
      fc.assert(
        fc.property(opsArb('tiny', 40, 60), (ops) => {
          const k = booted.clone();
          for (const op of [uncachedCma(64 * KiB), ...ops]) {
            k.apply(op);
            const touched = k.mm.pages.touched();
            union |= check(k, touched);
            // the runs the model keeps of its list (what touchedFacts reads) are the list's runs
            const kept = k.mm.pages.touchedRuns();
            const found = runsOf(touched);
            expect(kept.count).toBe(found.count);
            expect([...kept.start.subarray(0, kept.count)]).toEqual([
              ...found.start.subarray(0, found.count),
            ]);
            expect([...kept.length.subarray(0, kept.count)]).toEqual([
              ...found.length.subarray(0, found.count),
            ]);
          }
          union |= check(
            k,
            Int32Array.from({ length: k.mm.pages.nPages }, (_, i) => i),
          );
        }),
        { seed: 3, numRuns: 10 },
      );
      expect(union & Fact.BUFFER).toBe(Fact.BUFFER);
    });
  }
});

describe('touchedFacts', () => {
  it("the facts of the op's touched pages, computed once per op and kernel", () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(uncachedCma(64 * KiB));
    const a = touchedFacts(k);
    expect([...a.pages]).toEqual([...k.mm.pages.touched()]);
    expect(a.pages.length).toBeGreaterThan(0);
    const out = new Uint8Array(a.pages.length);
    expect(a.any).toBe(factsOf(k, a.pages, out));
    expect([...a.facts]).toEqual([...out]);
    expect(touchedFacts(k)).toBe(a);
    const other = k.clone();
    other.apply({ op: 'free', client: 1, handle: 0 });
    expect(touchedFacts(other)).not.toBe(a);
    k.apply({ op: 'free', client: 1, handle: 0 });
    const b = touchedFacts(k);
    expect(b).not.toBe(a);
    expect([...b.pages]).toEqual([...k.mm.pages.touched()]);
    // an op that touched no page: no page, no fact
    k.apply({ op: 'share', client: 9, handle: 0 });
    expect(k.mm.pages.touched().length).toBe(0);
    expect(touchedFacts(k)).toMatchObject({ any: 0, pages: new Int32Array(0), facts: new Uint8Array(0) });
  });
});

describe('factsOf on four pages at once', () => {
  /** How the aligned group of four is held before one of its pages is changed. */
  const groups: [string, (k: Kernel, base: number) => void][] = [
    ['free lowmem', () => {}],
    ['free highmem', () => {}],
    ['a zeroed buffer', (k, base) => k.mm.pages.claim(base, 4, Owner.BUFFER, 3)],
    ['an ION pool', (k, base) => k.mm.pages.release(base, 4, Owner.ION_POOL)],
  ];
  /** One way page q of the group differs from the others. */
  const changes: [string, (k: Kernel, q: number) => void][] = [
    ['nothing', () => {}],
    ['freed twice', (k, q) => k.mm.pages.noteDoubleFree(q)],
    ['claimed twice', (k, q) => k.mm.pages.claim(q, 1, k.mm.pages.ownerKind[q] as Owner, 7)],
    ['another owner', (k, q) => k.mm.pages.claim(q, 1, Owner.DRIVER, 1)],
    ['handed to a buffer', (k, q) => k.mm.pages.claim(q, 1, Owner.BUFFER, 5)],
    ['released', (k, q) => k.mm.pages.release(q, 1, Owner.CMA_FREE)],
    ['mapped NC', (k, q) => void k.mm.vmap(Int32Array.of(q), MemType.NC, 'hand vmap', -1, 0)],
    ['mapped WB again', (k, q) => void k.mm.vmap(Int32Array.of(q), MemType.WB, 'hand vmap', -1, 0)],
    ['written by its owner', (k, q) => k.mm.pages.setWriter(q, k.mm.pages.ownerId[q]! + 1)],
    ['written by another', (k, q) => k.mm.pages.setWriter(q, 9)],
    [
      'its linear PTE not counted',
      (k, q) => {
        if (k.mm.pages.linearType[q] === NO_LINEAR) return;
        k.mm.pages.live[MemType.WB]![q] = 0;
        k.mm.pages.classes[q] = k.mm.pages.classes[q]! & ~(1 << MemType.WB);
      },
    ],
  ];
  for (const [group, hold] of groups)
    it(`${group}: each page's facts as if judged alone, whichever page differs and how`, () => {
      for (const [change, make] of changes)
        for (let at = 0; at < 4; at++) {
          const k = boot('tiny', 'cma-direct');
          const ps = k.mm.pages;
          const high = group === 'free highmem';
          // the first aligned group of four buddy pages on the side of lowmem asked for
          let base = high ? (k.mm.lowmemPages + 3) & ~3 : 0;
          while (![0, 1, 2, 3].every((j) => ps.ownerKind[base + j] === Owner.FREE)) base += 4;
          hold(k, base);
          make(k, base + at);
          const four = Int32Array.of(base, base + 1, base + 2, base + 3);
          const out = new Uint8Array(4);
          factsOf(k, four, out);
          expect([...out], `${group}, page ${at} ${change}`).toEqual([...four].map((p) => expected(k, p)));
        }
    });
});
