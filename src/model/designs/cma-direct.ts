/**
 * cma-direct: the seed's long-term plan as upstream did it: ION calls cma_alloc directly
 * ("staging: android: ion: Use CMA APIs directly", 4.12, HEAP-CMA-3) with the later fixes
 * ("staging: ion: Fix ion_cma_heap allocations", John Stultz, ~4.15; "staging: android: ion: Zero
 * CMA allocated memory", Liam Mark, ~4.16: HEAP-CMA-4): page count and alignment right, pages
 * zeroed (highmem through kmap_atomic, lowmem through the WB linear map), maps on demand (ION-14,
 * ION-9). The 4.12 CMA heap runs here on the 3.18 ION core (handles, clients, ion_map_kernel; not
 * the 4.12 core, ION412-1), with the 4.1 DMA layer for the atomic pool. No window per buffer. No
 * alias handling (B17): an uncached lowmem CMA buffer keeps its WB linear mapping while kmaps and
 * user mmaps are NC (GOLD-35), so no-conflicting-alias fails on arm32-1g-cma512; in highmem the
 * kmap_atomic zeroing leaves the last page's WB slot in place (ARCH-8) beside the NC kmap or mmap
 * that follows, and a lazily unmapped NC kmap is still in the TLB when the pages' next owner
 * zeroes them through a WB kmap_atomic (B18, stale TLB on). The other heaps are 3.18's (ARCH-7,
 * HEAP-CARVEOUT-1).
 */
import { CmaDirectHeap } from '../ion/heaps/cma.ts';
import { KEEP_LINEAR } from '../ion/heaps/linear-policy.ts';
import { type Design, defineDesign, HEAP_ID, standardHeaps } from './design.ts';

export const cmaDirect: Design = defineDesign({
  id: 'cma-direct',
  summary: 'cma_alloc directly (4.12 as fixed in 4.15/4.16): zero, map on demand, no alias handling',
  citations: [
    'Laura Abbott, "Ion cleanup in preparation for moving out of staging", PATCHv4 2017-04-18: HEAP-CMA-3',
    'John Stultz, "staging: ion: Fix ion_cma_heap allocations"; Liam Mark, "Zero CMA allocated memory": HEAP-CMA-4',
  ],
  dmaLayer: '4.1',
  ionCore: { leakOnPageArrayFailure: false },
  heaps: (ctx) => [
    ...standardHeaps(ctx, KEEP_LINEAR),
    new CmaDirectHeap(HEAP_ID.cma, { linear: KEEP_LINEAR }),
  ],
});
