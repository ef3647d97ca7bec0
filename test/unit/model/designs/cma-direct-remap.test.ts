/**
 * cma-direct-remap (src/model/designs/cma-direct-remap.ts, docs/designs.md): cma-direct's
 * allocation plus 3.18's lowmem CMA rule (DMA318-6) for every heap's uncached lowmem pages, with
 * stale aliases purged first (ARCH-4, B18), and zeroing through a mapping of the buffer's own
 * type. Expected: holds every invariant; the sequences that break cma-direct hold here.
 */
import { describe, expect, it } from 'vitest';
import { cmaDirectRemap } from '../../../../src/model/designs/cma-direct-remap.ts';
import type { Op } from '../../../../src/model/ops.ts';
import { MemType } from '../../../../src/model/types.ts';
import { ALL_INVARIANTS, alloc, boot, firstViolation, heapsOf, KiB, MiB } from '../../../helpers/kernel.ts';
import { free0, mmap0, share } from '../../../helpers/zoo.ts';

const kmap0 = { op: 'kmap', client: 1, handle: 0 } as const;

describe('cma-direct-remap: the stack', () => {
  it("cma-direct's heaps and DMA layer, with the remap policy: the carveout is not zeroed at creation", () => {
    expect(cmaDirectRemap.dmaLayer).toBe('4.1');
    const k = boot('tiny', 'cma-direct-remap');
    expect(heapsOf(k)).toEqual(heapsOf(boot('tiny', 'cma-direct')));
    expect(k.mm.vmalloc.lazyPages).toBe(0); // no NC alias of the carveout left in the TLB from boot
  });
});

describe('cma-direct-remap: one type per page', () => {
  it('lowmem: NC linear map for the uncached buffer life, WB again when the pages leave ION', () => {
    const k = boot('arm32-1g-cma512,carveout=0', 'cma-direct-remap');
    k.apply(alloc(64 * KiB));
    const pages = [...k.ion.buffers.get(0)!.pages];
    for (const p of pages) expect(k.mm.pages.linearType[p]).toBe(MemType.NC);
    k.apply(free0);
    for (const p of pages) expect(k.mm.pages.linearType[p]).toBe(MemType.WB);
    // a cached buffer keeps WB
    k.apply(alloc(64 * KiB, { cached: true }));
    expect(k.mm.pages.linearType[k.ion.buffers.get(1)!.pages[0]!]).toBe(MemType.WB);
  });

  it('highmem: zeroed through vm_map_ram of the buffer type, no kmap_atomic slot left (ARCH-8)', () => {
    const k = boot('arm32-1g', 'cma-direct-remap');
    const r = k.apply(alloc(4 * KiB));
    expect(r.callPath).not.toContain('kmapAtomic');
    expect(r.callPath).toContain('vmMapRam');
    expect(k.mm.fixmapSlots.every((id) => id === 0)).toBe(true);
  });

  it('the sequences that break cma-direct (B17 lowmem, ARCH-8 highmem) hold here, on every invariant', () => {
    expect(
      firstViolation(
        'arm32-1g-cma512,heaps=cma',
        'cma-direct-remap',
        [alloc(64 * KiB), kmap0],
        ALL_INVARIANTS,
      ),
    ).toBeNull();
    expect(
      firstViolation('arm32-1g,heaps=cma', 'cma-direct-remap', [alloc(4 * KiB), kmap0], ALL_INVARIANTS),
    ).toBeNull();
  });
});

describe('cma-direct-remap: holds every invariant on a mixed workload (the headline verdict)', () => {
  const ops: Op[] = [
    alloc(MiB),
    alloc(64 * KiB, { heap: 'system' }),
    alloc(16 * KiB, { heap: 'carveout' }),
    alloc(8 * KiB, { heap: 'system-contig' }),
    alloc(100_000, { cached: true }),
    kmap0,
    share,
    mmap0,
    { op: 'write', vma: 0 },
    { op: 'dma-map', fd: 0, device: 'gpu' },
    { op: 'kunmap', client: 1, handle: 0 },
    { op: 'driver-vmap', pages: 300 },
    { op: 'munmap', vma: 0 },
    { op: 'dma-unmap', fd: 0, device: 'gpu' },
    { op: 'close', fd: 0 },
    free0,
    { op: 'free', client: 1, handle: 1 },
    alloc(MiB),
    { op: 'client-exit', client: 1 },
    { op: 'shrink' },
    { op: 'purge' },
  ];
  // lowmem CMA and every heap on arm32-1g-cma512; highmem CMA on tiny (arm32-1g's highmem case is above)
  for (const profile of ['arm32-1g-cma512', 'tiny']) {
    it(`${profile}`, () => {
      // every op succeeds: the holding is not for want of state
      const k = boot(profile, 'cma-direct-remap');
      expect(ops.filter((op) => !k.apply(op).ok)).toEqual([]);
      expect(firstViolation(profile, 'cma-direct-remap', ops, ALL_INVARIANTS)).toBeNull();
    });
  }

  it('the same workload breaks cma-direct (no alias handling)', () => {
    expect(firstViolation('arm32-1g-cma512', 'cma-direct', ops, ALL_INVARIANTS)?.inv).toBe(
      'no-conflicting-alias',
    );
  });
});
