/**
 * What a heap does with the lowmem linear map of pages it hands out uncached. 3.18's heaps keep
 * the WB linear PTEs beside NC views (ARCH-7, B17); cma-direct-remap flips them to the buffer's
 * type for the pages' life in ION and restores WB when they leave, purging stale lazy aliases
 * (vm_unmap_aliases) before any page changes type, so no page ever has two types (ARCH-4, B18).
 */
import type { Mm } from '../../mm.ts';
import { NO_LINEAR } from '../../pages.ts';
import { MemType } from '../../types.ts';

export interface LinearPolicy {
  readonly id: 'keep' | 'remap';
  /** Before pages get an NC view: make the linear map agree. */
  toUncached(mm: Mm, pages: Int32Array, owner: string): void;
  /** Before pages leave ION (back to buddy / CMA / carveout): restore the linear map. */
  toAllocator(mm: Mm, pages: Int32Array, owner: string): void;
}

export const KEEP_LINEAR: LinearPolicy = {
  id: 'keep',
  toUncached() {},
  toAllocator() {},
};

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
  return {
    id: 'remap',
    // DMA318-6 __dma_remap to the buffer's type, after vm_unmap_aliases (ARCH-4, B18)
    toUncached(mm, pages, owner) {
      mm.enter('remapLinearUncached');
      if (purge) purgeStaleAliases(mm);
      flip(mm, pages, MemType.NC, owner);
    },
    // DMA318-8 __dma_remap(PAGE_KERNEL) on free, after the purge (ARCH-4)
    toAllocator(mm, pages, owner) {
      mm.enter('remapLinearRestore');
      if (purge) purgeStaleAliases(mm);
      flip(mm, pages, MemType.WB, owner);
    },
  };
}

export const REMAP_LINEAR: LinearPolicy = remapLinear(true);
