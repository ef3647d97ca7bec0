/**
 * The CPU mappings (src/model/mmu.ts): every mapping is mirrored into the per-page counters;
 * a lazy unmap leaves a stale TLB alias until the purge (ARCH-4, VMALLOC-5) unless stale TLB
 * entries are switched off; linear-map rewrites are in place (DMA318-6); every creation is
 * recorded with what already mapped its pages (ARCH-3: checks see mappings made and removed
 * within one op).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mmu, mapsPage } from '../../../src/model/mmu.ts';
import { NO_LINEAR, PageState } from '../../../src/model/pages.ts';
import { MemType, ModelBug } from '../../../src/model/types.ts';

const WB = 1 << MemType.WB;
const NC = 1 << MemType.NC;

function setup(staleTlb = true) {
  const pages = new PageState(0, 64);
  const mmu = new Mmu(pages, staleTlb);
  mmu.setLinear(0, 8, MemType.WB, 'linear map'); // lowmem 0..7; 8.. is highmem (no linear map)
  mmu.clearCreations();
  return { pages, mmu };
}

describe('mapsPage', () => {
  it('says whether a mapping maps a page, as a scan of its pages would, for any page list', () => {
    // runs (the bounds decide), discontiguous and repeated pages (a scan decides), one page, none
    const lists = fc.oneof(
      fc.tuple(fc.nat(40), fc.nat(12)).map(([lo, n]) => Array.from({ length: n }, (_, i) => lo + i)),
      fc.array(fc.nat(48), { maxLength: 12 }),
    );
    fc.assert(
      fc.property(lists, (list) => {
        const { mmu } = setup();
        const pages = Int32Array.from(list);
        const m = mmu.map('vm', MemType.NC, pages, 0xf0000000, 'vmap', -1);
        for (let p = -1; p < 64; p++)
          expect(mapsPage(m, p), `page ${p} of [${list}]`).toBe(pages.includes(p));
        expect(m.run).toBe(list.every((p, i) => p === list[0]! + i));
      }),
      { seed: 2, numRuns: 300 },
    );
  });
});

describe('map / unmap', () => {
  it('a vm mapping counts once per page for its type and is found by its start address', () => {
    const { pages, mmu } = setup();
    const m = mmu.map('vm', MemType.NC, Int32Array.from([2, 3]), 0xf0000000, 'buffer 0 kmap', 0);
    expect(pages.typeMask(2, false)).toBe(WB | NC);
    expect(pages.typeMask(4, false)).toBe(WB);
    expect(mmu.findVm(0xf0000000)).toBe(m);
    expect(mmu.findVm(0xf0000fff)).toBe(m); // same virtual page
    expect(mmu.findVm(0xf0001000)).toBeUndefined();
  });

  it('a lazy unmap leaves a stale alias of the old type until the purge drops the range (ARCH-4)', () => {
    const { pages, mmu } = setup();
    const m = mmu.map('vm', MemType.NC, Int32Array.from([10, 11]), 0xf0000000, 'buffer 0 kmap', 0);
    mmu.unmap(m, true);
    // mappings are never changed in place (copies of a table share them): the table holds a stale copy
    expect(m.state).toBe('live');
    expect(mmu.mappings.get(m.id)).toEqual({ ...m, state: 'stale' });
    expect(pages.typeMask(10, false)).toBe(0);
    expect(pages.typeMask(10, true)).toBe(NC);
    expect(mmu.findVm(0xf0000000)).toBe(mmu.mappings.get(m.id));
    mmu.dropStaleRange(0xf0000, 2);
    expect(pages.typeMask(10, true)).toBe(0);
    expect(mmu.findVm(0xf0000000)).toBeUndefined();
    expect(mmu.mappings.has(m.id)).toBe(false);
  });

  it('an unmap that flushes (user PTEs, unmap_kernel_range) or stale-tlb=off leaves nothing', () => {
    for (const [stale, lazy] of [
      [true, false],
      [false, true],
    ] as const) {
      const { pages, mmu } = setup(stale);
      const m = mmu.map('vm', MemType.NC, Int32Array.from([10]), 0xf0000000, 'x');
      mmu.unmap(m, lazy);
      expect(pages.typeMask(10, true)).toBe(0);
      expect(mmu.mappings.size).toBe(0);
    }
  });

  it('unmapping a mapping that is not live is a model bug', () => {
    const { mmu } = setup();
    const m = mmu.map('user', MemType.NC, Int32Array.from([1]), 0, 'user VMA');
    mmu.unmap(m, false);
    expect(() => mmu.unmap(m, false)).toThrow(ModelBug);
    const s = mmu.map('vm', MemType.NC, Int32Array.from([1]), 0xf0000000, 'kmap');
    mmu.unmap(s, true);
    expect(() => mmu.unmap(s, true)).toThrow(/not live/);
  });

  it('dropStaleRange leaves live mappings in the range alone', () => {
    const { pages, mmu } = setup();
    mmu.map('vm', MemType.NC, Int32Array.from([12]), 0xf0000000, 'live');
    mmu.dropStaleRange(0xf0000, 4);
    expect(pages.typeMask(12, false)).toBe(NC);
  });
});

describe('creations (ARCH-3)', () => {
  it('record what mapped each page before, live in bits 0-3 and stale-only in bits 4-7', () => {
    const { mmu } = setup();
    const old = mmu.map('vm', MemType.SO, Int32Array.from([9]), 0xf0000000, 'old');
    mmu.unmap(old, true);
    mmu.clearCreations();
    mmu.map('user', MemType.NC, Int32Array.from([1, 9]), 0, 'user VMA of buffer 0', 0);
    expect(mmu.creations).toHaveLength(1);
    const c = mmu.creations[0]!;
    expect([c.kind, c.type, c.owner]).toEqual(['user', MemType.NC, 'user VMA of buffer 0']);
    expect([...c.before]).toEqual([WB, (1 << MemType.SO) << 4]);
  });

  it('a transient mapping (kmap_atomic) is recorded but counts nowhere', () => {
    const { pages, mmu } = setup();
    mmu.transient('kmap-atomic', MemType.WB, Int32Array.from([20]), 'zeroing');
    expect(mmu.creations.map((c) => c.kind)).toEqual(['kmap-atomic']);
    expect(pages.typeMask(20, true)).toBe(0);
    expect(mmu.mappings.size).toBe(0);
  });

  it('setLinear rewrites PTEs in place: only changed pages are a creation, the replaced type not counted', () => {
    const { pages, mmu } = setup();
    mmu.map('vm', MemType.NC, Int32Array.from([3]), 0xf0000000, 'kmap');
    mmu.clearCreations();
    mmu.setLinear(2, 4, MemType.NC, 'buffer 0 DMA remap'); // pages 2..5, all WB before
    const c = mmu.creations[0]!;
    expect([...c.pages]).toEqual([2, 3, 4, 5]);
    // page 3's other NC alias is still there; the WB linear PTE being replaced is not
    expect([...c.before]).toEqual([0, NC, 0, 0]);
    expect(pages.typeChanges[2]).toBe(1);
    mmu.clearCreations();
    mmu.setLinear(2, 2, MemType.NC, 'again');
    expect(mmu.creations).toEqual([]); // nothing changed
    mmu.setLinear(2, 1, NO_LINEAR, 'unmap');
    expect(pages.linearType[2]).toBe(NO_LINEAR);
    expect(pages.typeMask(2, true)).toBe(0);
  });
});

describe('covering and clone', () => {
  it('covering lists the linear map and every mapping of a page, stale ones included', () => {
    const { mmu } = setup();
    const k = mmu.map('vm', MemType.NC, Int32Array.from([4, 5]), 0xf0000000, 'buffer 1 kmap', 1);
    mmu.unmap(k, true);
    mmu.map('user', MemType.NC, Int32Array.from([5]), 0, 'user VMA of buffer 1', 1);
    expect(mmu.covering(5)).toEqual([
      { kind: 'linear', type: MemType.WB, owner: 'linear map', state: 'live', vaddr: -1 },
      { kind: 'vm', type: MemType.NC, owner: 'buffer 1 kmap', state: 'stale', vaddr: 0xf0000000 },
      { kind: 'user', type: MemType.NC, owner: 'user VMA of buffer 1', state: 'live', vaddr: 0 },
    ]);
    expect(mmu.covering(40)).toEqual([]);
  });

  it('a clone (on cloned pages) purges and unmaps without touching the original', () => {
    const { pages, mmu } = setup();
    const m = mmu.map('vm', MemType.NC, Int32Array.from([10]), 0xf0000000, 'kmap');
    mmu.unmap(m, true);
    const p2 = pages.clone();
    const c = mmu.clone(p2);
    c.dropStaleRange(0xf0000, 1);
    expect(p2.typeMask(10, true)).toBe(0);
    expect(pages.typeMask(10, true)).toBe(NC);
    expect(mmu.findVm(0xf0000000)?.state).toBe('stale');
    // ids continue from the original's
    const n = c.map('user', MemType.WB, Int32Array.from([1]), 0, 'u');
    expect(n.id).toBeGreaterThan(m.id);
  });
});
