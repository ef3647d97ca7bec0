/**
 * The CMA heap of cma-direct-remap (HEAP-CMA-4, 4.15/4.16 fixed form) with one small fault
 * switched on, for the zoo (docs/designs.md "The zoo"). With no fault it behaves exactly as
 * `CmaDirectHeap` with REMAP_LINEAR; each fault is named by what the code does wrong.
 */

import type { HeapCtx, IonBuffer } from '../../ion/heap.ts';
import { CmaAreaHeap } from '../../ion/heaps/cma.ts';
import { type LinearPolicy, REMAP_LINEAR } from '../../ion/heaps/linear-policy.ts';
import { pageRange } from '../../mm.ts';
import { Owner } from '../../pages.ts';
import { Errno, fail, getOrder, type KResult, MemType, ok, PAGE_SIZE } from '../../types.ts';

export interface CmaHeapFaults {
  /** cma_release is skipped for buffers of this order (a leak of one size class). */
  readonly leakOrder?: number;
  /** cma_release is given one page fewer than cma_alloc took. */
  readonly releaseOneShort?: boolean;
  /** The alignment order is ilog2(pages) (rounds down) instead of get_order (rounds up). */
  readonly alignRoundsDown?: boolean;
  /** The alignment cap is CONFIG_CMA_ALIGNMENT - 1. */
  readonly alignCapOneLess?: boolean;
  /** mmap adds vm_pgoff twice (once to the pfn, once more to the start). */
  readonly mmapOffsetTwice?: boolean;
  /** mmap maps pages + 1 pages (an inclusive end). */
  readonly mmapOnePastEnd?: boolean;
  /**
   * B6: the allocation takes the buddy path (coherent device, gfp 0: __alloc_simple_buffer) while
   * the free takes the CMA path; cma_release refuses pages outside the area and nothing is freed.
   */
  readonly allocFromBuddyFreeAsCma?: boolean;
  /** Zeroing is done for uncached buffers only (`if (!cached) zero`). */
  readonly zeroOnlyUncached?: boolean;
}

const ilog2 = (n: number) => 31 - Math.clz32(n);

export class FaultyCmaHeap extends CmaAreaHeap {
  constructor(
    id: number,
    private readonly faults: CmaHeapFaults,
    private readonly linear: LinearPolicy = REMAP_LINEAR,
  ) {
    super(id);
  }

  private alignOrder(ctx: HeapCtx, len: number): number {
    const n = len / PAGE_SIZE;
    const order = this.faults.alignRoundsDown ? ilog2(n) : getOrder(len);
    const cap = ctx.mm.profile.cmaAlignment - (this.faults.alignCapOneLess ? 1 : 0);
    return Math.min(order, cap);
  }

  // HEAP-CMA-4 ion_cma_allocate(): cma_alloc(n, min(order, 8)); NULL -> -ENOMEM
  allocate(ctx: HeapCtx, buf: IonBuffer, len: number): number {
    const { mm } = ctx;
    mm.enter('ionCmaAllocate');
    const n = len / PAGE_SIZE;
    let page: number;
    if (this.faults.allocFromBuddyFreeAsCma) {
      // B6 (DMA41-4): __alloc_simple_buffer(): alloc_pages(get_order), split, tail freed
      const order = getOrder(len);
      page = mm.allocPages(order, false, Owner.BUFFER, buf.id);
      if (page >= 0) mm.splitAndTrim(page, order, n);
    } else page = mm.cmaAlloc(n, this.alignOrder(ctx, len), Owner.BUFFER, buf.id);
    if (page < 0) return -Errno.ENOMEM;
    buf.pages = pageRange(page, n);
    if (!buf.cached) this.linear.toUncached(mm, buf.pages, `buffer ${buf.id} (cma, uncached)`);
    const type = buf.cached ? MemType.WB : MemType.NC;
    if (this.faults.zeroOnlyUncached && buf.cached) return 0;
    if (!this.linear.zeroFresh(ctx, buf.pages, type, `buffer ${buf.id}`, buf.id)) {
      this.release(ctx, buf);
      return -Errno.ENOMEM;
    }
    return 0;
  }

  private release(ctx: HeapCtx, buf: IonBuffer): void {
    if (!buf.cached) this.linear.toAllocator(ctx.mm, buf.pages, 'linear map restore (cma)');
    const n = buf.pages.length;
    if (this.faults.leakOrder !== undefined && getOrder(n * PAGE_SIZE) === this.faults.leakOrder) return;
    ctx.mm.cmaRelease(buf.pages[0]!, this.faults.releaseOneShort ? n - 1 : n);
  }

  // HEAP-CMA-4 ion_cma_free(): cma_release(n)
  free(ctx: HeapCtx, buf: IonBuffer): void {
    ctx.mm.enter('ionCmaFree');
    this.release(ctx, buf);
  }

  // ION-9 as dma_mmap_coherent does it for a contiguous buffer: pfn + vm_pgoff, vma size pages
  override mapUser(
    ctx: HeapCtx,
    buf: IonBuffer,
    pgoff: number,
    pageCount: number,
  ): KResult<{ type: MemType; pages: Int32Array }> {
    ctx.mm.enter('ionHeapMapUser');
    if (pgoff >= buf.pages.length) return fail(Errno.ENXIO);
    const start = buf.pages[0]! + pgoff * (this.faults.mmapOffsetTwice ? 2 : 1);
    const n = Math.min(pageCount, buf.pages.length - pgoff) + (this.faults.mmapOnePastEnd ? 1 : 0);
    const end = Math.min(start + n, ctx.mm.pages.nPages);
    return ok({
      type: buf.cached ? MemType.WB : MemType.NC,
      pages: pageRange(start, Math.max(0, end - start)),
    });
  }
}
