/**
 * ion-4.12: ION after the 4.12 rework (ION412-1, Laura Abbott's "Ion cleanup in preparation for
 * moving out of staging", merged for 4.12): no handles or clients, ALLOC returns a dma-buf fd and
 * the buffer lives as long as the dma-buf; each attachment gets its own copy of the sg table
 * (dup_sg_table) mapped with dma_map_sg on the importer's device; begin_cpu_access takes a kernel
 * mapping (ion_buffer_kmap_get) and syncs every attachment for the CPU, end_cpu_access puts it and
 * syncs for the device; no page faulting, no ion_map_kernel. Run on the dma-buf core
 * (src/model/ion/dmabuf-core.ts, ionCore.core 'ion-4.12').
 * Heaps: the 4.12 system heap with cached and uncached pools (HEAP-SYS-2), system-contig and the
 * carveout as 3.18 (HEAP-CONTIG-1, HEAP-CARVEOUT-1), and the CMA heap calling cma_alloc directly
 * **as fixed in 4.15/4.16** (HEAP-CMA-4), not as merged (HEAP-CMA-3). Why the fixed heap: the
 * merged heap carries B12 (bytes passed as a page count, no zeroing), a bug that was fixed two
 * releases later without touching the 4.12 core; a comparison design should show what the 4.12
 * architecture does, and the zoo carries the bugs (zoo/b12-bytes-as-pages, zoo/b13-... on this
 * design). Every heap keeps 3.18's linear-map handling (KEEP_LINEAR): the rework removed "crufty
 * cache support" but did nothing about aliases.
 * Expected findings: no-conflicting-alias fails as cma-direct's does (B17: uncached lowmem pages
 * keep their WB linear map beside NC kmaps and writecombine mmaps; the carveout's creation
 * zeroing alias, HEAP-CARVEOUT-1; the WB kmap_atomic slot left by zeroing highmem, ARCH-8).
 * Nothing else: the window holds only live kmaps (vmalloc-bounded), attachments get copies of the
 * buffer's own pages (exclusive-ownership).
 */
import { CarveoutHeap } from '../ion/heaps/carveout.ts';
import { CmaDirectHeap } from '../ion/heaps/cma.ts';
import { KEEP_LINEAR } from '../ion/heaps/linear-policy.ts';
import { SystemContigHeap } from '../ion/heaps/system.ts';
import { System412Heap } from '../ion/heaps/system-4.12.ts';
import { type Design, defineDesign, HEAP_ID } from './design.ts';

export const ION412_CITATIONS = [
  'Laura Abbott, "Ion cleanup in preparation for moving out of staging", PATCHv4 2017-04-18: ION412-1',
  'drivers/staging/android/ion/ion.c, ion_system_heap.c T-v4.12: ION412-1, HEAP-SYS-2',
  'John Stultz, "staging: ion: Fix ion_cma_heap allocations"; Liam Mark, "Zero CMA allocated memory": HEAP-CMA-4',
];

export const ion412: Design = defineDesign({
  id: 'ion-4.12',
  summary: 'ION after the 4.12 rework: dma-buf per allocation, per-attachment sg copies, CMA heap as fixed',
  citations: ION412_CITATIONS,
  verdictNotes:
    'violates only no-conflicting-alias, as cma-direct does: the 4.12 rework changed the core, not the aliases. ' +
    'Shortest: 1 op, the carveout zeroed through NC vm_map_ram at heap creation and left lazy beside its WB linear ' +
    'map (HEAP-CARVEOUT-1, ARCH-4); on the CMA heap alone, alloc 4 KiB + kmap: the WB linear map (or, in highmem, ' +
    'the kmap_atomic slot left by the zeroing, ARCH-8) beside the NC kernel mapping begin_cpu_access takes (B17). ' +
    "Holds the rest: no window per buffer, each attachment a copy of the buffer's own pages (ION412-1), CMA heap as fixed (HEAP-CMA-4).",
  dmaLayer: '4.1',
  ionCore: { leakOnPageArrayFailure: false, core: 'ion-4.12' },
  heaps: (ctx) => [
    new System412Heap(HEAP_ID.system, KEEP_LINEAR),
    new SystemContigHeap(HEAP_ID['system-contig'], KEEP_LINEAR),
    new CarveoutHeap(HEAP_ID.carveout, KEEP_LINEAR, ctx.carveout),
    new CmaDirectHeap(HEAP_ID.cma, { linear: KEEP_LINEAR }),
  ],
});
