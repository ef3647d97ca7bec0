/**
 * cma-direct-remap (ours): cma_alloc directly as cma-direct (the 4.12 CMA heap as fixed in
 * 4.15/4.16, on the 3.18 ION core), with two rules for every heap's pages:
 * 1. The linear map agrees with the buffer: for uncached buffers the lowmem linear PTEs are
 *    flipped to NC for the buffer's life (pooled system pages keep NC while pooled) and restored
 *    to WB when the pages leave ION, with stale lazy aliases purged (vm_unmap_aliases) before any
 *    page changes type (ARCH-4, B18). This is 3.18's own lowmem CMA rule (DMA318-6) applied
 *    everywhere, plus the purge 3.18 lacks.
 * 2. Zeroing never makes an alias of another type: every page is zeroed when handed out, through
 *    a mapping of the buffer's own type (the flipped linear map for lowmem; ion_heap_pages_zero()
 *    through vm_map_ram with the buffer's prot for highmem), never through kmap_atomic, whose WB
 *    slot stays mapped after kunmap_atomic() without CONFIG_DEBUG_HIGHMEM (ARCH-8,
 *    arch/arm/mm/highmem.c 3.18). When no mapping can be had (the window is full) the
 *    allocation fails with -ENOMEM instead of handing out pages it could not zero: 3.18's
 *    carveout and system heaps zero on free and ignore that failure (HEAP-CARVEOUT-1, ION-15).
 *    The carveout range is therefore not zeroed at heap creation (nothing reads it before an
 *    allocation zeroes it), so no NC alias of it is left in the TLB from boot.
 * So no page ever has two mapping types (ARCH-4..8), no window is held by unmapped buffers
 * (vmalloc-bounded), and no buffer exposes an earlier owner's data. Christoph Hellwig's "provide
 * in-place uncached remapping for dma-direct" (2020) argues for the same in-place remap to avoid
 * speculation into cache aliases.
 */
import { CmaDirectHeap } from '../ion/heaps/cma.ts';
import { REMAP_LINEAR } from '../ion/heaps/linear-policy.ts';
import { type Design, defineDesign, HEAP_ID, standardHeaps } from './design.ts';

export const cmaDirectRemap: Design = defineDesign({
  id: 'cma-direct-remap',
  summary:
    "cma_alloc directly; uncached lowmem linear map flipped for the buffer's life, stale aliases purged first",
  citations: [
    "DMA318-6 __dma_remap (3.18 lowmem CMA rule), applied to every heap's uncached lowmem pages",
    'ARCH-4 stale TLB aliases: vm_unmap_aliases() before a page changes type (B18)',
    'ARCH-8 kmap_atomic slots left in place (arch/arm/mm/highmem.c 3.18): zero through a mapping of the buffer type instead',
    'Christoph Hellwig, "provide in-place uncached remapping for dma-direct", 2020-02-20',
  ],
  dmaLayer: '4.1',
  ionCore: { leakOnPageArrayFailure: false },
  heaps: (ctx) => [
    ...standardHeaps(ctx, REMAP_LINEAR),
    new CmaDirectHeap(HEAP_ID.cma, { linear: REMAP_LINEAR }),
  ],
});
