/**
 * The dma-buf heaps CMA heap (src/model/ion/heaps/dmabuf-cma.ts, DMABUF-CMA-1..3): cma_alloc of
 * n pages aligned to min(get_order, 8), zeroed, every CPU mapping WB (the kmap_atomic zeroing
 * slot, a PAGE_KERNEL vmap, user pages inserted on fault); cma_release(n). The fixed fault handler
 * stops at pgoff >= pagecount; B14's lets pagecount through.
 */

import { describe, expect, it } from 'vitest';
import type { HeapCtx, IonBuffer } from '../../../../../src/model/ion/heap.ts';
import { DmabufCmaHeap } from '../../../../../src/model/ion/heaps/dmabuf-cma.ts';
import { VM_TAG } from '../../../../../src/model/mm.ts';
import { Owner } from '../../../../../src/model/pages.ts';
import { MemType } from '../../../../../src/model/types.ts';
import { alloc, boot, KiB } from '../../../../helpers/kernel.ts';

const WB = 1 << MemType.WB;

function allocated(len: number, opts = {}, profile = 'tiny') {
  const k = boot(profile, 'dmabuf-heap-cma');
  const ctx: HeapCtx = { mm: k.mm, dma: k.dma };
  const heap = new DmabufCmaHeap(4, opts);
  const buf = { id: 0, cached: false, pages: new Int32Array(0), kmapMapping: null } as unknown as IonBuffer;
  const r = heap.allocate(ctx, buf, len);
  return { k, ctx, heap, buf, r };
}

describe('DmabufCmaHeap.allocate / free (DMABUF-CMA-1)', () => {
  it('n pages from CMA aligned to min(get_order, 8), owned by the buffer, zeroed; release gives them back', () => {
    const { k, ctx, heap, buf, r } = allocated(25 * 4096); // the core passes PAGE_ALIGN(len)
    expect(r).toBe(0);
    expect(buf.pages.length).toBe(25);
    expect((buf.pages[0]! - k.mm.cma!.basePage) % 32).toBe(0);
    for (const p of buf.pages)
      expect([k.mm.pages.ownerKind[p], k.mm.pages.writer[p]]).toEqual([Owner.BUFFER, 0]);
    heap.free(ctx, buf);
    for (const p of buf.pages) expect(k.mm.pages.ownerKind[p]).toBe(Owner.CMA_FREE);
  });

  it('-ENOMEM when the area cannot hold it', () => {
    expect(allocated(8 << 20).r).toBe(-12);
  });

  it('highmem pages are zeroed through a WB kmap_atomic slot; lowmem through the WB linear map: never another type', () => {
    const high = allocated(8 * KiB);
    expect(
      high.k.mm.mmu.creations.filter((c) => c.kind === 'kmap-atomic').every((c) => c.type === MemType.WB),
    ).toBe(true);
    expect(high.k.mm.pages.typeMask(high.buf.pages[1]!, true)).toBe(WB); // the slot left in place
    const low = allocated(8 * KiB, {}, 'arm32-1g-cma512,carveout=0');
    for (const p of low.buf.pages) expect(low.k.mm.pages.typeMask(p, true)).toBe(WB);
  });
});

describe('mappings are all WB (DMABUF-CMA-1/2)', () => {
  it('mapKernel is a PAGE_KERNEL vmap of n + 1 window pages; unmapKernel vunmaps it (lazy)', () => {
    const { k, ctx, heap, buf } = allocated(16 * KiB, {}, 'arm32-1g,carveout=0');
    const r = heap.mapKernel(ctx, buf);
    expect(r.ok && r.value.mapping!.type).toBe(MemType.WB);
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(5);
    buf.kmapMapping = r.ok ? r.value.mapping : null;
    heap.unmapKernel(ctx, buf);
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(0);
    expect(k.mm.vmalloc.lazyPages).toBe(5);
  });

  it('mapUser inserts pages[pgoff..] WB; the fixed handler stops at the end, nothing there is -ENXIO', () => {
    const { ctx, heap, buf } = allocated(8 * KiB);
    expect(heap.vmaMayGrow).toBe(false);
    expect(heap.mapUser(ctx, buf, 1, 1)).toEqual({
      ok: true,
      value: { type: MemType.WB, pages: buf.pages.slice(1) },
    });
    expect(heap.mapUser(ctx, buf, 0, 3)).toEqual({
      ok: true,
      value: { type: MemType.WB, pages: buf.pages.slice() },
    });
    expect(heap.mapUser(ctx, buf, 2, 1)).toEqual({ ok: false, errno: 6 });
  });

  it('B14: the handler lets pgoff == pagecount through: the page after the buffer is inserted, and the VMA may grow', () => {
    const { ctx, heap, buf } = allocated(8 * KiB, { faultPastEnd: true });
    expect(heap.vmaMayGrow).toBe(true);
    const r = heap.mapUser(ctx, buf, 0, 4);
    expect(r.ok && [...r.value.pages]).toEqual([buf.pages[0], buf.pages[1], buf.pages[1]! + 1]);
    expect(heap.mapUser(ctx, buf, 2, 1)).toMatchObject({ ok: true });
    expect(heap.mapUser(ctx, buf, 3, 1)).toEqual({ ok: false, errno: 6 });
  });

  it('through the design: alloc, kmap, share, mmap leave every page of the buffer mapped WB only', () => {
    const k = boot('arm32-1g-cma512', 'dmabuf-heap-cma');
    for (const op of [
      alloc(64 * KiB),
      { op: 'kmap', client: 1, handle: 0 },
      { op: 'share', client: 1, handle: 0 },
      { op: 'mmap', fd: 0 },
    ] as const)
      expect(k.apply(op).ok).toBe(true);
    for (const p of k.ion.buffers.get(0)!.pages) expect(k.mm.pages.typeMask(p, true)).toBe(WB);
  });
});
