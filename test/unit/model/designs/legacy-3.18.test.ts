/**
 * legacy-3.18 (src/model/designs/legacy-3.18.ts, docs/designs.md): 3.18 as shipped. The CMA heap
 * calls dma_alloc_coherent on the 3.18 DMA layer, so every CMA buffer is kernel-mapped from alloc
 * to free: highmem takes size + 4 KiB of vmalloc window for its life (the seed, B2), lowmem has
 * its linear PTEs flipped NC. Native bugs B2, B9, B10, B11 and the ARCH-7/ARCH-8 aliases.
 */
import { describe, expect, it } from 'vitest';
import { legacy318 } from '../../../../src/model/designs/legacy-3.18.ts';
import { VM_TAG } from '../../../../src/model/mm.ts';
import { MemType } from '../../../../src/model/types.ts';
import { ALL_INVARIANTS, alloc, boot, firstViolation, heapsOf, KiB, MiB } from '../../../helpers/kernel.ts';

describe('legacy-3.18: the stack', () => {
  it("the 3.18 DMA layer, the 3.18 ION core with B10, 3.18's CMA heap beside the standard heaps", () => {
    expect(legacy318.dmaLayer).toBe('3.18');
    expect(legacy318.ionCore).toMatchObject({ leakOnPageArrayFailure: true, freeDropsLock: false });
    expect(legacy318.ionCore.core).toBeUndefined();
    const k = boot('tiny', 'legacy-3.18');
    expect(k.dma.version).toBe('3.18');
    expect(heapsOf(k)).toEqual([
      'cma:4:Cma318Heap',
      'carveout:2:CarveoutHeap',
      'system-contig:1:SystemContigHeap',
      'system:0:SystemHeap',
    ]);
  });
});

describe('legacy-3.18: a CMA alloc takes vmalloc space (DMA318-5, GOLD-10)', () => {
  it('highmem: ceil(N / 4096) + 1 window pages for the buffer life: 4 KiB -> 2, 100,000 -> 26, 1 MiB -> 257', () => {
    for (const [len, pages] of [
      [4 * KiB, 2],
      [100_000, 26],
      [MiB, 257],
    ] as const) {
      const k = boot('arm32-1g,carveout=0', 'legacy-3.18');
      const r = k.apply(alloc(len));
      expect(r.callPath).toContain('dmaAllocRemap');
      expect(k.mm.vmTagPages[VM_TAG.ION_MAP], `${len}`).toBe(pages);
      k.apply({ op: 'kmap', client: 1, handle: 0 }); // the same mapping: nothing more
      expect(k.mm.vmTagPages[VM_TAG.ION_MAP], `${len}`).toBe(pages);
      k.apply({ op: 'kunmap', client: 1, handle: 0 });
      expect(k.mm.vmTagPages[VM_TAG.ION_MAP], `${len}`).toBe(pages); // held until free
      k.apply({ op: 'free', client: 1, handle: 0 });
      expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(0);
    }
  });

  it('lowmem (arm32-1g-cma512): no window; the linear PTEs are NC while held (DMA318-6, GOLD-33)', () => {
    const k = boot('arm32-1g-cma512,carveout=0', 'legacy-3.18');
    k.apply(alloc(64 * KiB));
    const b = k.ion.buffers.get(0)!;
    expect(k.mm.vmalloc.usedPages).toBe(0);
    // the CPU address dma_alloc_coherent returned is the linear address of the first page
    expect((b.priv as { cpuAddr: number }).cpuAddr).toBe(k.mm.linearAddr(b.pages[0]!));
    for (const p of b.pages) expect(k.mm.pages.linearType[p]).toBe(MemType.NC);
  });

  it('B2: vmalloc-bounded fails at the first highmem CMA alloc; the system heap maps on demand and holds', () => {
    expect(firstViolation('arm32-1g,heaps=cma', 'legacy-3.18', [alloc(MiB)], ['vmalloc-bounded'])).toEqual({
      inv: 'vmalloc-bounded',
      step: 0,
    });
    expect(
      firstViolation(
        'arm32-1g,heaps=system',
        'legacy-3.18',
        [alloc(MiB, { heap: 'system' })],
        ['vmalloc-bounded'],
      ),
    ).toBeNull();
  });
});

describe('legacy-3.18: errnos (HEAP-CMA-1, B11)', () => {
  it('cached CMA is -EINVAL; a full window makes the alloc fail with -1 (EPERM), not -ENOMEM', () => {
    const k = boot('tiny', 'legacy-3.18');
    expect(k.apply(alloc(4 * KiB, { cached: true }))).toMatchObject({ ok: false, errno: 22 });
    // tiny's 2 MiB window cannot hold a 2 MiB remap + guard, though CMA can hold the pages
    const r = k.apply(alloc(2 * MiB));
    expect(r).toMatchObject({ ok: false, errno: 1 });
    expect(r.log.some((l) => l.startsWith('vmap allocation for size 2101248 failed'))).toBe(true);
    expect(k.mm.cma!.usedPages).toBe(4); // the pool only: the CMA pages went back
  });
});

describe('legacy-3.18: the aliases it is expected to show (docs/designs.md)', () => {
  it('the carveout creation zeroing leaves NC lazy entries beside the WB linear map: any first op that does not purge', () => {
    expect(
      firstViolation('arm32-1g', 'legacy-3.18', [{ op: 'driver-vmap', pages: 1 }], ['no-conflicting-alias']),
    ).toEqual({ inv: 'no-conflicting-alias', step: 0 });
    expect(firstViolation('arm32-1g', 'legacy-3.18', [{ op: 'purge' }], ['no-conflicting-alias'])).toBeNull();
  });

  it('CMA alone in lowmem: one type per page, so no-conflicting-alias holds for alloc, kmap and mmap (ARCH-7)', () => {
    const ops = [
      alloc(MiB),
      { op: 'kmap', client: 1, handle: 0 } as const,
      { op: 'share', client: 1, handle: 0 } as const,
      { op: 'mmap', fd: 0 } as const,
    ];
    expect(firstViolation('arm32-1g-cma512,heaps=cma', 'legacy-3.18', ops, ALL_INVARIANTS)).toBeNull();
  });
});
