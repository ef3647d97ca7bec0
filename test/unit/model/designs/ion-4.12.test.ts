/**
 * ion-4.12 (src/model/designs/ion-4.12.ts, docs/designs.md): ION after the 4.12 rework (ION412-1)
 * on the dma-buf core: ALLOC exports a dma-buf, no page faulting, per-attachment sg copies; the 4.12
 * system heap with two pool sets (HEAP-SYS-2) and the CMA heap as fixed (HEAP-CMA-4), all with
 * KEEP_LINEAR. Expected: no-conflicting-alias fails as on cma-direct; everything else holds.
 */
import { describe, expect, it } from 'vitest';
import { ion412 } from '../../../../src/model/designs/ion-4.12.ts';
import { VM_TAG } from '../../../../src/model/mm.ts';
import { ALL_INVARIANTS, alloc, boot, firstViolation, heapsOf, KiB, MiB } from '../../../helpers/kernel.ts';
import { mmap0, share } from '../../../helpers/zoo.ts';

const kmap0 = { op: 'kmap', client: 1, handle: 0 } as const;

describe('ion-4.12: the stack', () => {
  it('the dma-buf core, the 4.12 system heap, 3.18 system-contig and carveout, the fixed CMA heap', () => {
    expect(ion412.ionCore).toMatchObject({ core: 'ion-4.12', leakOnPageArrayFailure: false });
    expect(ion412.dmaLayer).toBe('4.1');
    expect(heapsOf(boot('tiny', 'ion-4.12'))).toEqual([
      'cma:4:CmaDirectHeap',
      'carveout:2:CarveoutHeap',
      'system-contig:1:SystemContigHeap',
      'system:0:System412Heap',
    ]);
  });

  it('ALLOC exports a dma-buf; a cached buffer is not fault-mapped (no page array in the window)', () => {
    const k = boot('arm32-1g,carveout=0', 'ion-4.12');
    const r = k.apply(alloc(MiB, { cached: true }));
    expect(r.callPath).toContain('dmaBufExport');
    expect(k.mm.vmTagPages[VM_TAG.ION_ARRAY]).toBe(0);
    expect([...k.ion.buffers.values()][0]!.faultMapped).toBe(false);
  });
});

describe('ion-4.12: expected verdicts', () => {
  it('on the CMA heap alone, alloc + kmap: the NC kernel mapping beside the WB linear map (lowmem, B17)', () => {
    expect(
      firstViolation('arm32-1g-cma512,heaps=cma', 'ion-4.12', [alloc(4 * KiB), kmap0], ALL_INVARIANTS),
    ).toEqual({
      inv: 'no-conflicting-alias',
      step: 1,
    });
  });

  it('one op on the full board: the carveout creation alias (HEAP-CARVEOUT-1)', () => {
    expect(firstViolation('arm32-1g', 'ion-4.12', [{ op: 'driver-vmap', pages: 1 }], ALL_INVARIANTS)).toEqual(
      {
        inv: 'no-conflicting-alias',
        step: 0,
      },
    );
  });

  it('everything but no-conflicting-alias holds: no window per buffer, attachments get the buffer pages', () => {
    const ops = [
      alloc(MiB),
      share,
      mmap0,
      { op: 'dma-map', fd: 0, device: 'gpu' } as const,
      kmap0,
      { op: 'kunmap', client: 1, handle: 0 } as const,
      { op: 'munmap', vma: 0 } as const,
      { op: 'dma-unmap', fd: 0, device: 'gpu' } as const,
      { op: 'close', fd: 0 } as const,
      { op: 'free', client: 1, handle: 0 } as const,
    ];
    const others = ALL_INVARIANTS.filter((i) => i !== 'no-conflicting-alias');
    const k = boot('arm32-1g', 'ion-4.12');
    expect(ops.filter((op) => !k.apply(op).ok)).toEqual([]);
    expect(firstViolation('arm32-1g', 'ion-4.12', ops, others)).toBeNull();
  });
});
