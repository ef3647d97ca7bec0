/**
 * The zoo entries of the two later stacks (docs/model.md section 5): B13 on ion-4.12 and B14 on
 * dmabuf-heap-cma. STACK_ZOO is spread into ZOO_DESIGNS (zoo/index.ts).
 */
import { CarveoutHeap } from '../../ion/heaps/carveout.ts';
import { CmaDirectHeap } from '../../ion/heaps/cma.ts';
import { DmabufCmaHeap } from '../../ion/heaps/dmabuf-cma.ts';
import { KEEP_LINEAR } from '../../ion/heaps/linear-policy.ts';
import { SystemContigHeap } from '../../ion/heaps/system.ts';
import { System412Heap } from '../../ion/heaps/system-4.12.ts';
import { type Design, defineDesign, HEAP_ID } from '../design.ts';
import { DMABUF_CMA_CITATIONS } from '../dmabuf-heap-cma.ts';
import { ION412_CITATIONS } from '../ion-4.12.ts';

/**
 * B13 (ion.c T-v4.12): ion_dma_buf_begin_cpu_access() drops the ERR_PTR of a failed
 * ion_buffer_kmap_get() and returns 0, so the caller's end_cpu_access puts a mapping it never got
 * (kmap_cnt below the users, then negative). The row's two other defects are in the same file but
 * the model cannot reach them on this machine (docs/designs.md, "zoo/b13-begin-ignores-kmap-error"):
 * dup_sg_table() zeroing the original's DMA address is harmless when nothing reads the original's
 * DMA addresses (4.12: "Stop butchering the DMA address") and dma_map_sg() rewrites every entry of
 * the copy; ion_map_dma_buf()'s error path needs a dma_map_sg() that fails, which arm_dma_map_sg()
 * without an IOMMU never does, and the double free it leads to is of slab memory (sg tables), which
 * the model does not track.
 */
const b13 = defineDesign({
  id: 'zoo/b13-begin-ignores-kmap-error',
  summary: 'B13: ion-4.12 whose begin_cpu_access ignores a failed kmap get; end_cpu_access puts it anyway',
  citations: [
    ...ION412_CITATIONS,
    'ion.c T-v4.12 ion_dma_buf_begin_cpu_access / _end_cpu_access: docs/model.md B13',
  ],
  dmaLayer: '4.1',
  ionCore: { leakOnPageArrayFailure: false, core: 'ion-4.12', beginIgnoresKmapError: true },
  heaps: (ctx) => [
    new System412Heap(HEAP_ID.system, KEEP_LINEAR),
    new SystemContigHeap(HEAP_ID['system-contig'], KEEP_LINEAR),
    new CarveoutHeap(HEAP_ID.carveout, KEEP_LINEAR, ctx.carveout),
    new CmaDirectHeap(HEAP_ID.cma, { linear: KEEP_LINEAR }),
  ],
  zoo: { bug: 'B13', profile: 'tiny', invariants: ['refcounts-balanced'] },
});

/** B14: the CMA heap's fault handler lets pgoff == pagecount through; no VM_DONTEXPAND (5.6-2024). */
const b14 = defineDesign({
  id: 'zoo/b14-fault-past-end',
  summary: 'B14: dmabuf-heap-cma whose fault handler inserts pages[pagecount], one past the array',
  citations: [
    ...DMABUF_CMA_CITATIONS.slice(0, 2),
    'cma_heap_vm_fault() before the 2024 fix: docs/model.md B14',
  ],
  dmaLayer: '4.1',
  ionCore: { leakOnPageArrayFailure: false, core: 'dma-heap' },
  heaps: () => [new DmabufCmaHeap(HEAP_ID.cma, { faultPastEnd: true })],
  zoo: { bug: 'B14', profile: 'tiny', invariants: ['exclusive-ownership', 'freed-completely'] },
});

export const STACK_ZOO: readonly Design[] = [b13, b14];
