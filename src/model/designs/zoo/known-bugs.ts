/**
 * Known bugs of docs/model.md section 5 planted beside B3, B12, B15 and B18 (index.ts): each on
 * cma-direct-remap, so the planted bug is the only violation.
 */
import { CmaDirectHeap } from '../../ion/heaps/cma.ts';
import { REMAP_LINEAR } from '../../ion/heaps/linear-policy.ts';
import { type Design, defineDesign, HEAP_ID, standardHeaps } from '../design.ts';
import { FaultyCmaHeap } from './cma-heap-faults.ts';

/** B4: IMPORT takes handle krefs with no overflow check ("ANDROID: ion: check for kref overflow"). */
const b4 = defineDesign({
  id: 'zoo/b4-kref-overflow',
  summary:
    'B4: repeated IMPORT of one dma-buf overflows the handle kref (no overflow check); the model narrows the kref to 2 bits',
  citations: [
    '"ANDROID: ion: check for kref overflow", "ANDROID: ion: Protect kref from userspace manipulation" (Android bulletins 2017/2018): ION-12 ion_import_dma_buf kref_get; docs/model.md B4',
  ],
  dmaLayer: '4.1',
  // B4 (ION-12): kref_get on an existing handle with no overflow check
  ionCore: { leakOnPageArrayFailure: false, handleKrefBits: 2 },
  heaps: (ctx) => [
    ...standardHeaps(ctx, REMAP_LINEAR),
    new CmaDirectHeap(HEAP_ID.cma, { linear: REMAP_LINEAR }),
  ],
  zoo: { bug: 'B4', profile: 'tiny', invariants: ['refcounts-balanced'] },
});

/** B6: coherent + CMA + gfp 0 on 4.2: allocated from buddy, freed as CMA (nothing released). */
const b6 = defineDesign({
  id: 'zoo/b6-alloc-buddy-free-cma',
  summary:
    'B6: the allocation takes the buddy path, the free the CMA path; cma_release refuses the pages and they leak',
  citations: [
    'Rabin Vincent, "[PATCH 2/2] ARM: dma-mapping: fix alloc/free for coherent + CMA + gfp=0", 2016-02-19 (DMA41-4 alloc, DMA318-8 free); docs/model.md B6',
  ],
  dmaLayer: '4.1',
  heaps: (ctx) => [
    ...standardHeaps(ctx, REMAP_LINEAR),
    // B6 (DMA41-4 __alloc_simple_buffer on alloc, DMA318-8 __free_from_contiguous on free)
    new FaultyCmaHeap(HEAP_ID.cma, { allocFromBuddyFreeAsCma: true }),
  ],
  zoo: { bug: 'B6', profile: 'tiny', invariants: ['freed-completely'] },
});

/** B5: the 3.16/3.17 aligned mask, wrong once the area's bitmap has order_per_bit > 0. */
const b5 = defineDesign({
  id: 'zoo/b5-aligned-mask',
  summary:
    'B5: cma_bitmap_aligned_mask() = 2^(order >> order_per_bit) - 1: buffers under-aligned when order_per_bit > 0',
  citations: [
    'Weijie Yang, "mm/cma: fix cma bitmap aligned mask computing" (3.16-3.17): CMA-1; docs/model.md B5',
  ],
  dmaLayer: '4.1',
  // B5 (CMA-1 cma_bitmap_aligned_mask, 3.16/3.17 form)
  cmaMaskShiftsOrder: true,
  heaps: (ctx) => [
    ...standardHeaps(ctx, REMAP_LINEAR),
    new CmaDirectHeap(HEAP_ID.cma, { linear: REMAP_LINEAR }),
  ],
  zoo: { bug: 'B5', profile: 'tiny,cma-order-per-bit=1', invariants: ['contiguous-aligned'] },
});

export const KNOWN_BUGS: readonly Design[] = [b4, b5, b6];
