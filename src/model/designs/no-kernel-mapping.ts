/**
 * no-kernel-mapping: the seed's short-term option. The same 3.18 CMA heap passes
 * DMA_ATTR_NO_KERNEL_MAPPING to dma_alloc_attrs on the 4.1 ARM DMA layer ("ARM: 8304/1: Respect
 * NO_KERNEL_MAPPING when we don't have an IOMMU", DMA41-1..3): no window per buffer, kernel
 * mappings made on demand (ION-14 vmap, NC). The sg table must come from the handle, since the CPU
 * address is now a page cookie (DMA41-1), so B9 is gone. Expected findings:
 * - no-conflicting-alias on lowmem CMA (arm32-1g-cma512, GOLD-35, B17): the linear map stays WB
 *   (DMA41-2) while user mmaps and kmaps are NC: Laura Abbott's warning in the seed.
 * - in highmem, the last page zeroed through kmap_atomic stays mapped WB (ARCH-8) beside the NC
 *   kmap or mmap that follows.
 * - the other heaps' uncached lowmem aliases and the carveout's creation alias and free-time
 *   zeroing, as in legacy-3.18 (ARCH-7, HEAP-CARVEOUT-1).
 * The ION core is fixed for B10 (the ion_buffer_create error path frees what it took).
 */
import { Cma318Heap } from '../ion/heaps/cma.ts';
import { KEEP_LINEAR } from '../ion/heaps/linear-policy.ts';
import { type Design, defineDesign, HEAP_ID, standardHeaps } from './design.ts';

export const noKernelMapping: Design = defineDesign({
  id: 'no-kernel-mapping',
  summary: 'same CMA heap with DMA_ATTR_NO_KERNEL_MAPPING on the 4.1 DMA layer; kernel maps on demand',
  citations: [
    'seed: Laura Abbott, LKML 2016-09-01 (DMA_ATTR_NO_KERNEL_MAPPING; lowmem alias warning)',
    "ARM: 8304/1: Respect NO_KERNEL_MAPPING when we don't have an IOMMU (4.1): DMA41-1..3",
  ],
  dmaLayer: '4.1',
  ionCore: { leakOnPageArrayFailure: false },
  heaps: (ctx) => [
    ...standardHeaps(ctx, KEEP_LINEAR),
    new Cma318Heap(HEAP_ID.cma, {
      attrs: { noKernelMapping: true },
      sgFromVirt: false,
      mapKernelOnDemand: true,
    }),
  ],
});
