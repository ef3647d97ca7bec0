/**
 * Every known bug of docs/model.md section 5 (B1..B19) and where the zoo has it: planted in a
 * zoo design, native to a built-in design (or to the model's 3.18 mm code under a profile), or not
 * expressible, with the reason and what the model would need.
 */

export type KnownBugStatus = 'planted' | 'native' | 'not-expressible' | 'elsewhere';

export interface KnownBugEntry {
  readonly bug: string;
  readonly status: KnownBugStatus;
  /** The design that carries it (planted: a zoo design; native: a built-in). */
  readonly design?: string;
  readonly profile?: string;
  readonly invariants?: readonly string[];
  /** What is planted or native, or why it is not expressible and what would be needed. */
  readonly note: string;
}

export const KNOWN_BUGS_CATALOGUE: readonly KnownBugEntry[] = [
  {
    bug: 'B1',
    status: 'not-expressible',
    note: 'every DMA alias keeps XN (ARCH-1) and no invariant reads executability; needs an XN bit on mappings and a W^X invariant',
  },
  {
    bug: 'B2',
    status: 'native',
    design: 'legacy-3.18',
    profile: 'arm32-1g',
    invariants: ['vmalloc-bounded'],
    note: 'each highmem CMA buffer holds size + 4 KiB of window from alloc to free (DMA318-5)',
  },
  {
    bug: 'B3',
    status: 'planted',
    design: 'zoo/b3-free-race',
    note: 'interleaving point: `free` with `race` passes the lookup of a handle another FREE destroyed (ION-7)',
  },
  {
    bug: 'B4',
    status: 'planted',
    design: 'zoo/b4-kref-overflow',
    note: 'the kref-overflow half (ION-12, kref narrowed to 2 bits); the ALLOC/FREE use-after-free half is not expressible: a read of a freed handle changes no state, it needs a use-after-free check on ION objects',
  },
  {
    bug: 'B5',
    status: 'planted',
    design: 'zoo/b5-aligned-mask',
    note: 'the 3.16/3.17 aligned mask (CMA-1) on an area with order_per_bit = 1 (profile key cma-order-per-bit=)',
  },
  {
    bug: 'B6',
    status: 'planted',
    design: 'zoo/b6-alloc-buddy-free-cma',
    note: 'buddy allocation freed as CMA: cma_release refuses, the pages leak (DMA41-4, DMA318-8); the section-mapping PTE write is not modelled',
  },
  {
    bug: 'B7',
    status: 'not-expressible',
    note: 'area placement is boot-time (CMA-3) and the model has only the fixed two-step search; needs the 3.18-rc1 placement as a profile switch and the activation zone test (CMA-6)',
  },
  {
    bug: 'B8',
    status: 'not-expressible',
    note: 'native to 3.18 (CMA-6) but unreachable: the bitmap allocation at activation never fails in the model; needs failure injection at cma_activate_area',
  },
  {
    bug: 'B9',
    status: 'native',
    design: 'legacy-3.18',
    profile: 'arm32-1g',
    invariants: ['exclusive-ownership'],
    note: 'the sg table from virt_to_page() of a vmalloc address (HEAP-CMA-1, GOLD-20)',
  },
  {
    bug: 'B10',
    status: 'native',
    design: 'legacy-3.18',
    profile: 'arm32-1g',
    invariants: ['freed-completely'],
    note: 'a cached buffer whose page-array vmalloc fails leaks its pages (ION-4); needs a full window at that moment',
  },
  {
    bug: 'B11',
    status: 'not-expressible',
    note: 'native to legacy-3.18 but an errno (-1 for -ENOMEM), not state: no invariant can see it; the golden test GOLD-13 covers it',
  },
  {
    bug: 'B12',
    status: 'planted',
    design: 'zoo/b12-bytes-as-pages',
    note: 'bytes passed as the page count to cma_alloc, pages not zeroed (HEAP-CMA-3)',
  },
  {
    bug: 'B13',
    status: 'planted',
    design: 'zoo/b13-begin-ignores-kmap-error',
    note: 'the kmap part, on ion-4.12: begin_cpu_access ignores a failed kmap get, end puts anyway (ION412-1); the dup_sg_table and map-error parts are not reachable in the model',
  },
  {
    bug: 'B14',
    status: 'planted',
    design: 'zoo/b14-fault-past-end',
    note: 'on dmabuf-heap-cma: the fault handler inserts pages[pagecount], one past the array (DMABUF-CMA-3)',
  },
  {
    bug: 'B15',
    status: 'planted',
    design: 'zoo/b15-double-release',
    note: 'a free path calling cma_release twice (CMA-5)',
  },
  {
    bug: 'B16',
    status: 'native',
    design: 'cma-direct-remap',
    profile: 'arm32-1g-cma512,cma-alignment=12',
    invariants: ['contiguous-aligned'],
    note: "native to the model's 3.18 cma_alloc (CMA-4 aligns relative to the area base); shows when CONFIG_CMA_ALIGNMENT exceeds the area's 8 MiB alignment, on every design",
  },
  {
    bug: 'B17',
    status: 'native',
    design: 'cma-direct',
    // a board whose ION has only the CMA heap: no carveout creation alias (HEAP-CARVEOUT-1) first
    profile: 'arm32-1g-cma512,heaps=cma',
    invariants: ['no-conflicting-alias'],
    note: 'WB linear map beside NC views of lowmem CMA (ARCH-7); also no-kernel-mapping',
  },
  {
    bug: 'B18',
    status: 'planted',
    design: 'zoo/b18-flip-without-purge',
    note: 'linear PTEs flipped with stale lazy aliases unpurged (ARCH-4, DMA318-6)',
  },
  {
    bug: 'B19',
    status: 'not-expressible',
    note: "native to 3.18's atomic pool (DMA318-10) but ION's gfp can sleep, so no op reaches __alloc_from_pool; needs a non-sleeping caller op (a driver's GFP_ATOMIC dma_alloc_coherent)",
  },
];
