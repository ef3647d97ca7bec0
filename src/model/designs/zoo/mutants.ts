/**
 * Mutants of our own making (issue 13): cma-direct-remap, the design that holds every invariant,
 * with one small fault planted, so the only violation is that fault. Each is the kind of slip a
 * kernel patch makes (a missing restore, an off-by-one, a forgotten put); none is tuned to the
 * search. Each comment names the rule whose code path is mutated (docs/model.md).
 */

import { CmaDirectHeap } from '../../ion/heaps/cma.ts';
import {
  type LinearPolicy,
  REMAP_LINEAR,
  type RemapOptions,
  remapLinearWith,
} from '../../ion/heaps/linear-policy.ts';
import type { IonCoreOptions } from '../../ion/ion.ts';
import { type Design, defineDesign, HEAP_ID, standardHeaps } from '../design.ts';
import { type CmaHeapFaults, FaultyCmaHeap } from './cma-heap-faults.ts';

interface MutantSpec {
  readonly id: string;
  readonly summary: string;
  /** The rule whose code path is mutated, and the kernel function. */
  readonly citation: string;
  readonly profile: string;
  readonly invariants: readonly string[];
}

const DEFAULT_PURGES: RemapOptions = { purgeBeforeUncached: true, purgeBeforeRestore: true };

/** A mutant of the linear-map policy every heap of cma-direct-remap uses. */
function linearMutant(m: MutantSpec, o: Partial<RemapOptions>): Design {
  const linear: LinearPolicy = remapLinearWith({ ...DEFAULT_PURGES, ...o });
  return mutant(m, (ctx) => [...standardHeaps(ctx, linear), new CmaDirectHeap(HEAP_ID.cma, { linear })]);
}

/** A mutant of the CMA heap. */
function cmaMutant(m: MutantSpec, faults: CmaHeapFaults): Design {
  return mutant(m, (ctx) => [...standardHeaps(ctx, REMAP_LINEAR), new FaultyCmaHeap(HEAP_ID.cma, faults)]);
}

/** A mutant of the ION core. */
function coreMutant(m: MutantSpec, core: Omit<IonCoreOptions, 'leakOnPageArrayFailure'>): Design {
  return mutant(
    m,
    (ctx) => [...standardHeaps(ctx, REMAP_LINEAR), new CmaDirectHeap(HEAP_ID.cma, { linear: REMAP_LINEAR })],
    core,
  );
}

function mutant(
  m: MutantSpec,
  heaps: Design['heaps'],
  core: Omit<IonCoreOptions, 'leakOnPageArrayFailure'> = {},
): Design {
  return defineDesign({
    id: `zoo/${m.id}`,
    summary: m.summary,
    citations: [m.citation, 'mutant of cma-direct-remap (docs/designs.md "The zoo")'],
    dmaLayer: '4.1',
    ionCore: { leakOnPageArrayFailure: false, ...core },
    heaps,
    zoo: { bug: m.id, profile: m.profile, invariants: m.invariants },
  });
}

export const MUTANTS: readonly Design[] = [
  // --- the linear-map policy (DMA318-6/8, ARCH-4, ION-15) --------------------------------
  // DMA318-8 __dma_remap(PAGE_KERNEL) on free left out: freed pages keep an NC linear PTE
  linearMutant(
    {
      id: 'm01-no-restore-on-free',
      summary: 'uncached pages go back to their allocator with the linear map still NC (restore left out)',
      citation: 'DMA318-8 __dma_remap(PAGE_KERNEL) in __free_from_contiguous, mutated',
      profile: 'arm32-1g-cma512',
      invariants: ['freed-completely'],
    },
    { skipRestore: true },
  ),
  // DMA318-8 restore loop bound off by one: the last page stays NC
  linearMutant(
    {
      id: 'm02-restore-one-short',
      summary: 'the WB restore on free stops one page short: the last page is freed with an NC linear PTE',
      citation: 'DMA318-8 __dma_remap on free, loop bound off by one',
      profile: 'arm32-1g-cma512',
      invariants: ['freed-completely'],
    },
    { restoreOneShort: true },
  ),
  // ION-15 zeroing skipped for one order: single-page requests are not cleared
  linearMutant(
    {
      id: 'm03-zero-skips-order0',
      summary: 'zeroing skips single-page (order-0) requests: a 4 KiB buffer or chunk keeps old data',
      citation: 'ION-15 ion_heap_pages_zero / HEAP-SYS-1 order-0 chunk, one order skipped',
      profile: 'tiny',
      invariants: ['zeroed-on-alloc'],
    },
    { zeroSkipsOrder0: true },
  ),
  // ION-15 ion_heap_sglist_zero batch loop: the partial tail batch is never flushed
  linearMutant(
    {
      id: 'm04-zero-skips-tail-batch',
      summary:
        'highmem zeroing maps only full 32-page batches: the tail batch (n mod 32 pages) keeps old data',
      citation: 'ION-15 ion_heap_sglist_zero() batch of 32, tail flush left out',
      profile: 'tiny',
      invariants: ['zeroed-on-alloc'],
    },
    { zeroSkipsTailBatch: true },
  ),
  // ARCH-8 clear_highpage() through kmap_atomic for highmem pages of an NC buffer
  linearMutant(
    {
      id: 'm05-zero-via-kmap-atomic',
      summary:
        'highmem pages of uncached buffers are zeroed through a WB kmap_atomic slot, which stays mapped',
      citation:
        'ARCH-8 kmap_atomic slot left in place (arch/arm/mm/highmem.c 3.18); HEAP-CMA-4 clear_highpage',
      profile: 'tiny',
      invariants: ['no-conflicting-alias'],
    },
    { zeroHighmemViaKmapAtomic: true },
  ),
  // ARCH-4 the purge before restoring WB left out (the purge before flipping to NC kept)
  linearMutant(
    {
      id: 'm06-no-purge-before-restore',
      summary: 'restoring WB on free without vm_unmap_aliases: a stale lazy NC alias meets the WB linear map',
      citation:
        'ARCH-4 vm_unmap_aliases before a type change; VMALLOC-5 lazy unmap; one of the two purges left out',
      profile: 'arm32-1g-cma512',
      invariants: ['no-conflicting-alias'],
    },
    { purgeBeforeRestore: false },
  ),
  // ARCH-4 the purge before flipping to NC left out (the purge on restore kept)
  linearMutant(
    {
      id: 'm07-no-purge-before-uncached',
      summary: 'flipping to NC without vm_unmap_aliases: a stale lazy WB alias meets the NC linear map',
      citation:
        'ARCH-4 vm_unmap_aliases before a type change; VMALLOC-5 lazy unmap; one of the two purges left out',
      profile: 'arm32-1g-cma512',
      invariants: ['no-conflicting-alias'],
    },
    { purgeBeforeUncached: false },
  ),
  // --- the CMA heap (HEAP-CMA-4, CMA-4/5, ION-9) -------------------------------------------
  // HEAP-CMA-4 ion_cma_free(): cma_release skipped for one size class
  cmaMutant(
    {
      id: 'm08-cma-leak-order5',
      summary: 'cma_release is skipped for buffers of order 5 (17..32 pages): one size class leaks',
      citation: 'HEAP-CMA-4 ion_cma_free() cma_release, one size class skipped',
      profile: 'tiny',
      invariants: ['freed-completely'],
    },
    { leakOrder: 5 },
  ),
  // CMA-5 cma_release(count - 1): one page stays allocated and owned
  cmaMutant(
    {
      id: 'm09-cma-release-one-short',
      summary: 'cma_release is given one page fewer than cma_alloc took: the last page of every buffer leaks',
      citation: 'CMA-5 cma_release() count off by one in HEAP-CMA-4 ion_cma_free()',
      profile: 'tiny',
      invariants: ['freed-completely'],
    },
    { releaseOneShort: true },
  ),
  // CMA-4 alignment order from ilog2 (rounds down) instead of get_order
  cmaMutant(
    {
      id: 'm10-cma-align-rounds-down',
      summary:
        'the CMA alignment order is ilog2(pages), not get_order: buffers of 2^k + 1..2^(k+1) - 1 pages are under-aligned',
      citation: 'CMA-4 cma_alloc align argument; GOLD-11 get_order(size) replaced by ilog2',
      profile: 'tiny',
      invariants: ['contiguous-aligned'],
    },
    { alignRoundsDown: true },
  ),
  // CMA-8 CONFIG_CMA_ALIGNMENT cap off by one
  cmaMutant(
    {
      id: 'm11-cma-align-cap-one-less',
      summary: 'the alignment cap is CONFIG_CMA_ALIGNMENT - 1: buffers of 1 MiB and more are 512 KiB aligned',
      citation: 'CMA-8 CONFIG_CMA_ALIGNMENT cap off by one; GOLD-11',
      profile: 'tiny',
      invariants: ['contiguous-aligned'],
    },
    { alignCapOneLess: true },
  ),
  // ION-9 mmap offset applied twice (pfn + vm_pgoff, and vm_pgoff again)
  cmaMutant(
    {
      id: 'm12-mmap-offset-twice',
      summary: 'mmap adds vm_pgoff twice: a partial mapping at an offset reaches past the buffer',
      citation: 'ION-9 ion_mmap / DMA318-11 dma_mmap_coherent offset handling, offset added twice',
      profile: 'tiny',
      invariants: ['exclusive-ownership'],
    },
    { mmapOffsetTwice: true },
  ),
  // ION-9 mmap with an inclusive end: one page past the buffer (the B14 pattern, on ION)
  cmaMutant(
    {
      id: 'm13-mmap-one-past-end',
      summary: 'mmap maps pages + 1 pages: the page after the buffer reaches user space',
      citation: 'ION-9 ion_mmap remap length, inclusive end (the off-by-one of B14 on the ION mmap path)',
      profile: 'tiny',
      invariants: ['exclusive-ownership'],
    },
    { mmapOnePastEnd: true },
  ),
  // HEAP-CMA-4 zeroing under `if (!cached)`: cached buffers keep old data
  cmaMutant(
    {
      id: 'm14-cma-zero-uncached-only',
      summary: 'the CMA heap zeroes uncached buffers only: a cached buffer keeps the previous owner data',
      citation: 'HEAP-CMA-4 ion_cma_allocate() zeroing put under if (!cached)',
      profile: 'tiny',
      invariants: ['zeroed-on-alloc'],
    },
    { zeroOnlyUncached: true },
  ),
  // --- the ION core (ION-2..11) --------------------------------------------------------------
  // ION-8 ion_handle_kmap_put() without its kmap_cnt == 0 guard
  coreMutant(
    {
      id: 'm15-kmap-count-underflow',
      summary: 'ion_handle_kmap_put() has no kmap_cnt == 0 guard: a kunmap without kmap underflows the count',
      citation: 'ION-8 ion_handle_kmap_put() WARN-and-return guard removed',
      profile: 'tiny',
      invariants: ['refcounts-balanced'],
    },
    { kmapPutUnguarded: true },
  ),
  // ION-11 close(2) drops two file references
  coreMutant(
    {
      id: 'm16-close-double-put',
      summary: 'close of a dma-buf fd puts the file twice: a live mmap or attachment loses its reference',
      citation: 'ION-11 dma-buf release path, a second dma_buf_put on close',
      profile: 'tiny',
      invariants: ['refcounts-balanced'],
    },
    { closeDoublePut: true },
  ),
  // ION-11 ion_share_dma_buf() without ion_buffer_get()
  coreMutant(
    {
      id: 'm17-share-without-ref',
      summary: 'SHARE exports a dma-buf without ion_buffer_get: the buffer kref is one short',
      citation: 'ION-11 ion_share_dma_buf() ion_buffer_get left out',
      profile: 'tiny',
      invariants: ['refcounts-balanced'],
    },
    { shareWithoutRef: true },
  ),
  // ION-10 dma_buf_attach without get_dma_buf
  coreMutant(
    {
      id: 'm18-attach-without-file-ref',
      summary: 'dma-map attaches without taking a file reference on the dma-buf',
      citation: 'ION-10 dma_buf_get/dma_buf_attach reference left out',
      profile: 'tiny',
      invariants: ['refcounts-balanced'],
    },
    { attachWithoutFileRef: true },
  ),
  // ION-11 ion_vm_close forgotten: munmap keeps the VMA's file reference
  coreMutant(
    {
      id: 'm19-munmap-without-put',
      summary: "munmap forgets the VMA's dma_buf_put: the dma-buf is never released",
      citation: 'ION-11 ion_vm_close / fput on munmap left out',
      profile: 'tiny',
      invariants: ['refcounts-balanced'],
    },
    { munmapWithoutPut: true },
  ),
  // ION-10 dma_buf_detach + dma_buf_put: the put forgotten
  coreMutant(
    {
      id: 'm20-detach-without-put',
      summary: "dma-unmap detaches without dma_buf_put: the attachment's file reference stays",
      citation: 'ION-10 dma_buf_unmap_attachment/dma_buf_detach, dma_buf_put left out',
      profile: 'tiny',
      invariants: ['refcounts-balanced'],
    },
    { detachWithoutPut: true },
  ),
  // ION-5 ion_handle_destroy() without draining the handle's kmaps
  coreMutant(
    {
      id: 'm21-handle-destroy-keeps-kmaps',
      summary:
        "ion_handle_destroy does not drop the handle's kmaps: the buffer stays kernel-mapped with no holder",
      citation: 'ION-5 ion_handle_destroy() kmap drain (ION-8) left out',
      profile: 'tiny',
      invariants: ['refcounts-balanced'],
    },
    { handleDestroyKeepsKmaps: true },
  ),
];
