/**
 * The dma-buf heaps CMA heap (5.6+, drivers/dma-buf/heaps/cma_heap.c and heap-helpers.c:
 * DMABUF-CMA-1/2): cma_alloc of PAGE_ALIGN(len) / 4 KiB pages aligned to min(get_order, 8), zeroed
 * (highmem page by page through kmap_atomic, whose WB slot stays in place, ARCH-8; lowmem through
 * the WB linear map), a pages[] array, exported as a dma-buf. Every CPU mapping is WB: vmap with
 * PAGE_KERNEL on first use (counted), user pages inserted on fault, so no page ever gets a second
 * memory type. The `faultPastEnd` option plants B14: the fault handler's bound is
 * `pgoff > pagecount` (pages[pagecount] is read past the array) and the VMA lacks VM_DONTEXPAND.
 */

import { VM_TAG } from '../../mm.ts';
import type { Mapping } from '../../mmu.ts';
import { Owner } from '../../pages.ts';
import { Errno, fail, getOrder, type KResult, MemType, ok, PAGE_SIZE } from '../../types.ts';
import type { HeapCtx, IonBuffer } from '../heap.ts';
import { CmaAreaHeap } from './cma.ts';
import { KEEP_LINEAR } from './linear-policy.ts';

export interface DmabufCmaOptions {
  /** B14 ("dma-buf: heaps: Fix off-by-one in CMA heap fault handler", fixed 2024, 6.1.111). */
  readonly faultPastEnd?: boolean;
}

export class DmabufCmaHeap extends CmaAreaHeap {
  readonly vmaMayGrow: boolean;

  constructor(
    id: number,
    private readonly opts: DmabufCmaOptions = {},
  ) {
    super(id);
    this.vmaMayGrow = opts.faultPastEnd === true;
  }

  // DMABUF-CMA-1 cma_heap_allocate(): cma_alloc(n, min(get_order(size), CONFIG_CMA_ALIGNMENT)),
  // NULL -> -ENOMEM; zero highmem per page via kmap_atomic, lowmem by memset of page_address()
  allocate(ctx: HeapCtx, buf: IonBuffer, len: number): number {
    const { mm } = ctx;
    mm.enter('cmaHeapAllocate');
    const n = len / PAGE_SIZE;
    const page = mm.cmaAlloc(n, Math.min(getOrder(len), mm.profile.cmaAlignment), Owner.BUFFER, buf.id);
    if (page < 0) return -Errno.ENOMEM;
    const pages = new Int32Array(n);
    for (let i = 0; i < n; i++) pages[i] = page + i;
    buf.pages = pages;
    KEEP_LINEAR.zeroFresh(ctx, pages, MemType.WB, `buffer ${buf.id}`, buf.id);
    return 0;
  }

  // DMABUF-CMA-1 cma_heap_dma_buf_release(): cma_release(pagecount)
  free(ctx: HeapCtx, buf: IonBuffer): void {
    ctx.mm.enter('cmaHeapRelease');
    ctx.mm.cmaRelease(buf.pages[0]!, buf.pages.length);
  }

  // DMABUF-CMA-1 dma_heap_buffer_vmap_get(): vmap(pages, pagecount, VM_MAP, PAGE_KERNEL), WB
  override mapKernel(ctx: HeapCtx, buf: IonBuffer) {
    ctx.mm.enter('cmaHeapVmap');
    const m = ctx.mm.vmap(buf.pages, MemType.WB, `buffer ${buf.id} vmap`, buf.id, VM_TAG.ION_MAP);
    if (!m) return fail<{ vaddr: number; mapping: Mapping | null }>(Errno.ENOMEM);
    return ok({ vaddr: m.vaddr, mapping: m as Mapping | null });
  }

  // DMABUF-CMA-1 dma_heap_buffer_vmap_put(): vunmap at 0 (lazy, VMALLOC-5)
  override unmapKernel(ctx: HeapCtx, buf: IonBuffer): void {
    ctx.mm.enter('cmaHeapVunmap');
    if (buf.kmapMapping) ctx.mm.vunmap(buf.kmapMapping.vaddr);
  }

  /**
   * DMABUF-CMA-1 cma_heap_vm_fault(), for every page of the VMA the process touches: pages[pgoff]
   * inserted WB. Fixed: pgoff >= pagecount is SIGBUS. B14: only pgoff > pagecount is, so
   * pages[pagecount], one past the array, is inserted; the model takes the page after the
   * buffer's last one for it [A] (what lies past a kmalloc'ed array is unknown; any page not the
   * buffer's is the finding), and a fault that finds no page there ends the VMA (SIGBUS).
   */
  override mapUser(
    ctx: HeapCtx,
    buf: IonBuffer,
    pgoff: number,
    pageCount: number,
  ): KResult<{ type: MemType; pages: Int32Array }> {
    ctx.mm.enter('cmaHeapVmFault');
    const count = buf.pages.length;
    const out: number[] = [];
    for (let i = pgoff; i < pgoff + pageCount; i++) {
      if (this.opts.faultPastEnd ? i > count : i >= count) break;
      const p = i < count ? buf.pages[i]! : buf.pages[count - 1]! + 1;
      if (p >= ctx.mm.pages.nPages) break;
      out.push(p);
    }
    if (out.length === 0) return fail(Errno.ENXIO);
    return ok({ type: MemType.WB, pages: Int32Array.from(out) });
  }
}
