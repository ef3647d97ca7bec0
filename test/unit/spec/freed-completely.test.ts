/** freed-completely catches double frees, leaks, freed pages left mapped or NC, quiescence drift. */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/model/kernel.ts';
import { VM_TAG } from '../../../src/model/mm.ts';
import type { Op } from '../../../src/model/ops.ts';
import { Owner } from '../../../src/model/pages.ts';
import { MemType } from '../../../src/model/types.ts';
import { freedCompletely } from '../../../src/spec/freed-completely.ts';
import { boot, bootWith, checkBoth, KiB, uncachedCma, verdict } from '../../helpers/kernel.ts';

const free = (handle: number): Op => ({ op: 'free', client: 1, handle });
const cached = (len: number): Op => ({ op: 'alloc', client: 1, heap: 'cma', len, cached: true });

describe('freed-completely on op sequences', () => {
  it('violated on zoo/b15-double-release (tiny) at the free: the pages go back to CMA twice (B15)', () => {
    const v = verdict('tiny', 'zoo/b15-double-release', [uncachedCma(4096), free(0)], 'freed-completely');
    expect(v?.step).toBe(1);
    expect(v?.message).toMatch(/freed 2 times/);
  });
  it('holds on cma-direct-remap (tiny): alloc, free, purge', () => {
    expect(
      verdict('tiny', 'cma-direct-remap', [uncachedCma(4096), free(0), { op: 'purge' }], 'freed-completely'),
    ).toBeNull();
  });

  it('a leak shows at the free that makes it, among live buffers (zoo/m08: no cma_release for order 5)', () => {
    const v = verdict(
      'tiny',
      'zoo/m08-cma-leak-order5',
      [uncachedCma(4 * KiB), cached(128 * KiB), free(1)],
      'freed-completely',
    );
    expect(v).toEqual({
      step: 2,
      message: 'pfn 0x80C20 is still owned by buffer 1, which is gone (leak)',
      pfns: [0x80c20],
    });
  });

  it('a failed allocation that keeps its pages leaks them (B10 native to legacy-3.18, arm32-1g)', () => {
    // the window full to its last pages when a cached buffer's page array is vmalloc'd (ION-4)
    const ops: Op[] = [
      { op: 'driver-vmap', pages: 61373 },
      { op: 'alloc', client: 1, heap: 'system', len: 64 * KiB, cached: true },
    ];
    const v = verdict('arm32-1g', 'legacy-3.18', ops, 'freed-completely');
    expect(v?.step).toBe(1);
    expect(v?.message).toMatch(/^pfn 0x[0-9A-F]+ is still owned by buffer 0, which is gone \(leak\)$/);
  });

  it('a page freed while a user VMA still maps it (zoo/m13: mmap one page past the end)', () => {
    const ops: Op[] = [uncachedCma(16 * KiB), { op: 'share', client: 1, handle: 0 }, { op: 'mmap', fd: 0 }];
    expect(verdict('tiny', 'zoo/m13-mmap-one-past-end', ops, 'freed-completely')?.message).toBe(
      'pfn 0x80C08 is free but still mapped NC',
    );
    expect(verdict('tiny', 'cma-direct-remap', ops, 'freed-completely')).toBeNull();
  });

  it('a lowmem page freed with its linear PTE left NC (zoo/m01, arm32-1g-cma512)', () => {
    const v = verdict(
      'arm32-1g-cma512',
      'zoo/m01-no-restore-on-free',
      [uncachedCma(4 * KiB), free(0)],
      'freed-completely',
    );
    expect(v?.step).toBe(1);
    expect(v?.message).toMatch(/^pfn 0x[0-9A-F]+ is free but its linear PTE is still NC$/);
  });

  it('holds on cma-direct (tiny) although a stale kmap and a lingering kmap_atomic slot point at the freed pages (ARCH-4, ARCH-8)', () => {
    const ops: Op[] = [
      uncachedCma(64 * KiB),
      { op: 'kmap', client: 1, handle: 0 },
      { op: 'kunmap', client: 1, handle: 0 },
      free(0),
    ];
    expect(verdict('tiny', 'cma-direct', ops, 'freed-completely')).toBeNull();
    const k = bootWith('tiny', 'cma-direct', ops);
    const kinds = [...k.mm.mmu.mappings.values()].map((m) => `${m.kind}:${m.state}`);
    expect(kinds).toContain('vm:stale');
    expect(kinds).toContain('kmap-atomic:live');
    expect(k.ion.quiescent()).toBe(true);
  });

  it('a deferred free holds its pages until the shrinker runs; quiescence then matches boot', () => {
    const k = bootWith('tiny', 'legacy-3.18', [
      { op: 'alloc', client: 1, heap: 'system', len: 64 * KiB },
      free(0),
    ]);
    expect(k.ion.freeList.length).toBe(1);
    expect(checkBoth(freedCompletely, k)).toBeNull();
    k.apply({ op: 'shrink' });
    expect(k.ion.quiescent()).toBe(true);
    expect(checkBoth(freedCompletely, k)).toBeNull();
  });
});

describe('freed-completely on hand-corrupted kernels (tiny, cma-direct-remap)', () => {
  const LOW = 100;
  /** Booted; page LOW is a free lowmem page with a WB linear PTE. */
  function fresh(ops: Op[] = []): Kernel {
    const k = bootWith('tiny', 'cma-direct-remap', ops);
    expect(k.mm.pages.ownerKind[LOW]).toBe(Owner.FREE);
    expect(k.mm.pages.linearType[LOW]).toBe(MemType.WB);
    return k;
  }

  it('holds at boot and with a live buffer', () => {
    expect(checkBoth(freedCompletely, fresh())).toBeNull();
    expect(checkBoth(freedCompletely, fresh([uncachedCma(64 * KiB)]))).toBeNull();
  });

  it('a free page whose linear PTE is left NC', () => {
    const k = fresh();
    k.mm.dmaRemap(LOW, 1, MemType.NC, 'hand remap');
    const v = checkBoth(freedCompletely, k);
    expect(v?.message).toBe('pfn 0x80064 is free but its linear PTE is still NC');
    expect(v?.pfns).toEqual([0x80064]);
    expect(v?.mappings).toEqual([
      { kind: 'linear', type: 'NC', owner: 'linear map', state: 'live', vaddr: -1 },
    ]);
  });

  it('a free highmem page still vmapped', () => {
    const k = fresh();
    const p = k.mm.lowmemPages + 8;
    expect(k.mm.pages.ownerKind[p]).toBe(Owner.FREE);
    k.mm.vmap(Int32Array.of(p), MemType.WB, 'hand vmap', -1, VM_TAG.DRIVER);
    expect(checkBoth(freedCompletely, k)?.message).toBe(
      `pfn 0x${(0x80000 + p).toString(16).toUpperCase()} is free but still mapped WB`,
    );
  });

  it('pages still owned by a buffer ION no longer holds: the smallest is reported', () => {
    const k = fresh([uncachedCma(64 * KiB)]);
    k.ion.buffers.delete(0);
    const v = checkBoth(freedCompletely, k);
    expect(v?.message).toBe('pfn 0x80C10 is still owned by buffer 0, which is gone (leak)');
    expect(v?.pfns).toEqual([0x80c10]);
  });

  it('a page freed twice, seen by the incremental form from the pages the op touched', () => {
    const k = fresh([uncachedCma(64 * KiB)]);
    expect(checkBoth(freedCompletely, k)).toBeNull();
    k.apply({ op: 'purge' });
    k.mm.pages.noteDoubleFree(LOW);
    expect(checkBoth(freedCompletely, k)?.message).toBe('pfn 0x80064 was freed 2 times');
  });

  it('at quiescence the allocators must equal their boot state: a kernel page never given back', () => {
    const k = fresh([uncachedCma(64 * KiB)]);
    const low = k.mm.allocPages(0, false, Owner.KERNEL, 0);
    // a live buffer: not quiescent, nothing to compare
    expect(checkBoth(freedCompletely, k)).toBeNull();
    k.apply(free(0));
    expect(k.ion.quiescent()).toBe(true);
    expect(checkBoth(freedCompletely, k)).toEqual({
      invariant: 'freed-completely',
      message: `at quiescence normalFree is ${k.boot.normalFree - 1} pages, ${k.boot.normalFree} at boot`,
      pfns: [],
      mappings: [],
    });
    k.mm.freePages(low, 0);
    k.mm.allocPages(0, true, Owner.KERNEL, 0);
    expect(checkBoth(freedCompletely, k)?.message).toBe(
      `at quiescence highFree is ${k.boot.highFree - 1} pages, ${k.boot.highFree} at boot`,
    );
  });

  it('a driver area left live is not quiescence', () => {
    const k = boot('tiny', 'cma-direct-remap');
    k.apply({ op: 'driver-vmap', pages: 4 });
    const freeNow = k.mm.normal.freePagesCount + (k.mm.highmem?.freePagesCount ?? 0);
    expect(freeNow).toBe(k.boot.normalFree + k.boot.highFree - 4);
    expect(checkBoth(freedCompletely, k)).toBeNull();
    k.apply({ op: 'driver-vunmap', area: 0 });
    expect(checkBoth(freedCompletely, k)).toBeNull();
  });
});
