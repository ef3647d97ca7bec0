/**
 * ion_heap.c's generic helpers (src/model/ion/heap.ts): ION-14 ion_heap_map_kernel (a pointer
 * array vmalloc'ed and freed, left lazy; vmap WB if cached else NC: n + 1 window pages, GOLD-19),
 * ION-9 ion_heap_map_user (the sg list from vm_pgoff, -ENXIO past the end), ION-15 zeroing in
 * batches of 32 through vm_map_ram with the given prot, stopping when a batch cannot be mapped.
 */

import { describe, expect, it } from 'vitest';
import {
  bytesToPages,
  type HeapCtx,
  type IonBuffer,
  ionHeapBufferZero,
  ionHeapMapKernel,
  ionHeapMapUser,
  ionHeapPagesZero,
  ionHeapUnmapKernel,
} from '../../../../src/model/ion/heap.ts';
import { pageRange, VM_TAG } from '../../../../src/model/mm.ts';
import { CLEAN } from '../../../../src/model/pages.ts';
import { MemType } from '../../../../src/model/types.ts';
import { boot } from '../../../helpers/kernel.ts';

/** A kernel whose window is empty (no carveout zeroing left lazy) and a bare buffer on its pages. */
function setup(profile = 'arm32-1g,carveout=0') {
  const k = boot(profile, 'cma-direct');
  const ctx: HeapCtx = { mm: k.mm, dma: k.dma };
  const buf = (pages: Int32Array, cached = false) =>
    ({ id: 9, cached, pages, sgTable: null, kmapMapping: null }) as unknown as IonBuffer;
  return { k, ctx, buf };
}

describe('ION-14 ionHeapMapKernel', () => {
  it('GOLD-19: n = 256 pages hold 257 window pages while mapped, + 2 lazy for the pointer array', () => {
    const { k, ctx, buf } = setup();
    const used = k.mm.vmalloc.usedPages;
    const b = buf(pageRange(0x30000, 256));
    const r = ionHeapMapKernel(ctx, b)!;
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(257);
    expect(k.mm.vmalloc.lazyPages).toBe(2); // ceil(4 x 256 / 4096) + 1, vfree'd before return
    expect(k.mm.vmalloc.usedPages - used).toBe(259);
    expect(r.value.mapping!.type).toBe(MemType.NC);
    b.kmapMapping = r.value.mapping;
    ionHeapUnmapKernel(ctx, b);
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(0);
    expect(k.mm.vmalloc.lazyPages).toBe(2 + 257); // vunmap is lazy too (VMALLOC-5)
  });

  it('maps WB for a cached buffer, or the type the heap asks for', () => {
    const { ctx, buf } = setup();
    const wb = ionHeapMapKernel(ctx, buf(pageRange(0x30000, 4), true))!;
    const so = ionHeapMapKernel(ctx, buf(pageRange(0x30010, 4), true), MemType.SO)!;
    expect(wb.ok && wb.value.mapping!.type).toBe(MemType.WB);
    expect(so.ok && so.value.mapping!.type).toBe(MemType.SO);
  });

  it('the pointer array failing gives null (ION-8: -EINVAL); the vmap failing gives -ENOMEM', () => {
    const { k, ctx, buf } = setup();
    // a full window: not even the pointer array (1 page + guard) fits
    const free = k.mm.vmalloc.freePages;
    expect(k.apply({ op: 'driver-vmap', pages: free - 1 }).ok).toBe(true); // + guard: full
    expect(ionHeapMapKernel(ctx, buf(pageRange(0x30000, 2)))).toBeNull();
    const k2 = setup();
    const free2 = k2.k.mm.vmalloc.freePages;
    // 2 pages left: the array (1 + guard) fits, the vmap (2 + guard) does not
    expect(k2.k.apply({ op: 'driver-vmap', pages: free2 - 3 }).ok).toBe(true);
    const r = ionHeapMapKernel(k2.ctx, k2.buf(pageRange(0x30000, 2)))!;
    expect(r).toEqual({ ok: false, errno: 12 });
  });
});

describe('ION-9 ionHeapMapUser', () => {
  it('maps the sg table from vm_pgoff with NC unless cached; past the end is -ENXIO', () => {
    const { ctx, buf } = setup();
    const b = buf(pageRange(100, 4));
    expect(ionHeapMapUser(ctx, b, 1, 2)).toEqual({
      ok: true,
      value: { type: MemType.NC, pages: Int32Array.from([101, 102]) },
    });
    expect(ionHeapMapUser(ctx, b, 3, 5)).toEqual({
      ok: true,
      value: { type: MemType.NC, pages: Int32Array.from([103]) },
    });
    expect(ionHeapMapUser(ctx, b, 4, 1)).toEqual({ ok: false, errno: 6 });
    expect(ionHeapMapUser(ctx, buf(pageRange(100, 4), true), 0, 1)).toMatchObject({
      value: { type: MemType.WB },
    });
  });

  it('walks the sg table, not the pages, when they differ (B9 hands importers and mmaps the wrong pages)', () => {
    const { ctx, buf } = setup();
    const b = buf(pageRange(100, 2));
    b.sgTable = Int32Array.from([500, 501]);
    expect(ionHeapMapUser(ctx, b, 0, 2)).toMatchObject({ value: { pages: Int32Array.from([500, 501]) } });
  });
});

describe('ION-15 zeroing through vm_map_ram', () => {
  it('zeroes in batches of 32 with the prot given, each left lazy (stale in the TLB until a purge)', () => {
    const { k, ctx } = setup();
    const pages = pageRange(0x30000, 70);
    for (const p of pages) k.mm.pages.setWriter(p, 5);
    k.mm.mmu.clearCreations();
    expect(ionHeapPagesZero(ctx, pages, MemType.NC, 'test')).toBe(true);
    const batches = k.mm.mmu.creations.filter((c) => c.kind === 'vm-ram');
    expect(batches.map((c) => c.pages.length)).toEqual([32, 32, 6]);
    expect(batches.every((c) => c.type === MemType.NC)).toBe(true);
    expect(pages.every((p) => k.mm.pages.writer[p] === CLEAN)).toBe(true);
    expect(k.mm.pages.stale[MemType.NC]![0x30000]).toBe(1);
  });

  it('ionHeapBufferZero uses the buffer type: WB if cached, else NC', () => {
    const { k, ctx, buf } = setup();
    k.mm.mmu.clearCreations();
    ionHeapBufferZero(ctx, buf(pageRange(0x30000, 2), true));
    ionHeapBufferZero(ctx, buf(pageRange(0x30010, 2)));
    expect(k.mm.mmu.creations.filter((c) => c.kind === 'vm-ram').map((c) => c.type)).toEqual([
      MemType.WB,
      MemType.NC,
    ]);
  });

  it('stops when a batch cannot be mapped: the remaining pages keep their data', () => {
    const { k, ctx } = setup('tiny,carveout=0');
    // fill tiny's window completely
    for (let pages = 256; pages >= 1; pages >>= 1) while (k.apply({ op: 'driver-vmap', pages }).ok);
    const pages = pageRange(100, 4);
    for (const p of pages) k.mm.pages.setWriter(p, 5);
    expect(ionHeapPagesZero(ctx, pages, MemType.NC, 'test')).toBe(false);
    expect(k.mm.pages.writer[100]).toBe(5);
  });

  it('bytesToPages is PAGE_ALIGN in pages', () => {
    expect([bytesToPages(1), bytesToPages(4096), bytesToPages(4097)]).toEqual([1, 1, 2]);
  });
});
