/**
 * legacy-3.18: ION as 3.18 shipped it. The CMA heap calls dma_alloc_coherent on the 3.18 ARM DMA
 * layer (HEAP-CMA-1/2, DMA318-3..6), so every CMA buffer is kernel-mapped from alloc to free: in
 * highmem an NC vmalloc area of size + 4 KiB for its whole life (the seed, B2), in lowmem the
 * linear PTEs flipped to NC. Faithful, native bugs included:
 * - B2 vmalloc-bounded: each highmem CMA buffer pins its window whether kmapped or not (GOLD-15).
 * - B9 exclusive-ownership: the sg table comes from virt_to_page(cpu_addr), an unrelated page for
 *   a vmalloc address (GOLD-20); importers get it at dma-map.
 * - B10 freed-completely: a cached (fault-mapped) buffer whose page array cannot be vmalloc'ed
 *   leaks its pages (ion_buffer_create skips unmap_dma and free).
 * - B11: CMA heap failures return -1 (EPERM), not -ENOMEM (GOLD-13).
 * - no-conflicting-alias (ARCH-7, ARCH-8, B17): __dma_clear_buffer() zeroes a highmem CMA buffer
 *   page by page through kmap_atomic, and without CONFIG_DEBUG_HIGHMEM the last page's WB slot
 *   stays mapped beside the NC remap made next (one 4 KiB uncached alloc shows it); uncached
 *   system, system-contig and carveout buffers on lowmem keep their WB linear mapping beside NC
 *   zeroing and user views; and the carveout heap's creation zeroing leaves NC vm_map_ram entries
 *   of its whole range in the TLB beside the WB linear map until a purge (HEAP-CARVEOUT-1, ARCH-4).
 *   A freed remap leaves no stale alias: dma_common_free_remap() calls unmap_kernel_range(),
 *   which flushes the TLB, before vunmap() (DMA318-8).
 * - zeroed-on-alloc (HEAP-CARVEOUT-1, ION-15): the carveout heap zeroes on free, ignoring a
 *   failure, and not at allocation, so a buffer freed while the window is exhausted hands its
 *   data to the next owner.
 * Citations: T-v3.18 ion.c, ion_cma_heap.c (3.17/3.19 copies), arch/arm/mm/dma-mapping.c (HS318).
 */
import { Cma318Heap } from '../ion/heaps/cma.ts';
import { KEEP_LINEAR } from '../ion/heaps/linear-policy.ts';
import { type Design, defineDesign, HEAP_ID, standardHeaps } from './design.ts';

export const legacy318: Design = defineDesign({
  id: 'legacy-3.18',
  summary: '3.18 as shipped: ION CMA heap calls dma_alloc_coherent on the 3.18 ARM DMA layer',
  citations: [
    'drivers/staging/android/ion/ion_cma_heap.c (3.17/3.19, identical logic => 3.18): HEAP-CMA-1, HEAP-CMA-2',
    'arch/arm/mm/dma-mapping.c __dma_alloc, __alloc_from_contiguous (3.18, HS318): DMA318-3..6',
    'LKML 2016-09-01, Laura Abbott to Yang Wei: "Cma mem map to cpu address when allocated in ion driver"',
  ],
  dmaLayer: '3.18',
  ionCore: { leakOnPageArrayFailure: true },
  heaps: (ctx) => [
    ...standardHeaps(ctx, KEEP_LINEAR),
    new Cma318Heap(HEAP_ID.cma, { attrs: {}, sgFromVirt: true, mapKernelOnDemand: false }),
  ],
});
