/**
 * The ION buffer and heap (ION-2 struct ion_buffer; ION-1 the heap operations: allocate, free,
 * map_dma, unmap_dma, map_kernel, unmap_kernel, map_user, shrink) and the generic helpers of
 * ion_heap.c (ION-9, ION-14, ION-15).
 */
import type { DmaLayer } from '../dma/arm-3.18.ts';
import { type Mm, VM_TAG } from '../mm.ts';
import type { Mapping } from '../mmu.ts';
import { type BufferId, Errno, fail, type HeapName, type KResult, MemType, ok, PAGE_SIZE } from '../types.ts';

export { HEAP_NAMES, type HeapName } from '../types.ts';

// ION-2 struct ion_buffer sits beside struct ion_heap (ion_priv.h): each names the other
export type BufferState = 'live' | 'deferred' | 'destroyed' | 'leaked';

export interface IonBuffer {
  readonly id: BufferId;
  readonly heap: IonHeap;
  readonly cached: boolean;
  /** PAGE_ALIGN(len) in bytes (ION-3). */
  readonly size: number;
  /** Requested alignment in bytes. */
  readonly align: number;
  /** kref (ION-2). */
  ref: number;
  handleCount: number;
  /** ION-8 kmap_cnt and the kernel mapping it refers to. */
  kmapCnt: number;
  vaddr: number;
  kmapMapping: Mapping | null;
  /** The sg table (pages as the table describes them; B9 can make it wrong). */
  sgTable: Int32Array | null;
  /** The pages the heap really gave the buffer. */
  pages: Int32Array;
  /** ION-4 fault-mapped (CACHED and not CACHED_NEEDS_SYNC): page array vmalloc'ed for life. */
  faultMapped: boolean;
  pageArrayVaddr: number;
  /** Heap private data (DMA allocation, chunk list...). */
  priv: unknown;
  state: BufferState;
  /** Op index at which the buffer was created (for reports). */
  readonly createdAt: number;
}

export interface HeapCtx {
  readonly mm: Mm;
  readonly dma: DmaLayer;
}

/** A range of page indices (pfn - RAM base pfn): its first page and how many pages it has. */
export interface PageRange {
  readonly start: number;
  readonly pageCount: number;
}

export interface IonHeap {
  readonly name: HeapName;
  /** ION heap id: allocation visits heaps in descending id order (ION-1). */
  readonly id: number;
  /** ION_HEAP_FLAG_DEFER_FREE (ION-5, ION-6). */
  readonly deferFree: boolean;
  /** Physically contiguous buffers inside [areaStart, areaStart + areaPages) (contiguous-aligned). */
  readonly contiguous: boolean;
  /**
   * Pages the heap took from its allocator for the buffer when that differs from the sg table's
   * (B12: cma_alloc given bytes as a page count); absent: the buffer's pages.
   */
  allocatedPages?(buf: IonBuffer): number;
  /**
   * B14: the heap's VMAs lack VM_DONTEXPAND, so an mremap can grow one past the buffer after
   * dma_buf_mmap_internal() checked it (DMABUF-CMA-1); mapUser then sees pages beyond the end.
   */
  readonly vmaMayGrow?: boolean;
  /** ION-1 ion_heap_create() at boot, for heaps that set up state then (HEAP-CARVEOUT-1). */
  create?(ctx: HeapCtx): void;
  /** The page range every buffer of a contiguous heap lies in, or null (contiguous-aligned). */
  area(ctx: HeapCtx): PageRange | null;
  /** The alignment in pages the heap promises for a buffer of `pageCount` pages asked with `align`. */
  alignPages(pageCount: number, alignBytes: number, ctx: HeapCtx): number;
  /** 0 on success or a negative errno, exactly as the heap returns it. */
  allocate(ctx: HeapCtx, buf: IonBuffer, len: number, align: number): number;
  free(ctx: HeapCtx, buf: IonBuffer, shrinkerFree: boolean): void;
  mapDma(ctx: HeapCtx, buf: IonBuffer): Int32Array | null;
  /** null: the heap has no map_kernel (ION-8 -> -EINVAL). */
  mapKernel(ctx: HeapCtx, buf: IonBuffer): KResult<{ vaddr: number; mapping: Mapping | null }> | null;
  unmapKernel(ctx: HeapCtx, buf: IonBuffer): void;
  /** The user mapping's pages (at most `pageCount` from `pgoff`) and type, or an errno. */
  mapUser(
    ctx: HeapCtx,
    buf: IonBuffer,
    pgoff: number,
    pageCount: number,
  ): KResult<{ type: MemType; pages: Int32Array }>;
  /** Pages the heap can give back (pools), and giving them back. */
  shrinkCount(): number;
  shrink(ctx: HeapCtx): number;
  /**
   * A copy for Kernel.clone. A heap with large state may take over `reuse` (this heap's
   * counterpart in the kernel whose storage the clone takes over: a clone of this heap in its
   * current state, or with `whole` a copy of another state of it) instead of allocating.
   */
  clone(reuse?: IonHeap, whole?: boolean): IonHeap;
}

/**
 * A heap built on ion_heap.c's generic ops (ION-9 ion_heap_map_user, ION-14 ion_heap_map_kernel),
 * as the 3.18 system, system-contig and carveout heaps are: the sg table is the buffer's pages,
 * and there is nothing to shrink unless the heap keeps pools.
 */
export abstract class GenericIonHeap implements IonHeap {
  abstract readonly name: HeapName;
  abstract readonly id: number;
  abstract readonly deferFree: boolean;
  abstract readonly contiguous: boolean;
  abstract area(ctx: HeapCtx): PageRange | null;
  abstract alignPages(pageCount: number, alignBytes: number, ctx: HeapCtx): number;
  abstract allocate(ctx: HeapCtx, buf: IonBuffer, len: number, align: number): number;
  abstract free(ctx: HeapCtx, buf: IonBuffer, shrinkerFree: boolean): void;
  abstract clone(reuse?: IonHeap, whole?: boolean): IonHeap;

  mapDma(_ctx: HeapCtx, buf: IonBuffer): Int32Array | null {
    return buf.pages;
  }

  mapKernel(ctx: HeapCtx, buf: IonBuffer): KResult<{ vaddr: number; mapping: Mapping | null }> | null {
    return ionHeapMapKernel(ctx, buf);
  }

  unmapKernel(ctx: HeapCtx, buf: IonBuffer): void {
    ionHeapUnmapKernel(ctx, buf);
  }

  mapUser(
    ctx: HeapCtx,
    buf: IonBuffer,
    pgoff: number,
    pageCount: number,
  ): KResult<{ type: MemType; pages: Int32Array }> {
    return ionHeapMapUser(ctx, buf, pgoff, pageCount);
  }

  shrinkCount(): number {
    return 0;
  }

  shrink(_ctx: HeapCtx): number {
    return 0;
  }
}

/**
 * ION-14 ion_heap_map_kernel(): vmalloc an n-pointer array (freed before return, so left lazy),
 * then vmap WB if cached else NC. n + 1 window pages while mapped.
 */
export function ionHeapMapKernel(ctx: HeapCtx, buf: IonBuffer, type?: MemType) {
  const { mm } = ctx;
  mm.enter('ionHeapMapKernel');
  const n = buf.pages.length;
  const arr = mm.vmallocArray(4 * n, VM_TAG.ION_ARRAY);
  if (arr === 0) return null;
  const prot = type ?? (buf.cached ? MemType.WB : MemType.NC);
  const m = mm.vmap(buf.pages, prot, `buffer ${buf.id} kmap`, buf.id, VM_TAG.ION_MAP);
  mm.vfree(arr);
  if (!m) return fail<{ vaddr: number; mapping: Mapping | null }>(Errno.ENOMEM);
  return ok({ vaddr: m.vaddr, mapping: m as Mapping | null });
}

/** ION-14 ion_heap_unmap_kernel(): vunmap, lazy. */
export function ionHeapUnmapKernel(ctx: HeapCtx, buf: IonBuffer): void {
  ctx.mm.enter('ionHeapUnmapKernel');
  if (buf.kmapMapping) ctx.mm.vunmap(buf.kmapMapping.vaddr);
}

/** ION-9 ion_heap_map_user(): remap_pfn_range over the sg list from vm_pgoff, the VMA's prot. */
export function ionHeapMapUser(
  ctx: HeapCtx,
  buf: IonBuffer,
  pgoff: number,
  pageCount: number,
  type?: MemType,
) {
  ctx.mm.enter('ionHeapMapUser');
  const sg = buf.sgTable ?? buf.pages;
  if (pgoff >= sg.length) return fail<{ type: MemType; pages: Int32Array }>(Errno.ENXIO);
  const n = Math.min(pageCount, sg.length - pgoff);
  return ok({ type: type ?? (buf.cached ? MemType.WB : MemType.NC), pages: sg.slice(pgoff, pgoff + n) });
}

/** ION-15 ion_heap_buffer_zero(): 32 pages at a time through vm_map_ram (WB if cached else NC). */
export function ionHeapBufferZero(ctx: HeapCtx, buf: IonBuffer, pages: Int32Array = buf.pages): boolean {
  ctx.mm.enter('ionHeapBufferZero');
  return ionHeapPagesZero(ctx, pages, buf.cached ? MemType.WB : MemType.NC, `buffer ${buf.id}`, buf.id);
}

/**
 * ION-15 ion_heap_sglist_zero() / ion_heap_pages_zero(): batches of 32 through vm_map_ram with
 * `prot`, memset, vm_unmap_ram (lazy: the TLB keeps the batch until a purge). A batch that cannot
 * be mapped stops the loop with -ENOMEM (false): the pages from there on keep their data.
 */
export function ionHeapPagesZero(ctx: HeapCtx, pages: Int32Array, prot: MemType, who: string, bufferId = -1) {
  const { mm } = ctx;
  mm.enter('ionHeapPagesZero');
  const owner = `${who} zeroing (vm_map_ram)`;
  for (let i = 0; i < pages.length; i += 32) {
    // a view, not a copy: a mapping's page list is never written (a stale batch keeps it alive)
    if (!mm.vmMapRamZeroed(pages.subarray(i, i + 32), prot, owner, bufferId)) return false;
  }
  return true;
}

export const bytesToPages = (b: number): number => Math.ceil(b / PAGE_SIZE);
