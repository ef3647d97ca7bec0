/**
 * One booted machine (src/model/kernel.ts): boot (layout, atomic pool, ION with the design's
 * declared heaps), apply (the single entry point: an id or an errno per op, malformed ops refused
 * before anything changes), clone (an independent copy) and hash (canonical state).
 */

import { describe, expect, it } from 'vitest';
import { OpError } from '../../../src/errors.ts';
import { DRIVER_VMAP_PAGES_MAX, Kernel } from '../../../src/model/kernel.ts';
import { VM_TAG } from '../../../src/model/mm.ts';
import { Owner } from '../../../src/model/pages.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { MemType } from '../../../src/model/types.ts';
import { alloc, boot, designById, KiB, MiB, uncachedCma } from '../../helpers/kernel.ts';

describe('Kernel.boot', () => {
  it('arm32-1g: the atomic pool is the first CMA allocation, 64 pages at 0xB0000000, remapped NC at 0xF0000000 (GOLD-8)', () => {
    const k = boot('arm32-1g,carveout=0', 'legacy-3.18');
    const pool = k.atomicPool!;
    expect(k.mm.pages.pfnOf(pool.page)).toBe(0xb0000);
    expect(pool.count).toBe(64);
    expect(pool.cpuAddr).toBe(0xf0000000);
    expect(k.mm.mmu.findVm(0xf0000000)?.type).toBe(MemType.NC);
    expect(k.mm.pages.ownerKind[pool.page]).toBe(Owner.ATOMIC_POOL);
    // GOLD-9: 65 window pages used (pool + guard); the boot figures record the quiescent state
    expect(k.mm.vmalloc.usedPages).toBe(65);
    expect(k.boot).toEqual({
      normalFree: k.mm.normal.freePagesCount,
      highFree: k.mm.highmem!.freePagesCount,
      cmaUsed: 64,
      vmLive: 65,
    });
    expect([k.opsApplied, k.lastOp, k.lastOk, k.clonedFrom]).toEqual([0, null, true, null]);
  });

  it('arm32-1g-cma512: the pool is lowmem CMA, its linear PTEs flipped NC, no window (GOLD-32)', () => {
    const k = boot('arm32-1g-cma512,carveout=0', 'legacy-3.18');
    expect(k.mm.pages.pfnOf(k.atomicPool!.page)).toBe(0x8f800);
    expect(k.atomicPool!.cpuAddr).toBe(0xcf800000);
    expect(k.mm.pages.linearType[k.atomicPool!.page]).toBe(MemType.NC);
    expect(k.mm.vmalloc.usedPages).toBe(0);
  });

  it('without a CMA area the pool is a remapped buddy buffer (DMA318-9)', () => {
    const k = boot('arm32-1g,cma=0,carveout=0', 'legacy-3.18');
    expect(k.mm.cma).toBeNull();
    expect(k.atomicPool!.path).toBe('remap');
    expect(k.mm.vmalloc.usedPages).toBe(65);
  });

  it("ION gets the design's heaps in descending id order, only those the board declares (ION-1)", () => {
    expect(boot('tiny', 'legacy-3.18').ion.heaps.map((h) => h.name)).toEqual([
      'cma',
      'carveout',
      'system-contig',
      'system',
    ]);
    const k = boot('tiny,heaps=cma+system', 'legacy-3.18');
    expect(k.ion.heaps.map((h) => h.name)).toEqual(['cma', 'system']);
    expect(k.apply(alloc(4 * KiB, { heap: 'carveout' }))).toMatchObject({ ok: false, errno: 19 });
  });

  it('the heaps are created at boot: the carveout zeroing (HEAP-CARVEOUT-1) only where the board declares it', () => {
    expect(boot('tiny', 'legacy-3.18').mm.vmalloc.lazyPages).toBe(256); // 1 MiB carveout, NC, lazy
    expect(boot('tiny,heaps=cma', 'legacy-3.18').mm.vmalloc.lazyPages).toBe(0);
  });

  it('a design carrying B5 boots its CMA area with the 3.16/3.17 mask', () => {
    const k = boot('tiny,cma-order-per-bit=1', 'zoo/b5-aligned-mask');
    const ok = boot('tiny,cma-order-per-bit=1', 'cma-direct-remap');
    // order 4 with order_per_bit 1: 3.18 mask 2^(4-1)-1 = 7 bits; B5 2^(4>>1)-1 = 3 bits
    for (const x of [k, ok]) x.apply(alloc(4 * KiB));
    k.apply(alloc(64 * KiB));
    ok.apply(alloc(64 * KiB));
    const off = (x: Kernel) => x.ion.handles[1]!.buffer.pages[0]! - x.mm.cma!.basePage;
    expect(off(ok) % 16).toBe(0);
    expect(off(k) % 16).not.toBe(0);
  });
});

describe('Kernel.apply', () => {
  it('returns the id an op created, or a positive errno; counts every applied op and remembers the last', () => {
    const k = boot('tiny', 'cma-direct');
    const a = k.apply(uncachedCma(4 * KiB));
    expect(a).toMatchObject({ ok: true, value: 0 });
    expect(a.callPath[0]).toBe('ionAlloc');
    const f = k.apply({ op: 'free', client: 1, handle: 5 });
    expect(f).toMatchObject({ ok: false, errno: 22 });
    expect(f.value).toBeUndefined();
    expect(k.opsApplied).toBe(2);
    expect(k.lastOp).toEqual({ op: 'free', client: 1, handle: 5 });
    expect(k.lastOk).toBe(false);
  });

  it('a call path and a log belong to their op only', () => {
    const k = boot('tiny', 'cma-direct');
    const a = k.apply(uncachedCma(4 * KiB));
    const p = k.apply({ op: 'purge' });
    expect(p).toMatchObject({ ok: true, value: 0 });
    expect(p.callPath).not.toContain('ionAlloc');
    expect(a.callPath).toContain('cmaAlloc');
  });

  it('a malformed op throws OpError before anything changes', () => {
    const k = boot('tiny', 'cma-direct');
    const h = k.hash();
    expect(() => k.apply({ op: 'alloc', client: 1, heap: 'cma' })).toThrow(OpError);
    expect(k.opsApplied).toBe(0);
    expect(k.hash()).toBe(h);
  });

  it('kmap and dma-map succeed with 0, not the address or attachment they made', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(uncachedCma(4 * KiB));
    expect(k.apply({ op: 'kmap', client: 1, handle: 0 })).toMatchObject({ ok: true, value: 0 });
    expect(k.ion.handles[0]!.buffer.vaddr).toBeGreaterThan(0);
    k.apply({ op: 'share', client: 1, handle: 0 });
    expect(k.apply({ op: 'dma-map', fd: 0, device: 'gpu' })).toMatchObject({ ok: true, value: 0 });
  });

  it('purge releases every lazy area (VMALLOC-5); shrink returns the pages it gave back (ION-6)', () => {
    const k = boot('tiny', 'legacy-3.18');
    expect(k.mm.vmalloc.lazyPages).toBeGreaterThan(0);
    k.apply({ op: 'purge' });
    expect(k.mm.vmalloc.lazyPages).toBe(0);
    k.apply(alloc(64 * KiB, { heap: 'system' }));
    k.apply({ op: 'free', client: 1, handle: 0 });
    // the uncached buffer waits on the deferred free list (ION-5); the shrinker destroys it
    // SHRINKER_FREE, so its 16 pages go to the buddy allocator, not the pools (ION-6, HEAP-SYS-1)
    expect(k.ion.freeList).toHaveLength(1);
    expect(k.apply({ op: 'shrink' })).toMatchObject({ ok: true, value: 16 });
    expect(k.ion.quiescent()).toBe(true);
  });
});

describe("driver-vmap / driver-vunmap (VMALLOC-6: the seed's other driver)", () => {
  it('n highmem-first pages, owned by the driver, vmapped WB with a guard page; vunmap is lazy and frees the pages', () => {
    const k = boot('arm32-1g,carveout=0', 'cma-direct');
    const free = k.mm.highmem!.freePagesCount;
    const r = k.apply({ op: 'driver-vmap', pages: 1024 });
    expect(r).toMatchObject({ ok: true, value: 0 });
    const area = k.driverAreas[0]!;
    expect(area.pages.length).toBe(1024);
    expect(k.mm.pages.ownerKind[area.pages[0]!]).toBe(Owner.DRIVER);
    expect(k.mm.mmu.findVm(area.vaddr)?.type).toBe(MemType.WB);
    expect(k.mm.vmTagPages[VM_TAG.DRIVER]).toBe(1025);
    expect(k.mm.highmem!.freePagesCount).toBe(free - 1024);
    expect(k.apply({ op: 'driver-vunmap', area: 0 })).toMatchObject({ ok: true, value: 0 });
    expect(k.mm.highmem!.freePagesCount).toBe(free);
    expect(k.mm.vmTagPages[VM_TAG.DRIVER]).toBe(0);
    expect(k.mm.vmalloc.lazyPages).toBe(1025);
    expect(k.apply({ op: 'driver-vunmap', area: 0 })).toMatchObject({ ok: false, errno: 22 });
  });

  it('0 pages or more than the bound is -EINVAL; a failing vmap frees every page (-ENOMEM)', () => {
    const k = boot('tiny', 'cma-direct');
    expect(k.apply({ op: 'driver-vmap', pages: 0 })).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply({ op: 'driver-vmap', pages: DRIVER_VMAP_PAGES_MAX + 1 })).toMatchObject({
      ok: false,
      errno: 22,
    });
    const h = k.hash();
    // 600 pages + guard cannot fit tiny's 2 MiB (512-page) window
    const r = k.apply({ op: 'driver-vmap', pages: 600 });
    expect(r).toMatchObject({ ok: false, errno: 12 });
    expect(r.log.some((l) => l.startsWith('vmap allocation for size 2461696 failed'))).toBe(true);
    expect(k.driverAreas).toHaveLength(0);
    // a failed vmap purged the boot's lazy areas (VMALLOC-4); otherwise nothing changed
    k.apply({ op: 'purge' });
    const again = boot('tiny', 'cma-direct');
    again.apply({ op: 'purge' });
    expect(k.mm.pages.ownerKind).toEqual(again.mm.pages.ownerKind);
    expect(h).not.toBe(k.hash());
  });
});

describe('Kernel.clone and hash', () => {
  it('a clone is independent: ops on it leave the original (and its hash) alone', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(uncachedCma(16 * KiB));
    k.apply({ op: 'share', client: 1, handle: 0 });
    const h = k.hash();
    const c = k.clone();
    expect(c.hash()).toBe(h);
    expect(c.clonedFrom).toEqual({ kernel: k, at: 2 });
    expect(c.apply({ op: 'mmap', fd: 0 }).ok).toBe(true);
    expect(c.apply({ op: 'free', client: 1, handle: 0 }).ok).toBe(true);
    expect(c.apply({ op: 'close', fd: 0 }).ok).toBe(true);
    expect(c.ion.handles[0]!.live).toBe(false);
    expect(k.ion.handles[0]!.live).toBe(true);
    expect(k.ion.vmas).toHaveLength(0);
    expect(k.ion.buffers.get(0)!.ref).toBe(2);
    expect(k.hash()).toBe(h);
    expect(k.opsApplied).toBe(2);
    expect(c.opsApplied).toBe(5);
  });

  it('the link to the source is dropped at the second op after the clone', () => {
    const k = boot('tiny', 'cma-direct');
    const c = k.clone();
    c.apply({ op: 'purge' });
    expect(c.clonedFrom?.kernel).toBe(k);
    c.apply({ op: 'purge' });
    expect(c.clonedFrom).toBeNull();
  });

  it('the same ops on a clone and on the original give the same hash; different ops a different one', () => {
    const ops = [
      uncachedCma(16 * KiB),
      alloc(8 * KiB, { heap: 'system', cached: true }),
      { op: 'kmap', client: 1, handle: 1 } as const,
    ];
    const k = boot('tiny', 'legacy-3.18');
    const c = k.clone();
    for (const op of ops) {
      k.apply(op);
      c.apply(op);
    }
    expect(c.hash()).toBe(k.hash());
    expect(c.ionKey()).toBe(k.ionKey());
    c.apply({ op: 'kunmap', client: 1, handle: 1 });
    expect(c.hash()).not.toBe(k.hash());
  });

  it('the hash is of the state, not the design: equal boots hash alike, a different boot state does not', () => {
    const p = resolveProfile('tiny');
    const h = (id: string) => Kernel.boot(p, designById(id)).hash();
    expect(h('cma-direct')).toBe(h('cma-direct'));
    // legacy-3.18 and cma-direct boot to the same state (same heaps, KEEP_LINEAR carveout zeroing)
    expect(h('cma-direct')).toBe(h('legacy-3.18'));
    // cma-direct-remap does not zero the carveout at creation: no lazy NC areas at boot
    expect(h('cma-direct')).not.toBe(h('cma-direct-remap'));
  });

  it('ionKey names each ION object with its counts', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(uncachedCma(4 * KiB));
    k.apply({ op: 'share', client: 1, handle: 0 });
    const key = k.ionKey();
    expect(key).toContain(`b0:cma:4096:2:1:0:${k.ion.buffers.get(0)!.pages[0]}`);
    expect(key).toContain('h0:1:1:0:true');
    expect(key).toContain('d0:1:true');
    // the explorer's client renaming: only the handle's client changes, and so does the hash
    const renamed = k.ionKey(new Map([[1, 2]]));
    expect(renamed).toBe(key.replace('h0:1:1:0:true', 'h0:2:1:0:true'));
    expect(k.hash(new Map([[1, 2]]))).not.toBe(k.hash());
    expect(k.hash(new Map([[3, 4]]))).toBe(k.hash());
  });

  it('a 1 MiB buffer on the big board clones without sharing its page state', () => {
    const k = boot('arm32-1g', 'legacy-3.18');
    k.apply(uncachedCma(MiB));
    const c = k.clone();
    c.apply({ op: 'free', client: 1, handle: 0 });
    const p = k.ion.handles[0]!.buffer.pages[0]!;
    expect(k.mm.pages.ownerKind[p]).toBe(Owner.BUFFER);
    expect(c.mm.pages.ownerKind[p]).toBe(Owner.CMA_FREE);
  });
});
