/**
 * vmalloc-bounded: the ION stack holds no more of the vmalloc window than its kernel mappings
 * need. A kernel engineer calls a violation "ION pins vmalloc space for buffers nobody mapped"
 * (the seed, B2): the window is 240 MiB on a 1 GiB 3G/1G board and other drivers fail to vmap.
 *
 * Formula (pages, guard pages included; lazily freed areas are not counted, because the
 * allocator purges them before it fails, VMALLOC-4):
 *   held      = live areas tagged ION_MAP (DMA remaps of ION buffers, ION-14 vmaps)
 *   justified = sum over buffers with kmap_cnt > 0 of (buffer pages + 1)
 *   violated iff held > justified, or live + lazy > the window (VMALLOC-1..5).
 * Fixed boot costs (the atomic pool's permanent area, DMA318-9, GOLD-8) and ION's bookkeeping
 * arrays (ION-4 page arrays, ION-14 pointer arrays, which are kernel data, not buffer mappings)
 * are tagged apart and never count as held.
 * Rests on: VMALLOC-1..5, DMA318-5, DMA318-9, HEAP-CMA-2, ION-8, ION-14, GOLD-10, GOLD-15.
 */
import type { Kernel } from '../model/kernel.ts';
import { VM_TAG } from '../model/mm.ts';
import type { Invariant, Violation } from './invariant.ts';

function verdict(k: Kernel, held: number, justified: number): Violation | null {
  const v = k.mm.vmalloc;
  const windowPages = v.endPage - v.startPage;
  const used = v.usedPages;
  if (used <= windowPages && held <= justified) return null;
  // a persisting violation is reported after every op: its words are built once per figures
  const m = last;
  if (m && m.used === used && m.windowPages === windowPages && m.held === held && m.justified === justified)
    return m.v;
  last = { used, windowPages, held, justified, v: describe(used, windowPages, held, justified) };
  return last.v;
}

/** The last report and the figures it was built from (the report is a function of them). */
let last: { used: number; windowPages: number; held: number; justified: number; v: Violation } | null = null;

function describe(used: number, windowPages: number, held: number, justified: number): Violation {
  if (used > windowPages)
    return {
      invariant: 'vmalloc-bounded',
      message: `live + lazy vmalloc areas use ${used} pages of a ${windowPages}-page window`,
      pfns: [],
      mappings: [],
    };
  return {
    invariant: 'vmalloc-bounded',
    message: `ION holds ${held} window pages for buffer mappings; kernel-mapped buffers justify ${justified} (${held - justified} pages pinned by unmapped buffers)`,
    pfns: [],
    mappings: [],
  };
}

export const vmallocBounded: Invariant = {
  id: 'vmalloc-bounded',
  title: 'Bounded vmalloc use',
  definition:
    'Live vmalloc areas held by ION buffer mappings never exceed the sum, over buffers with kmap count > 0, of size + guard; live plus lazy never exceed the window.',
  rests: ['VMALLOC-1', 'VMALLOC-4', 'VMALLOC-5', 'DMA318-5', 'HEAP-CMA-2', 'ION-8', 'ION-14', 'GOLD-15'],
  // O(1): the model keeps per-tag live window pages and ION keeps the kmapped sum
  incremental(k) {
    return verdict(k, k.mm.vmTagPages[VM_TAG.ION_MAP]!, k.ion.kmappedWindowPages);
  },
  // O(1) figures the op's effects do not list (the window's live and lazy pages): read again
  afterQuietOp(k) {
    return vmallocBounded.incremental(k);
  },
  readsFigures: true,
  full(k) {
    let held = 0;
    for (const [, a] of k.mm.liveVmAreas()) if (a.tag === VM_TAG.ION_MAP) held += a.pages;
    let justified = 0;
    for (const b of [...k.ion.buffers.values(), ...k.ion.freeList])
      if (b.kmapCnt > 0) justified += b.pages.length + 1;
    return verdict(k, held, justified);
  },
};
