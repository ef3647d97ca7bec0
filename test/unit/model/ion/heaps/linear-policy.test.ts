/**
 * What a heap does with the kernel's own aliases of its pages (src/model/ion/heaps/linear-policy.ts):
 * KEEP_LINEAR (3.18: WB linear PTEs stay beside NC views, B17; fresh highmem zeroed through a WB
 * kmap_atomic slot, ARCH-8) and the remap policy of cma-direct-remap (lowmem linear PTEs flipped to
 * the buffer's type and restored, stale lazy aliases purged first, ARCH-4 / B18; zeroing through a
 * mapping of the buffer's own type), with the zoo's mutations of it.
 */
import { describe, expect, it } from 'vitest';
import type { HeapCtx } from '../../../../../src/model/ion/heap.ts';
import {
  KEEP_LINEAR,
  REMAP_LINEAR,
  remapLinear,
  remapLinearWith,
} from '../../../../../src/model/ion/heaps/linear-policy.ts';
import { pageRange, VM_TAG } from '../../../../../src/model/mm.ts';
import { NO_LINEAR } from '../../../../../src/model/pages.ts';
import { MemType } from '../../../../../src/model/types.ts';
import { boot } from '../../../../helpers/kernel.ts';

const PURGES = { purgeBeforeUncached: true, purgeBeforeRestore: true };

/** Free CMA pages: lowmem on arm32-1g-cma512, highmem on tiny; each marked as written by someone. */
function setup(where: 'low' | 'high', n: number) {
  const k = boot(where === 'low' ? 'arm32-1g-cma512,carveout=0' : 'tiny,carveout=0', 'cma-direct');
  const ctx: HeapCtx = { mm: k.mm, dma: k.dma };
  const pages = pageRange(k.mm.cma!.basePage + 512, n);
  for (const p of pages) k.mm.pages.setWriter(p, 7);
  k.mm.mmu.clearCreations();
  expect(pages.every((p) => k.mm.isHighmem(p) === (where === 'high'))).toBe(true);
  return { k, ctx, pages };
}

/** A stale lazy WB alias of the first page (a vunmapped kmap awaiting the purge). */
function staleAlias(k: ReturnType<typeof setup>['k'], p: number) {
  const m = k.mm.vmap(pageRange(p, 1), MemType.WB, 'old kmap', -1, VM_TAG.ION_MAP)!;
  k.mm.vunmap(m.vaddr);
  expect(k.mm.pages.stale[MemType.WB]![p]).toBe(1);
}

describe('KEEP_LINEAR (3.18)', () => {
  it('leaves the linear map alone both ways', () => {
    const { k, pages } = setup('low', 4);
    KEEP_LINEAR.toUncached(k.mm, pages, 'x');
    expect(k.mm.pages.linearType[pages[0]!]).toBe(MemType.WB);
    KEEP_LINEAR.toAllocator(k.mm, pages, 'x');
    expect(k.mm.pages.linearType[pages[0]!]).toBe(MemType.WB);
    expect([KEEP_LINEAR.id, KEEP_LINEAR.zeroOnAlloc, KEEP_LINEAR.zeroCarveoutAtCreate]).toEqual([
      'keep',
      false,
      true,
    ]);
  });

  it('zeroes highmem through WB kmap_atomic (whatever the buffer type), lowmem through the linear map', () => {
    const high = setup('high', 3);
    expect(KEEP_LINEAR.zeroFresh(high.ctx, high.pages, MemType.NC, 'b', 0)).toBe(true);
    expect(high.k.mm.mmu.creations.map((c) => [c.kind, c.type])).toEqual([['kmap-atomic', MemType.WB]]);
    expect(high.pages.every((p) => high.k.mm.pages.writer[p] === 0)).toBe(true);
    const low = setup('low', 3);
    expect(KEEP_LINEAR.zeroFresh(low.ctx, low.pages, MemType.NC, 'b', 0)).toBe(true);
    expect(low.k.mm.mmu.creations).toEqual([]);
    expect(low.pages.every((p) => low.k.mm.pages.writer[p] === 0)).toBe(true);
  });
});

describe('REMAP_LINEAR (cma-direct-remap)', () => {
  it('flips lowmem linear PTEs to NC and back to WB; highmem pages have none to flip', () => {
    const { k, pages } = setup('low', 4);
    REMAP_LINEAR.toUncached(k.mm, pages, 'b');
    expect(pages.every((p) => k.mm.pages.linearType[p] === MemType.NC)).toBe(true);
    REMAP_LINEAR.toAllocator(k.mm, pages, 'b');
    expect(pages.every((p) => k.mm.pages.linearType[p] === MemType.WB)).toBe(true);
    const h = setup('high', 2);
    REMAP_LINEAR.toUncached(h.k.mm, h.pages, 'b');
    expect(h.k.mm.pages.linearType[h.pages[0]!]).toBe(NO_LINEAR);
    expect([REMAP_LINEAR.id, REMAP_LINEAR.zeroOnAlloc, REMAP_LINEAR.zeroCarveoutAtCreate]).toEqual([
      'remap',
      true,
      false,
    ]);
  });

  it('purges stale lazy aliases before a page changes type (ARCH-4); remapLinear(false) does not (B18)', () => {
    const ok = setup('low', 2);
    staleAlias(ok.k, ok.pages[0]!);
    REMAP_LINEAR.toUncached(ok.k.mm, ok.pages, 'b');
    expect(ok.k.mm.pages.typeMask(ok.pages[0]!, true)).toBe(1 << MemType.NC);
    const bad = setup('low', 2);
    staleAlias(bad.k, bad.pages[0]!);
    remapLinear(false).toUncached(bad.k.mm, bad.pages, 'b');
    expect(bad.k.mm.pages.typeMask(bad.pages[0]!, true)).toBe((1 << MemType.NC) | (1 << MemType.WB));
  });

  it('zeroes highmem through vm_map_ram of the buffer type, never kmap_atomic; lowmem through the flipped map', () => {
    const high = setup('high', 3);
    expect(REMAP_LINEAR.zeroFresh(high.ctx, high.pages, MemType.NC, 'b', 0)).toBe(true);
    expect(high.k.mm.mmu.creations.map((c) => [c.kind, c.type])).toEqual([['vm-ram', MemType.NC]]);
    expect(high.pages.every((p) => high.k.mm.pages.writer[p] === 0)).toBe(true);
    const low = setup('low', 3);
    expect(REMAP_LINEAR.zeroFresh(low.ctx, low.pages, MemType.NC, 'b', 0)).toBe(true);
    expect(low.k.mm.mmu.creations).toEqual([]);
    expect(low.pages.every((p) => low.k.mm.pages.writer[p] === 0)).toBe(true);
  });

  it('fails (false) when no mapping can be had for highmem zeroing', () => {
    const { k, ctx, pages } = setup('high', 2);
    for (let n = 256; n >= 1; n >>= 1) while (k.apply({ op: 'driver-vmap', pages: n }).ok);
    expect(REMAP_LINEAR.zeroFresh(ctx, pages, MemType.NC, 'b', 0)).toBe(false);
    expect(k.mm.pages.writer[pages[1]!]).toBe(7);
  });
});

describe("the zoo's mutations (remapLinearWith)", () => {
  it('skipRestore leaves the NC linear map; restoreOneShort leaves the last page NC', () => {
    const a = setup('low', 3);
    const skip = remapLinearWith({ ...PURGES, skipRestore: true });
    skip.toUncached(a.k.mm, a.pages, 'b');
    skip.toAllocator(a.k.mm, a.pages, 'b');
    expect([...a.pages].map((p) => a.k.mm.pages.linearType[p])).toEqual([MemType.NC, MemType.NC, MemType.NC]);
    const b = setup('low', 3);
    const short = remapLinearWith({ ...PURGES, restoreOneShort: true });
    short.toUncached(b.k.mm, b.pages, 'b');
    short.toAllocator(b.k.mm, b.pages, 'b');
    expect([...b.pages].map((p) => b.k.mm.pages.linearType[p])).toEqual([MemType.WB, MemType.WB, MemType.NC]);
  });

  it('zeroSkipsOrder0 leaves a single page dirty; zeroSkipsTailBatch leaves n mod 32 highmem pages dirty', () => {
    const one = setup('high', 1);
    expect(
      remapLinearWith({ ...PURGES, zeroSkipsOrder0: true }).zeroFresh(one.ctx, one.pages, MemType.NC, 'b', 0),
    ).toBe(true);
    expect(one.k.mm.pages.writer[one.pages[0]!]).toBe(7);
    const tail = setup('high', 40);
    remapLinearWith({ ...PURGES, zeroSkipsTailBatch: true }).zeroFresh(
      tail.ctx,
      tail.pages,
      MemType.NC,
      'b',
      0,
    );
    const dirty = [...tail.pages].filter((p) => tail.k.mm.pages.writer[p] === 7);
    expect(dirty).toEqual([...tail.pages.slice(32)]);
  });

  it('zeroHighmemViaKmapAtomic zeroes through a WB slot', () => {
    const { k, ctx, pages } = setup('high', 2);
    remapLinearWith({ ...PURGES, zeroHighmemViaKmapAtomic: true }).zeroFresh(ctx, pages, MemType.NC, 'b', 0);
    expect(k.mm.mmu.creations.map((c) => [c.kind, c.type])).toEqual([['kmap-atomic', MemType.WB]]);
    expect(k.mm.pages.writer[pages[0]!]).toBe(0);
  });
});
