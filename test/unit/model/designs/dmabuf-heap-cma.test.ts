/**
 * dmabuf-heap-cma (src/model/designs/dmabuf-heap-cma.ts, docs/designs.md): the 5.6+ dma-buf heaps
 * CMA heap on the dma-buf core; only the CMA heap is declared; every CPU mapping WB. Expected: holds
 * every invariant on every built-in profile.
 */
import { describe, expect, it } from 'vitest';
import { dmabufHeapCma } from '../../../../src/model/designs/dmabuf-heap-cma.ts';
import type { Op } from '../../../../src/model/ops.ts';
import { MemType } from '../../../../src/model/types.ts';
import { ALL_INVARIANTS, alloc, boot, firstViolation, heapsOf, KiB, MiB } from '../../../helpers/kernel.ts';
import { mmap0, share } from '../../../helpers/zoo.ts';

describe('dmabuf-heap-cma: the stack', () => {
  it('the dma-heap core with one heap: the dma-buf heaps CMA heap', () => {
    expect(dmabufHeapCma.ionCore).toMatchObject({ core: 'dma-heap', leakOnPageArrayFailure: false });
    expect(heapsOf(boot('tiny', 'dmabuf-heap-cma'))).toEqual(['cma:4:DmabufCmaHeap']);
  });

  it('an allocation on any other heap finds no heap: -ENODEV', () => {
    const k = boot('tiny', 'dmabuf-heap-cma');
    for (const heap of ['system', 'system-contig', 'carveout'] as const)
      expect(k.apply(alloc(4 * KiB, { heap }))).toMatchObject({ ok: false, errno: 19 });
  });

  it('cached or not, every user mapping is WB (DMABUF-CMA-1): `cached` is ignored', () => {
    const k = boot('tiny', 'dmabuf-heap-cma');
    for (const cached of [false, true]) {
      k.apply(alloc(8 * KiB, { cached }));
    }
    k.apply({ op: 'share', client: 1, handle: 0 });
    k.apply({ op: 'share', client: 1, handle: 1 });
    k.apply({ op: 'mmap', fd: 0 });
    k.apply({ op: 'mmap', fd: 1 });
    expect(k.ion.vmas.map((v) => v.mapping!.type)).toEqual([MemType.WB, MemType.WB]);
  });
});

describe('dmabuf-heap-cma: holds every invariant', () => {
  const ops: Op[] = [
    alloc(MiB),
    alloc(4 * KiB),
    { op: 'kmap', client: 1, handle: 0 },
    share,
    mmap0,
    { op: 'write', vma: 0 },
    { op: 'dma-map', fd: 0, device: 'gpu' },
    { op: 'kunmap', client: 1, handle: 0 },
    { op: 'munmap', vma: 0 },
    { op: 'dma-unmap', fd: 0, device: 'gpu' },
    { op: 'close', fd: 0 },
    { op: 'free', client: 1, handle: 0 },
    alloc(MiB),
    { op: 'client-exit', client: 1 },
  ];
  for (const profile of ['arm32-1g-cma512', 'tiny']) {
    it(profile, () => {
      const k = boot(profile, 'dmabuf-heap-cma');
      expect(ops.filter((op) => !k.apply(op).ok)).toEqual([]);
      expect(firstViolation(profile, 'dmabuf-heap-cma', ops, ALL_INVARIANTS)).toBeNull();
    });
  }

  it('where cma-direct breaks no-conflicting-alias (alloc + kmap in lowmem), it holds', () => {
    const ops2: Op[] = [alloc(64 * KiB), { op: 'kmap', client: 1, handle: 0 }];
    expect(firstViolation('arm32-1g-cma512,heaps=cma', 'dmabuf-heap-cma', ops2, ALL_INVARIANTS)).toBeNull();
    expect(firstViolation('arm32-1g-cma512,heaps=cma', 'cma-direct', ops2, ALL_INVARIANTS)).not.toBeNull();
  });
});
