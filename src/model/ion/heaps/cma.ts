/**
 * The ION CMA heap in each design's variant:
 * - `Cma318Heap`: 3.18's ion_cma_heap.c (HEAP-CMA-1/2): dma_alloc_coherent on the heap's device,
 *   every buffer kernel-mapped from alloc to free; optionally with DMA_ATTR_NO_KERNEL_MAPPING on the
 *   4.1 DMA layer (DMA41-1..3) and on-demand kernel maps.
 * - `CmaDirectHeap`: ION calling cma_alloc directly (HEAP-CMA-3/4, 4.12 as fixed in 4.15/4.16),
 *   mapping on demand (ION-14, ION-9); with the REMAP linear policy it is ours, cma-direct-remap.
 */

import type { DmaAllocation, DmaAttrs, DmaDevice } from '../../dma/arm-3.18.ts';
import { pageRange } from '../../mm.ts';
import { Owner } from '../../pages.ts';
import { Errno, fail, getOrder, type KResult, MemType, ok, PAGE_SIZE } from '../../types.ts';
import {
  GenericIonHeap,
  type HeapCtx,
  type IonBuffer,
  ionHeapMapKernel,
  ionHeapUnmapKernel,
} from '../heap.ts';
import type { LinearPolicy } from './linear-policy.ts';

/** The CMA heap's platform device: not coherent, default CMA area (CMA-8). */
export const ionCmaDevice = (hasCma: boolean): DmaDevice => ({
  name: 'ion-cma-heap',
  coherent: false,
  hasCma,
});

const cmaArea = (ctx: HeapCtx) =>
  ctx.mm.cma ? { start: ctx.mm.cma.basePage, pageCount: ctx.mm.cma.count } : null;
/** GOLD-11: 2^min(get_order(size), CONFIG_CMA_ALIGNMENT) pages. */
const cmaAlignPages = (pageCount: number, ctx: HeapCtx) =>
  1 << Math.min(getOrder(pageCount * PAGE_SIZE), ctx.mm.profile.cmaAlignment);

export interface Cma318Options {
  readonly attrs: DmaAttrs;
  /** B9: 3.18 builds the sg table from virt_to_page(cpu_addr); a cookie forces the handle. */
  readonly sgFromVirt: boolean;
  /** map_kernel returns the allocation's cpu_addr (3.18) or vmaps on demand (ION-14). */
  readonly mapKernelOnDemand: boolean;
}

/** A CMA heap over the default area (CMA-8): contiguous, not DEFER_FREE, stateless (shared by clones). */
export abstract class CmaAreaHeap extends GenericIonHeap {
  readonly name = 'cma' as const;
  readonly deferFree = false;
  readonly contiguous = true;

  constructor(readonly id: number) {
    super();
  }

  clone(): this {
    return this;
  }

  area(ctx: HeapCtx) {
    return cmaArea(ctx);
  }

  alignPages(pageCount: number, _align: number, ctx: HeapCtx): number {
    return cmaAlignPages(pageCount, ctx);
  }
}

export class Cma318Heap extends CmaAreaHeap {
  constructor(
    id: number,
    private readonly opts: Cma318Options,
  ) {
    super(id);
  }

  // HEAP-CMA-1 ion_cma_allocate(): CACHED -> -EINVAL; align > 4 KiB -> -EINVAL; failures -> -1 (B11)
  allocate(ctx: HeapCtx, buf: IonBuffer, len: number, align: number): number {
    const { mm, dma } = ctx;
    mm.enter('ionCmaAllocate');
    if (buf.cached) return -Errno.EINVAL;
    if (align > PAGE_SIZE) return -Errno.EINVAL;
    const dev = ionCmaDevice(mm.cma !== null);
    const a = dma.dmaAllocAttrs(mm, dev, len, true, this.opts.attrs, buf.id);
    if (!a) return -1;
    buf.priv = a;
    buf.pages = pageRange(a.page, a.count);
    return 0;
  }

  // HEAP-CMA-2 ion_cma_free() -> dma_free_coherent() (DMA318-8)
  free(ctx: HeapCtx, buf: IonBuffer): void {
    ctx.mm.enter('ionCmaFree');
    const a = buf.priv as DmaAllocation;
    ctx.dma.dmaFreeAttrs(ctx.mm, ionCmaDevice(ctx.mm.cma !== null), a);
  }

  // HEAP-CMA-1 sg table: virt_to_page(cpu_addr) as linear arithmetic (B9, GOLD-20), or the handle
  override mapDma(ctx: HeapCtx, buf: IonBuffer): Int32Array {
    const a = buf.priv as DmaAllocation;
    if (!this.opts.sgFromVirt || a.cpuAddr === 0) return ctx.dma.dmaGetSgtable(a);
    const first = (a.cpuAddr - ctx.mm.layout.pageOffset) / PAGE_SIZE;
    return pageRange(first, a.count);
  }

  // HEAP-CMA-2 ion_cma_map_kernel(): the allocation-time cpu_addr; no new mapping
  override mapKernel(ctx: HeapCtx, buf: IonBuffer) {
    if (this.opts.mapKernelOnDemand) return ionHeapMapKernel(ctx, buf, MemType.NC);
    const a = buf.priv as DmaAllocation;
    return ok({ vaddr: a.cpuAddr, mapping: null });
  }

  override unmapKernel(ctx: HeapCtx, buf: IonBuffer): void {
    if (this.opts.mapKernelOnDemand) ionHeapUnmapKernel(ctx, buf);
  }

  // HEAP-CMA-2 ion_cma_mmap() -> dma_mmap_coherent(): NC + XN (DMA318-11)
  override mapUser(
    ctx: HeapCtx,
    buf: IonBuffer,
    pgoff: number,
    pageCount: number,
  ): KResult<{ type: MemType; pages: Int32Array }> {
    ctx.mm.enter('dmaMmapCoherent');
    const a = buf.priv as DmaAllocation;
    const type = ctx.dma.dmaMmapType(a, pgoff, pageCount);
    if (type === null) return fail(Errno.ENXIO);
    return ok({ type, pages: pageRange(a.page + pgoff, pageCount) });
  }
}

export interface CmaDirectOptions {
  readonly linear: LinearPolicy;
  /** B12 (4.12 as merged): len in bytes passed as the page count, and no zeroing. */
  readonly bytesAsPages?: boolean;
  /** B15: a free path that releases the pages twice (cma_release accepts it silently). */
  readonly releaseTwice?: boolean;
}

export class CmaDirectHeap extends CmaAreaHeap {
  constructor(
    id: number,
    private readonly opts: CmaDirectOptions,
  ) {
    super(id);
  }

  override alignPages(pageCount: number, _align: number, ctx: HeapCtx): number {
    return this.opts.bytesAsPages ? 1 : cmaAlignPages(pageCount, ctx);
  }

  // B12: cma_alloc took the count it was given, the sg entry covers len bytes
  allocatedPages(buf: IonBuffer): number {
    return buf.priv as number;
  }

  // HEAP-CMA-4 ion_cma_allocate() (4.15/4.16): cma_alloc(n, min(order, 8)); NULL -> -ENOMEM
  allocate(ctx: HeapCtx, buf: IonBuffer, len: number): number {
    const { mm } = ctx;
    mm.enter('ionCmaAllocate');
    // B12 (HEAP-CMA-3 as merged): cma_alloc(cma, len) takes len pages, sg_set_page(len bytes)
    const n = this.opts.bytesAsPages ? len : len / PAGE_SIZE;
    const align = this.opts.bytesAsPages ? 0 : Math.min(getOrder(len), mm.profile.cmaAlignment);
    const page = mm.cmaAlloc(n, align, Owner.BUFFER, buf.id);
    if (page < 0) return -Errno.ENOMEM;
    buf.priv = n;
    buf.pages = pageRange(page, len / PAGE_SIZE);
    if (this.opts.bytesAsPages) return 0; // B12: pages not zeroed
    const { linear } = this.opts;
    if (!buf.cached) linear.toUncached(mm, buf.pages, `buffer ${buf.id} (cma, uncached)`);
    // HEAP-CMA-4: highmem per page via kmap_atomic (WB); lowmem by memset through the linear map
    const type = buf.cached ? MemType.WB : MemType.NC;
    if (!linear.zeroFresh(ctx, buf.pages, type, `buffer ${buf.id}`, buf.id)) {
      this.release(ctx, buf);
      return -Errno.ENOMEM;
    }
    return 0;
  }

  // HEAP-CMA-4 ion_cma_free(): cma_release(n) (B12: the page count cma_alloc was given)
  private release(ctx: HeapCtx, buf: IonBuffer): void {
    if (!buf.cached) this.opts.linear.toAllocator(ctx.mm, buf.pages, 'linear map restore (cma)');
    ctx.mm.cmaRelease(buf.pages[0]!, buf.priv as number);
  }

  free(ctx: HeapCtx, buf: IonBuffer): void {
    ctx.mm.enter('ionCmaFree');
    this.release(ctx, buf);
    // B15: a second cma_release of the same pages
    if (this.opts.releaseTwice) ctx.mm.cmaRelease(buf.pages[0]!, buf.priv as number);
  }
}
