/**
 * cma-direct (src/model/designs/cma-direct.ts, docs/designs.md): the 4.12 CMA heap as fixed in
 * 4.15/4.16 (HEAP-CMA-4) on the 3.18 ION core: cma_alloc directly, zeroed, mapped on demand; no
 * window per buffer; no alias handling (B17, ARCH-8).
 */
import { describe, expect, it } from 'vitest';
import { cmaDirect } from '../../../../src/model/designs/cma-direct.ts';
import { MemType } from '../../../../src/model/types.ts';
import { ALL_INVARIANTS, alloc, boot, firstViolation, heapsOf, KiB, MiB } from '../../../helpers/kernel.ts';

const kmap0 = { op: 'kmap', client: 1, handle: 0 } as const;

describe('cma-direct: the stack', () => {
  it('the 4.1 DMA layer (for the pool only), the 3.18 core without B10, CmaDirectHeap with KEEP_LINEAR', () => {
    expect(cmaDirect.dmaLayer).toBe('4.1');
    expect(cmaDirect.ionCore).toEqual({ leakOnPageArrayFailure: false, freeDropsLock: false });
    const k = boot('tiny', 'cma-direct');
    expect(heapsOf(k)[0]).toBe('cma:4:CmaDirectHeap');
    // KEEP_LINEAR: the carveout range is zeroed NC at heap creation, left lazy (HEAP-CARVEOUT-1)
    expect(k.mm.vmalloc.lazyPages).toBe(256);
  });

  it('ION calls cma_alloc without the DMA API: no dma_alloc_coherent, no window, cached accepted', () => {
    const k = boot('arm32-1g,carveout=0', 'cma-direct');
    const used = k.mm.vmalloc.usedPages;
    const r = k.apply(alloc(MiB, { cached: true }));
    expect(r.ok).toBe(true);
    expect(r.callPath).not.toContain('dmaAllocAttrs');
    // a cached buffer is fault-mapped on the 3.18 core: only its page array (2 pages) is in the window
    expect(k.mm.vmalloc.usedPages - used).toBe(2);
    expect(firstViolation('arm32-1g,heaps=cma', 'cma-direct', [alloc(MiB)], ['vmalloc-bounded'])).toBeNull();
  });

  it('fails with -ENOMEM when CMA is full (HEAP-CMA-4), not -1', () => {
    expect(boot('tiny', 'cma-direct').apply(alloc(8 * MiB))).toMatchObject({ ok: false, errno: 12 });
  });
});

describe('cma-direct: no alias handling (expected no-conflicting-alias)', () => {
  it('lowmem: the linear map stays WB under an uncached buffer; kmap adds NC (B17, GOLD-35)', () => {
    const k = boot('arm32-1g-cma512,carveout=0', 'cma-direct');
    k.apply(alloc(64 * KiB));
    expect(k.mm.pages.linearType[k.ion.buffers.get(0)!.pages[0]!]).toBe(MemType.WB);
    expect(
      firstViolation('arm32-1g-cma512,heaps=cma', 'cma-direct', [alloc(64 * KiB), kmap0], ALL_INVARIANTS),
    ).toEqual({
      inv: 'no-conflicting-alias',
      step: 1,
    });
  });

  it('highmem: the WB kmap_atomic slot left by zeroing meets the NC kmap of the same page (ARCH-8)', () => {
    expect(
      firstViolation('arm32-1g,heaps=cma', 'cma-direct', [alloc(4 * KiB), kmap0], ALL_INVARIANTS),
    ).toEqual({
      inv: 'no-conflicting-alias',
      step: 1,
    });
    // with CONFIG_DEBUG_HIGHMEM the slot is cleared and the same ops hold
    expect(
      firstViolation(
        'arm32-1g,heaps=cma,debug-highmem=on',
        'cma-direct',
        [alloc(4 * KiB), kmap0],
        ALL_INVARIANTS,
      ),
    ).toBeNull();
  });
});
