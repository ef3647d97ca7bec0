/**
 * cma-direct-remap (ours): cma_alloc directly as cma-direct, and for uncached buffers the lowmem
 * linear map is flipped to the buffer's type (NC) for the buffer's life and restored to WB on free,
 * with stale lazy aliases purged (vm_unmap_aliases) before any page changes type. The same rule
 * covers the other heaps' uncached lowmem pages (system pools keep their NC type while pooled and
 * are restored when the shrinker gives them back). So no page ever has two mapping types (ARCH-4,
 * ARCH-6, ARCH-7), and no window is held by unmapped buffers (vmalloc-bounded). This is 3.18's
 * own lowmem CMA rule (DMA318-6) applied everywhere, plus the purge 3.18 lacks (B18); Christoph
 * Hellwig's "provide in-place uncached remapping for dma-direct" (2020) argues the same in-place
 * remap to avoid speculation into cache aliases.
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
    'Christoph Hellwig, "provide in-place uncached remapping for dma-direct", 2020-02-20',
  ],
  dmaLayer: '4.1',
  ionCore: { leakOnPageArrayFailure: false },
  heaps: (ctx) => [
    ...standardHeaps(ctx, REMAP_LINEAR),
    new CmaDirectHeap(HEAP_ID.cma, { linear: REMAP_LINEAR }),
  ],
});
