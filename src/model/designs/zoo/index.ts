/**
 * The zoo: built-in designs with one known bug planted (docs/model.md section 5). Each mutant
 * must make its invariant fail; the tests and `ionck check --design zoo/<id>` show that it does.
 */
import { CmaDirectHeap } from '../../ion/heaps/cma.ts';
import { KEEP_LINEAR, REMAP_LINEAR, remapLinear } from '../../ion/heaps/linear-policy.ts';
import { type Design, defineDesign, HEAP_ID, standardHeaps } from '../design.ts';
import { STACK_ZOO } from './b13-b14.ts';
import { KNOWN_BUGS } from './known-bugs.ts';
import { MUTANTS } from './mutants.ts';

/** B12: 4.12's CMA heap as merged passes bytes as a page count and does not zero. */
const b12 = defineDesign({
  id: 'zoo/b12-bytes-as-pages',
  summary: 'B12: cma_alloc(cma, len) with len in bytes as the page count; pages not zeroed (4.12-4.14)',
  citations: [
    'drivers/staging/android/ion/ion_cma_heap.c T-v4.13/v4.14 (HEAP-CMA-3); docs/model.md B12, GOLD-21',
  ],
  dmaLayer: '4.1',
  heaps: (ctx) => [
    ...standardHeaps(ctx, KEEP_LINEAR),
    new CmaDirectHeap(HEAP_ID.cma, { linear: KEEP_LINEAR, bytesAsPages: true }),
  ],
  zoo: { bug: 'B12', profile: 'arm32-1g', invariants: ['contiguous-aligned', 'zeroed-on-alloc'] },
});

/** B15: a free path that calls cma_release twice; 3.18's cma_release accepts it (CMA-5). */
const b15 = defineDesign({
  id: 'zoo/b15-double-release',
  summary: 'B15: the CMA heap releases its pages twice; cma_release has no ownership check',
  citations: ['mm/cma.c cma_release (3.18, MTK318): CMA-5; docs/model.md B15'],
  dmaLayer: '4.1',
  heaps: (ctx) => [
    ...standardHeaps(ctx, REMAP_LINEAR),
    new CmaDirectHeap(HEAP_ID.cma, { linear: REMAP_LINEAR, releaseTwice: true }),
  ],
  zoo: { bug: 'B15', profile: 'tiny', invariants: ['freed-completely'] },
});

/** B18: cma-direct-remap without the purge: PTEs flipped while stale lazy aliases live. */
const b18 = defineDesign({
  id: 'zoo/b18-flip-without-purge',
  summary:
    'B18: cma-direct-remap flipping linear PTEs without purging stale lazy aliases first (as __dma_remap does)',
  citations: [
    'arch/arm/mm/dma-mapping.c __dma_remap (no purge, DMA318-6); mm/vmalloc.c lazy purge (VMALLOC-5); ARCH-4; docs/model.md B18',
  ],
  dmaLayer: '4.1',
  heaps: (ctx) => [
    ...standardHeaps(ctx, remapLinear(false)),
    new CmaDirectHeap(HEAP_ID.cma, { linear: remapLinear(false) }),
  ],
  zoo: { bug: 'B18', profile: 'arm32-1g-cma512', invariants: ['no-conflicting-alias'] },
});

/**
 * B3: ION_IOC_FREE drops the client lock between lookup and free (CVE-2016-9120). The race is an
 * interleaving point of the op vocabulary: `free` with `race` is a FREE whose lookup ran while
 * another FREE of the same id was between its lookup and its put.
 */
const b3 = defineDesign({
  id: 'zoo/b3-free-race',
  summary:
    'B3: a FREE racing another FREE of one id passes the lookup and puts a destroyed handle (CVE-2016-9120, fixed 4.6)',
  citations: [
    '"staging/android/ion : fix a race condition in the ion driver", stable a7544fdd1626 (ION-7); docs/model.md B3',
  ],
  dmaLayer: '4.1',
  ionCore: { leakOnPageArrayFailure: false, freeDropsLock: true },
  heaps: (ctx) => [
    ...standardHeaps(ctx, REMAP_LINEAR),
    new CmaDirectHeap(HEAP_ID.cma, { linear: REMAP_LINEAR }),
  ],
  zoo: { bug: 'B3', profile: 'tiny', invariants: ['refcounts-balanced'] },
});

export const ZOO_DESIGNS: readonly Design[] = [b3, b12, b15, b18, ...KNOWN_BUGS, ...MUTANTS, ...STACK_ZOO];
