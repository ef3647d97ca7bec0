/** Greedy delta debugging of concrete traces: same finding only, ids renumbered, fields simplified. */
import { describe, expect, it } from 'vitest';
import { builtinDesign } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import {
  minimizeOps,
  renameClients,
  reproduce,
  siblings,
  simpler,
} from '../../../src/properties/minimize.ts';

const budget = { runsMax: 500, deadline: Number.POSITIVE_INFINITY };

function fresh(design: string, profile: string) {
  const t = Kernel.boot(resolveProfile(profile), builtinDesign(design)!);
  return () => t.clone();
}

describe('minimizeOps', () => {
  it('swaps an op for a sibling on the same object when that makes the trace shorter (share + mmap -> kmap)', () => {
    // m05 zeroes highmem through a WB kmap_atomic slot: any NC view of the buffer conflicts with it
    const f = fresh('zoo/m05-zero-via-kmap-atomic', 'tiny');
    const ops: Op[] = [
      { op: 'alloc', client: 0, heap: 'cma', len: 4096 },
      { op: 'share', client: 0, handle: 0 },
      { op: 'mmap', fd: 0 },
    ];
    const start = reproduce(f, ops, 'no-conflicting-alias', 'incremental')!;
    expect(start.ops).toHaveLength(3);
    // no single op (with the ops that use it) can go: delta debugging alone stops at 3
    const min = minimizeOps(f, start, 'no-conflicting-alias', 'incremental', budget, undefined, ['cma']);
    expect(min.ops).toEqual([
      { op: 'alloc', client: 0, heap: 'cma', len: 4096 },
      { op: 'kmap', client: 0, handle: 0 },
    ]);
  });

  it('drops the noise around a one-op finding', () => {
    const f = fresh('legacy-3.18', 'arm32-1g');
    const ops: Op[] = [
      { op: 'driver-vmap', pages: 300 },
      { op: 'purge' },
      { op: 'alloc', client: 2, heap: 'cma', len: 3 * 1024 * 1024 + 5 },
      { op: 'kmap', client: 2, handle: 0 },
    ];
    const start = reproduce(f, ops, 'vmalloc-bounded', 'incremental')!;
    expect(start.ops).toHaveLength(3); // stops at the finding
    const min = minimizeOps(f, start, 'vmalloc-bounded', 'incremental', budget);
    expect(min.ops).toEqual([{ op: 'alloc', client: 0, heap: 'cma', len: 4096 }]);
    expect(min.failure.invariant).toBe('vmalloc-bounded');
  });

  it('renumbers ids when an earlier creator goes (the kmap follows its handle)', () => {
    const f = fresh('cma-direct', 'arm32-1g-cma512,heaps=system+cma');
    const ops: Op[] = [
      { op: 'alloc', client: 1, heap: 'system', len: 8192 },
      { op: 'alloc', client: 1, heap: 'system', len: 8192 },
      { op: 'alloc', client: 1, heap: 'cma', len: 1 << 20 },
      { op: 'share', client: 1, handle: 2 },
      { op: 'kmap', client: 1, handle: 2 },
    ];
    const start = reproduce(f, ops, 'no-conflicting-alias', 'incremental')!;
    expect(start).not.toBeNull();
    // only the CMA and system heaps may be used (the board has no carveout heap, HEAP-CARVEOUT-1)
    const min = minimizeOps(f, start, 'no-conflicting-alias', 'incremental', budget, undefined, [
      'cma',
      'system',
    ]);
    expect(min.ops).toEqual([
      { op: 'alloc', client: 0, heap: 'cma', len: 4096 },
      { op: 'kmap', client: 0, handle: 0 },
    ]);
  });

  it('never trades the finding for another one', () => {
    const f = fresh('legacy-3.18', 'arm32-1g');
    const ops: Op[] = [
      { op: 'alloc', client: 0, heap: 'cma', len: 4096 },
      { op: 'share', client: 0, handle: 0 },
      { op: 'dma-map', fd: 0, device: 'gpu' },
    ];
    const start = reproduce(f, ops, 'exclusive-ownership', 'incremental')!;
    const min = minimizeOps(f, start, 'exclusive-ownership', 'incremental', budget);
    expect(min.failure.invariant).toBe('exclusive-ownership');
    expect(min.ops).toHaveLength(3);
  });

  it('names clients in order of first use', () => {
    expect(
      renameClients([
        { op: 'alloc', client: 3, heap: 'cma', len: 1 },
        { op: 'import', client: 1, fd: 0 },
        { op: 'kmap', client: 3, handle: 0 },
        { op: 'purge' },
      ]),
    ).toEqual([
      { op: 'alloc', client: 0, heap: 'cma', len: 1 },
      { op: 'import', client: 1, fd: 0 },
      { op: 'kmap', client: 0, handle: 0 },
      { op: 'purge' },
    ]);
  });

  it('offers strictly simpler variants only', () => {
    expect(simpler({ op: 'alloc', client: 3, heap: 'cma', len: 5000, align: 4096, cached: false })).toEqual(
      expect.arrayContaining([
        { op: 'alloc', client: 3, heap: 'cma', len: 5000, cached: false },
        { op: 'alloc', client: 3, heap: 'cma', len: 5000, align: 4096 },
        { op: 'alloc', client: 3, heap: 'cma', len: 4096, align: 4096, cached: false },
        { op: 'alloc', client: 0, heap: 'cma', len: 5000, align: 4096, cached: false },
      ]),
    );
    expect(simpler({ op: 'purge' })).toEqual([]);
    expect(simpler({ op: 'driver-vmap', pages: 1 })).toEqual([]);
  });
});

describe('siblings', () => {
  it('names the other ops on the same handle, fd or mapping, never the op itself', () => {
    expect(siblings({ op: 'share', client: 1, handle: 3 })).toEqual([
      { op: 'kmap', client: 1, handle: 3 },
      { op: 'kunmap', client: 1, handle: 3 },
      { op: 'free', client: 1, handle: 3 },
    ]);
    expect(siblings({ op: 'mmap', fd: 2 }).map((o) => o.op)).toEqual(['import', 'dma-map', 'close']);
    expect(siblings({ op: 'munmap', vma: 4 })).toEqual([{ op: 'write', vma: 4 }]);
    expect(siblings({ op: 'purge' })).toEqual([]);
  });
});
