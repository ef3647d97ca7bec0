/**
 * dmabuf-heap-cma: the 5.6+ dma-buf heaps CMA heap ("dma-buf: heaps: Add CMA heap to dmabuf
 * heaps", John Stultz; DMABUF-CMA-1/2), where the seed's long-term plan (cma_alloc directly, no
 * dma_alloc_coherent) ended up upstream. Run on the dma-buf core (ionCore.core 'dma-heap'): ALLOC
 * is DMA_HEAP_IOCTL_ALLOC on /dev/dma_heap/<cma>, returning a dma-buf fd; `kmap` is dma_buf_vmap.
 * The heap (src/model/ion/heaps/dmabuf-cma.ts) allocates with cma_alloc, zeroes (highmem through
 * kmap_atomic, lowmem through the linear map), and maps every CPU view WB: vmap with PAGE_KERNEL,
 * user pages inserted on fault. With the 2024 fault-handler fix and VM_DONTEXPAND (B14 fixed).
 * Only the CMA heap is declared: alloc on another heap finds no heap (-ENODEV); dma-buf heaps'
 * system heap is not modelled.
 * Expected: no page ever has two memory types (every mapping, the linear map and the zeroing
 * kmap_atomic slot included, is WB), so no-conflicting-alias holds; the window holds only live
 * vmaps; pages go back to CMA on release. Cache coherency with devices is left to the DMA API
 * syncs at begin/end_cpu_access and map_attachment (DMABUF-CMA-2), which the model does not
 * simulate (caches are not modelled, docs/model.md section 6.2).
 */
import { DmabufCmaHeap } from '../ion/heaps/dmabuf-cma.ts';
import { type Design, defineDesign, HEAP_ID } from './design.ts';

export const DMABUF_CMA_CITATIONS = [
  'John Stultz, "dma-buf: heaps: Add CMA heap to dmabuf heaps" (5.6), drivers/dma-buf/heaps/cma_heap.c: DMABUF-CMA-1',
  'Christoph Hellwig, 2019-07-18 <20190718100654.GA19666@infradead.org>: sync only, all CPU mappings WB: DMABUF-CMA-2',
  'T.J. Mercier, "dma-buf: heaps: Fix off-by-one in CMA heap fault handler", 2024-08-30, stable 6.1.111: B14 fixed',
];

export const dmabufHeapCma: Design = defineDesign({
  id: 'dmabuf-heap-cma',
  summary: 'dma-buf heaps CMA heap (5.6+): cma_alloc, zeroed, every CPU mapping WB, sync only',
  citations: DMABUF_CMA_CITATIONS,
  verdictNotes:
    'holds every invariant in the model: every CPU mapping of its pages is WB (linear map, kmap_atomic zeroing slot, ' +
    'PAGE_KERNEL vmap, user pages inserted on fault; DMABUF-CMA-1/2), so no page has two memory types; only live ' +
    'vmaps hold window; pages return to CMA on release. What this rests on that the model does not check: cache ' +
    'maintenance for non-coherent devices at begin/end_cpu_access and map_attachment (caches are not simulated), and ' +
    'it declares only the CMA heap (other heaps: -ENODEV). With the 2024 fault-handler fix; zoo/b14-fault-past-end plants B14.',
  dmaLayer: '4.1',
  ionCore: { leakOnPageArrayFailure: false, core: 'dma-heap' },
  heaps: () => [new DmabufCmaHeap(HEAP_ID.cma)],
});
