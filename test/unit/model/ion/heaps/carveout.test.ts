/**
 * HEAP-CARVEOUT-1 as drivers/staging/android/ion/ion_carveout_heap.c (3.18) does it:
 * ion_carveout_heap_create() zeroes the whole range once through NC vm_map_ram batches
 * (ion_heap_pages_zero(), ion_heap.c, ION-15), left lazy; ion_carveout_heap_allocate() does not
 * zero; ion_carveout_heap_free() zeroes with ion_heap_buffer_zero() and ignores its failure.
 */
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS } from '../../../../../src/model/designs/index.ts';
import type { Op } from '../../../../../src/model/ops.ts';
import { resolveProfile } from '../../../../../src/model/profile.ts';
import { MemType } from '../../../../../src/model/types.ts';
import { runOps } from '../../../../../src/properties/run.ts';
import { boot } from '../../../../helpers/kernel.ts';

const carveout = (client = 1): Op => ({ op: 'alloc', client, heap: 'carveout', len: 4096 });

describe('ion_carveout_heap_create(): the range zeroed once, NC, through vm_map_ram left lazy', () => {
  it('arm32-1g: 16 MiB = 4,096 pages in 32-page batches fill 8 vmap blocks, lazily freed, still in the TLB', () => {
    const k = boot('arm32-1g', 'legacy-3.18');
    expect(k.mm.vmalloc.lazyPages).toBe(4096);
    const start = (k.mm.layout.carveout!.base - k.mm.layout.ramBase) / 4096;
    for (const p of [start, start + 4095]) {
      expect(k.mm.pages.writer[p]).toBe(0);
      expect(k.mm.pages.linearType[p]).toBe(MemType.WB);
      expect(k.mm.pages.stale[MemType.NC]![p]).toBe(1);
    }
    k.apply({ op: 'purge' });
    expect(k.mm.vmalloc.lazyPages).toBe(0);
    expect(k.mm.pages.stale[MemType.NC]![start]).toBe(0);
  });

  it('allocation does not zero', () => {
    const k = boot('arm32-1g', 'legacy-3.18');
    const r = k.apply(carveout());
    expect(r.ok).toBe(true);
    expect(r.callPath).not.toContain('ionHeapBufferZero');
    expect(r.callPath).not.toContain('vmMapRam');
  });
});

describe('ion_carveout_heap_free(): a zeroing failure is ignored', () => {
  // written through a user mapping, freed while the window is full, handed out again
  const window = 61_374; // + guard fills the 61,375 free window pages after the purge (GOLD-9)
  const ops: Op[] = [
    carveout(),
    { op: 'share', client: 1, handle: 0 },
    { op: 'mmap', fd: 0 },
    { op: 'write', vma: 0 },
    { op: 'munmap', vma: 0 },
    { op: 'close', fd: 0 },
    { op: 'driver-vmap', pages: window },
    { op: 'free', client: 1, handle: 0 },
    { op: 'shrink' },
    carveout(),
  ];
  const run = (design: string) =>
    runOps(resolveProfile('arm32-1g'), ALL_DESIGNS.find((d) => d.id === design)!, ops, {
      invariants: ['zeroed-on-alloc'],
      mode: 'full',
    });

  it('a carveout freed with the window full hands dirty pages to the next allocation (zeroed-on-alloc)', () => {
    for (const d of ['legacy-3.18', 'no-kernel-mapping', 'cma-direct']) {
      const r = run(d);
      expect(r.steps[6]!.result.ok, d).toBe(true);
      expect(r.steps[8]!.result.callPath, d).toContain('ionCarveoutHeapFree');
      const v = r.firstViolations.get('zeroed-on-alloc');
      expect(v?.step, d).toBe(9);
      expect(v?.violation.message, d).toMatch(/written by buffer 0/);
    }
  });

  it('cma-direct-remap zeroes at allocation through the flipped linear map: it holds', () => {
    const r = run('cma-direct-remap');
    expect(r.steps[9]!.result.ok).toBe(true);
    expect(r.firstViolations.size).toBe(0);
  });
});
