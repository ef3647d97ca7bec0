/**
 * What a heap does with the kernel's own aliases of the pages it hands out: the lowmem linear
 * map, and the mapping it zeroes them through.
 * - 3.18's heaps (`keep`) keep the WB linear PTEs beside NC views (ARCH-7, B17) and zero fresh
 *   pages as the kernel does: __GFP_ZERO / HEAP-CMA-4 through a WB kmap_atomic slot for highmem
 *   (left in place, ARCH-8), the WB linear map for lowmem; pooled and carveout pages are zeroed on
 *   free (ION-15, HEAP-CARVEOUT-1), a failure ignored.
 * - cma-direct-remap (`remap`) flips the linear PTEs to the buffer's type for the pages' life in
 *   ION and restores WB when they leave, purging stale lazy aliases (vm_unmap_aliases) before any
 *   page changes type (ARCH-4, B18); and it zeroes every page it hands out, at allocation, through
 *   a mapping of the buffer's own type (the flipped linear map, or vm_map_ram), never through
 *   kmap_atomic, failing the allocation when no mapping can be had. So no page ever has two types.
 */
import type { Mm } from '../../mm.ts';
import { NO_LINEAR } from '../../pages.ts';
import { MemType } from '../../types.ts';
import { type HeapCtx, ionHeapPagesZero } from '../heap.ts';

export interface LinearPolicy {
  readonly id: 'keep' | 'remap';
  /** Before pages get an NC view: make the linear map agree. */
  toUncached(mm: Mm, pages: Int32Array, owner: string): void;
  /** Before pages leave ION (back to buddy / CMA / carveout): restore the linear map. */
  toAllocator(mm: Mm, pages: Int32Array, owner: string): void;
  /**
   * Zero pages a buffer of type `type` gets (after toUncached): false when the zeroing could not
   * map them (the caller gives the pages back and fails with -ENOMEM).
   */
  zeroFresh(ctx: HeapCtx, pages: Int32Array, type: MemType, owner: string, bufferId: number): boolean;
  /** Pooled and carveout pages are zeroed again when handed out (not only on free, ION-15). */
  readonly zeroOnAlloc: boolean;
  /** The carveout range is zeroed through NC vm_map_ram at heap creation (HEAP-CARVEOUT-1). */
  readonly zeroCarveoutAtCreate: boolean;
}

const NO_PAGES = new Int32Array(0);

/**
 * The lowmem and the highmem pages of `pages`, each in order. Pages all on one side (a CMA area
 * lies in one zone) come back as `pages` itself: a page list is never written, so no copy.
 */
function split(mm: Mm, pages: Int32Array): { low: Int32Array; high: Int32Array } {
  let nHigh = 0;
  for (let i = 0; i < pages.length; i++) if (mm.isHighmem(pages[i]!)) nHigh++;
  if (nHigh === 0) return { low: pages, high: NO_PAGES };
  if (nHigh === pages.length) return { low: NO_PAGES, high: pages };
  const low = new Int32Array(pages.length - nHigh);
  const high = new Int32Array(nHigh);
  for (let i = 0, l = 0, h = 0; i < pages.length; i++) {
    const p = pages[i]!;
    if (mm.isHighmem(p)) high[h++] = p;
    else low[l++] = p;
  }
  return { low, high };
}

export const KEEP_LINEAR: LinearPolicy = {
  id: 'keep',
  toUncached() {},
  toAllocator() {},
  // DMA318-4 / HEAP-CMA-4 / __GFP_ZERO clear_highpage(): highmem via kmap_atomic (WB, ARCH-8)
  zeroFresh(ctx, pages, _type, owner) {
    const { high } = split(ctx.mm, pages);
    if (high.length > 0) ctx.mm.kmapAtomic(high, `${owner} zeroing (kmap_atomic)`);
    // lowmem: memset through the linear map (WB), already live
    ctx.mm.zeroPages(pages);
    return true;
  },
  zeroOnAlloc: false,
  zeroCarveoutAtCreate: true,
};

/**
 * How the remap policy does its work; the defaults are cma-direct-remap's. The other values are
 * the zoo's mutants (docs/designs.md "The zoo"), named by what they do.
 */
export interface RemapOptions {
  /** vm_unmap_aliases() before flipping to NC / before restoring WB (false: B18, or one forgotten). */
  readonly purgeBeforeUncached: boolean;
  readonly purgeBeforeRestore: boolean;
  /** Restoring WB on free is left out. */
  readonly skipRestore?: boolean;
  /** The restore loop stops one page short of the range. */
  readonly restoreOneShort?: boolean;
  /** Zeroing skips single-page (order-0) requests. */
  readonly zeroSkipsOrder0?: boolean;
  /** Highmem zeroing maps full batches of 32 only: a tail batch of fewer pages is skipped. */
  readonly zeroSkipsTailBatch?: boolean;
  /** Highmem pages are zeroed through kmap_atomic (clear_highpage) instead of their own type. */
  readonly zeroHighmemViaKmapAtomic?: boolean;
}

/** Flush every stale alias first when one may exist (vm_unmap_aliases()). */
function purgeStaleAliases(mm: Mm): void {
  if (mm.vmalloc.lazyPages > 0 || mm.vmalloc.hasDirtyBlocks()) mm.vmUnmapAliases();
}

function flip(mm: Mm, pages: Int32Array, type: MemType, owner: string): void {
  let i = 0;
  while (i < pages.length) {
    const p = pages[i]!;
    if (mm.pages.linearType[p] === NO_LINEAR) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < pages.length && pages[j] === pages[j - 1]! + 1 && mm.pages.linearType[pages[j]!] !== NO_LINEAR)
      j++;
    mm.dmaRemap(p, j - i, type, owner);
    i = j;
  }
}

/** The remap policy; `purge: false` is the zoo's B18 mutant (flip without purging stale aliases). */
export function remapLinear(purge: boolean): LinearPolicy {
  return remapLinearWith({ purgeBeforeUncached: purge, purgeBeforeRestore: purge });
}

export function remapLinearWith(o: RemapOptions): LinearPolicy {
  return {
    id: 'remap',
    // DMA318-6 __dma_remap to the buffer's type, after vm_unmap_aliases (ARCH-4, B18)
    toUncached(mm, pages, owner) {
      mm.enter('remapLinearUncached');
      if (o.purgeBeforeUncached) purgeStaleAliases(mm);
      flip(mm, pages, MemType.NC, owner);
    },
    // DMA318-8 __dma_remap(PAGE_KERNEL) on free, after the purge (ARCH-4)
    toAllocator(mm, pages, owner) {
      mm.enter('remapLinearRestore');
      if (o.skipRestore) return;
      if (o.purgeBeforeRestore) purgeStaleAliases(mm);
      const range = o.restoreOneShort ? pages.subarray(0, pages.length - 1) : pages;
      flip(mm, range, MemType.WB, owner);
    },
    // ION-15 ion_heap_pages_zero() with the buffer's own prot for highmem; lowmem through the
    // linear map, already of the buffer's type (DMA318-6): no cacheable alias, no kmap_atomic slot
    zeroFresh(ctx, pages, type, owner, bufferId) {
      ctx.mm.enter('remapZeroOwnType');
      if (o.zeroSkipsOrder0 && pages.length === 1) return true;
      const { low, high } = split(ctx.mm, pages);
      if (o.zeroHighmemViaKmapAtomic && high.length > 0)
        ctx.mm.kmapAtomic(high, `${owner} zeroing (kmap_atomic)`);
      const zeroHigh =
        o.zeroSkipsTailBatch && high.length % 32 !== 0
          ? high.subarray(0, high.length - (high.length % 32))
          : high;
      if (o.zeroHighmemViaKmapAtomic) ctx.mm.zeroPages(high);
      else if (zeroHigh.length > 0 && !ionHeapPagesZero(ctx, zeroHigh, type, owner, bufferId)) return false;
      ctx.mm.zeroPages(low);
      return true;
    },
    zeroOnAlloc: true,
    zeroCarveoutAtCreate: false,
  };
}

export const REMAP_LINEAR: LinearPolicy = remapLinear(true);
