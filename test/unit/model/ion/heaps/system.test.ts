/**
 * The 3.18 system heaps (src/model/ion/heaps/system.ts): HEAP-SYS-1 (chunks of order 8, 4, 0;
 * uncached buffers through per-order page pools, zeroed NC on free; cached from the buddy
 * allocator), HEAP-POOL-1 (highmem items first; shrink gives pool pages back) and HEAP-CONTIG-1
 * (one alloc_pages block, tail freed).
 */
import { describe, expect, it } from 'vitest';
import { SYSTEM_ORDERS, type SystemHeap } from '../../../../../src/model/ion/heaps/system.ts';
import { Owner } from '../../../../../src/model/pages.ts';
import { MemType } from '../../../../../src/model/types.ts';
import { alloc, boot, KiB, MiB } from '../../../../helpers/kernel.ts';

const sys = (len: number, o: { cached?: boolean; align?: number; client?: number } = {}) =>
  alloc(len, { heap: 'system', ...o });
const contig = (len: number, align?: number) =>
  alloc(len, { heap: 'system-contig', ...(align !== undefined ? { align } : {}) });

/** Run the deferred-free thread (not the shrinker): destroyed buffers' pages go to the pools. */
const drain = (k: ReturnType<typeof boot>) =>
  k.ion.ionHeapFreelistDrain({ mm: k.mm, dma: k.dma }, null, 0, false);

describe('SystemHeap (HEAP-SYS-1)', () => {
  it('DEFER_FREE, not contiguous, no area, any alignment up to a page', () => {
    const h = boot('tiny', 'legacy-3.18').ion.heap('system')!;
    expect([h.id, h.deferFree, h.contiguous, h.area({} as never), h.alignPages(64, 0, {} as never)]).toEqual([
      0,
      true,
      false,
      null,
      1,
    ]);
    expect(SYSTEM_ORDERS).toEqual([8, 4, 0]);
  });

  it('align > 4 KiB is -EINVAL; more than half of RAM is -ENOMEM', () => {
    const k = boot('tiny', 'legacy-3.18');
    expect(k.apply(sys(4 * KiB, { align: 8192 }))).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply(sys(8 * MiB + 4 * KiB))).toMatchObject({ ok: false, errno: 12 });
    expect(k.apply(sys(4 * KiB, { align: 4096 })).ok).toBe(true);
  });

  it('chunks are the largest order fitting the remainder: 1 MiB + 64 KiB + 8 KiB = orders 8, 4, 0, 0', () => {
    const k = boot('arm32-1g', 'legacy-3.18');
    k.apply(sys(MiB + 64 * KiB + 8 * KiB));
    const b = k.ion.buffers.get(0)!;
    expect((b.priv as { order: number }[]).map((c) => c.order)).toEqual([8, 4, 0, 0]);
    expect(b.pages.length).toBe(256 + 16 + 2);
    for (const p of b.pages) expect(k.mm.pages.ownerKind[p]).toBe(Owner.BUFFER);
  });

  it('an uncached buffer is zeroed NC on free and its chunks pooled; the next uncached buffer reuses them', () => {
    const k = boot('tiny', 'legacy-3.18');
    const h = k.ion.heap('system')!;
    k.apply(sys(64 * KiB));
    const pages = [...k.ion.buffers.get(0)!.pages];
    k.apply({ op: 'free', client: 1, handle: 0 });
    drain(k);
    expect(k.mm.trace.path).toContain('ionHeapBufferZero');
    expect(h.shrinkCount()).toBe(16);
    for (const p of pages) expect(k.mm.pages.ownerKind[p]).toBe(Owner.ION_POOL);
    k.apply(sys(64 * KiB));
    expect([...k.ion.buffers.get(1)!.pages]).toEqual(pages);
    expect(h.shrinkCount()).toBe(0);
  });

  it('a cached buffer comes from the buddy allocator and goes back there: nothing pooled', () => {
    const k = boot('tiny', 'legacy-3.18');
    const h = k.ion.heap('system')!;
    k.apply(sys(64 * KiB, { cached: true }));
    k.apply({ op: 'free', client: 1, handle: 0 });
    drain(k);
    expect(h.shrinkCount()).toBe(0);
    expect(k.ion.quiescent()).toBe(true);
  });

  it('shrink gives every pool page back to the buddy allocator and counts them (HEAP-POOL-1)', () => {
    const k = boot('tiny', 'legacy-3.18');
    const free = k.mm.normal.freePagesCount + k.mm.highmem!.freePagesCount;
    k.apply(sys(64 * KiB + 4 * KiB));
    k.apply({ op: 'free', client: 1, handle: 0 });
    drain(k);
    expect(k.ion.heap('system')!.shrinkCount()).toBe(17);
    expect(k.apply({ op: 'shrink' })).toMatchObject({ ok: true, value: 17 });
    expect(k.mm.normal.freePagesCount + k.mm.highmem!.freePagesCount).toBe(free);
  });

  it('a clone has its own pools', () => {
    const k = boot('tiny', 'legacy-3.18');
    k.apply(sys(64 * KiB));
    k.apply({ op: 'free', client: 1, handle: 0 });
    drain(k);
    const c = k.ion.heap('system')!.clone() as SystemHeap;
    c.shrink({ mm: k.mm.clone(), dma: k.dma });
    expect(c.shrinkCount()).toBe(0);
    expect(k.ion.heap('system')!.shrinkCount()).toBe(16);
  });
});

describe('SystemContigHeap (HEAP-CONTIG-1)', () => {
  it('one block of 2^get_order pages, split, the tail freed: 12 KiB keeps 3 of 4 contiguous pages', () => {
    const k = boot('tiny', 'legacy-3.18');
    const free = k.mm.normal.freePagesCount + k.mm.highmem!.freePagesCount;
    expect(k.apply(contig(12 * KiB)).ok).toBe(true);
    const b = k.ion.buffers.get(0)!;
    expect([...b.pages]).toEqual([b.pages[0]!, b.pages[0]! + 1, b.pages[0]! + 2]);
    expect(free - (k.mm.normal.freePagesCount + k.mm.highmem!.freePagesCount)).toBe(3);
    const h = k.ion.heap('system-contig')!;
    expect([h.deferFree, h.contiguous, h.alignPages(3, 0, { mm: k.mm, dma: k.dma })]).toEqual([
      false,
      true,
      4,
    ]);
    k.apply({ op: 'free', client: 1, handle: 0 });
    expect(k.mm.normal.freePagesCount + k.mm.highmem!.freePagesCount).toBe(free);
  });

  it('align larger than the block is -EINVAL; order 11 and above is -ENOMEM (MAX_ORDER)', () => {
    const k = boot('tiny', 'legacy-3.18');
    expect(k.apply(contig(12 * KiB, 32 * KiB))).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply(contig(12 * KiB, 16 * KiB)).ok).toBe(true);
    expect(k.apply(contig(8 * MiB))).toMatchObject({ ok: false, errno: 12 });
  });

  it('uncached lowmem pages: KEEP_LINEAR leaves the linear map WB, the remap policy flips it NC', () => {
    // 512 MiB of RAM lies wholly below vmalloc_min: no highmem, so GFP_HIGHUSER gets lowmem
    const keep = boot('arm32-1g,ram=512M,carveout=0', 'cma-direct');
    const remap = boot('arm32-1g,ram=512M,carveout=0', 'cma-direct-remap');
    expect(keep.mm.highmem).toBeNull();
    for (const k of [keep, remap]) k.apply(contig(8 * KiB));
    const page = (k: ReturnType<typeof boot>) => k.ion.buffers.get(0)!.pages[0]!;
    for (const k of [keep, remap]) expect(k.mm.isHighmem(page(k))).toBe(false);
    expect(keep.mm.pages.linearType[page(keep)]).toBe(MemType.WB);
    expect(remap.mm.pages.linearType[page(remap)]).toBe(MemType.NC);
    const p = page(remap);
    remap.apply({ op: 'free', client: 1, handle: 0 });
    expect(remap.mm.pages.linearType[p]).toBe(MemType.WB);
  });
});
