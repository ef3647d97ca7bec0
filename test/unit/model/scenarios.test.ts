/** Golden scenarios of the ARM DMA layer, ION and the designs (issue 4), named after what they show. */
import { describe, expect, it } from 'vitest';
import { VM_TAG } from '../../../src/model/mm.ts';
import { MemType } from '../../../src/model/types.ts';
import { boot, MiB, uncachedCma } from '../../helpers/kernel.ts';

/**
 * The golden numbers' board (GOLD-9: no other window users): without the carveout heap, whose
 * creation zeroing leaves 4,096 lazy window pages until a purge (HEAP-CARVEOUT-1, ION-15).
 */
const GOLD_1G = 'arm32-1g,carveout=0';
const GOLD_CMA512 = 'arm32-1g-cma512,carveout=0';

describe('arm32-1g, legacy-3.18 (CMA in highmem)', () => {
  it('GOLD-10/12: one uncached 1 MiB CMA alloc holds 257 vmalloc pages until free, then until purge', () => {
    const k = boot(GOLD_1G, 'legacy-3.18');
    const r = k.apply(uncachedCma());
    expect(r.ok).toBe(true);
    expect(r.callPath.join(' > ')).toContain(
      'ionAlloc > ionBufferCreate > ionCmaAllocate > dmaAllocAttrs > allocFromContiguous > dmaAllocFromContiguous > cmaAlloc',
    );
    expect(r.callPath).toContain('dmaAllocRemap');
    const buf = k.ion.handles[0]!.buffer;
    expect(buf.pages[0]! + k.mm.pages.basePfn).toBe(0xb0100); // GOLD-12: bit 256
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(257);
    expect(k.mm.mmu.findVm(0xf0041000)?.type).toBe(MemType.NC);
    k.apply({ op: 'free', client: 1, handle: 0 });
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(0);
    expect(k.mm.vmalloc.usedPages).toBe(65 + 257); // lazy until purge
    k.apply({ op: 'purge' });
    expect(k.mm.vmalloc.usedPages).toBe(65);
  });

  it('HEAP-CMA-1: a cached CMA alloc fails with -EINVAL, and so does align 8 KiB', () => {
    const k = boot('arm32-1g', 'legacy-3.18');
    expect(k.apply({ op: 'alloc', client: 1, heap: 'cma', len: MiB, cached: true })).toMatchObject({
      ok: false,
      errno: 22,
    });
    expect(k.apply({ op: 'alloc', client: 1, heap: 'cma', len: MiB, align: 8192 })).toMatchObject({
      ok: false,
      errno: 22,
    });
    expect(k.apply({ op: 'alloc', client: 1, heap: 'cma', len: MiB, align: 4096 }).ok).toBe(true);
  });

  it('GOLD-13: uncached 1 MiB allocs succeed 238 times; the 239th fails with -1 (EPERM) while CMA has room', () => {
    const k = boot('arm32-1g', 'legacy-3.18');
    let n = 0;
    for (;;) {
      const r = k.apply(uncachedCma());
      if (!r.ok) {
        expect(r.errno).toBe(1); // B11
        expect(r.log[0]).toBe(
          'vmap allocation for size 1052672 failed: use vmalloc=<size> to increase size.',
        );
        break;
      }
      n++;
    }
    expect(n).toBe(238);
    expect(k.mm.cma!.usedPages).toBe(60_992);
    expect(k.mm.cma!.count - k.mm.cma!.usedPages).toBeGreaterThan(256);
  });

  it('GOLD-14: with cma-direct the same sequence succeeds 255 times and fails when CMA is full (-ENOMEM)', () => {
    for (const d of ['cma-direct', 'cma-direct-remap', 'no-kernel-mapping']) {
      const k = boot(GOLD_1G, d);
      let n = 0;
      let last = k.apply(uncachedCma());
      while (last.ok) {
        n++;
        last = k.apply(uncachedCma());
      }
      expect(n, d).toBe(255);
      expect(last.errno, d).toBe(d === 'no-kernel-mapping' ? 1 : 12);
      // cma-direct-remap zeroes highmem through vm_map_ram of the buffer's type: vmap-block space
      // only (ION-15, VMALLOC-7), no area held per buffer
      const held = d === 'cma-direct-remap' ? k.mm.liveVmPagesOutsideBlocks() : k.mm.vmalloc.usedPages;
      expect(held, d).toBe(65);
    }
  });

  it('GOLD-20 (B9): the legacy sg table points at pfn 0xB0041, not the buffer at 0xB0100', () => {
    const k = boot('arm32-1g', 'legacy-3.18');
    k.apply(uncachedCma());
    const buf = k.ion.handles[0]!.buffer;
    expect(buf.sgTable![0]! + k.mm.pages.basePfn).toBe(0xb0041);
    expect(buf.pages[0]! + k.mm.pages.basePfn).toBe(0xb0100);
  });
});

describe('arm32-1g-cma512 (CMA in lowmem)', () => {
  it('GOLD-33: legacy lowmem CMA buffer: linear PTEs become NC, WB again after free; no vmalloc used', () => {
    const k = boot(GOLD_CMA512, 'legacy-3.18');
    k.apply(uncachedCma());
    const buf = k.ion.handles[0]!.buffer;
    expect(buf.pages[0]! + k.mm.pages.basePfn).toBe(0x8f900);
    for (const p of buf.pages) expect(k.mm.pages.linearType[p]).toBe(MemType.NC);
    expect(k.mm.vmalloc.usedPages).toBe(0);
    const pages = buf.pages;
    k.apply({ op: 'free', client: 1, handle: 0 });
    for (const p of pages) expect(k.mm.pages.linearType[p]).toBe(MemType.WB);
    expect(k.mm.vmalloc.usedPages).toBe(0);
  });

  const mmapSeq = [uncachedCma(), { op: 'share', client: 1, handle: 0 }, { op: 'mmap', fd: 0 }] as const;

  it('GOLD-35: no-kernel-mapping and cma-direct leave the linear map WB while the user mapping is NC', () => {
    for (const d of ['no-kernel-mapping', 'cma-direct']) {
      const k = boot('arm32-1g-cma512', d);
      for (const op of mmapSeq) expect(k.apply(op).ok).toBe(true);
      const buf = k.ion.handles[0]!.buffer;
      for (const p of buf.pages) {
        expect(k.mm.pages.linearType[p], d).toBe(MemType.WB);
        expect(k.mm.pages.live[MemType.NC]![p], d).toBe(1);
      }
    }
  });

  it('cma-direct-remap flips the linear map to NC for the buffer and restores WB after free', () => {
    const k = boot('arm32-1g-cma512', 'cma-direct-remap');
    for (const op of mmapSeq) expect(k.apply(op).ok).toBe(true);
    const buf = k.ion.handles[0]!.buffer;
    for (const p of buf.pages) {
      expect(k.mm.pages.linearType[p]).toBe(MemType.NC);
      expect(k.mm.pages.live[MemType.WB]![p]).toBe(0);
    }
    for (const op of [
      { op: 'munmap', vma: 0 },
      { op: 'close', fd: 0 },
      { op: 'free', client: 1, handle: 0 },
    ] as const)
      expect(k.apply(op).ok).toBe(true);
    for (const p of buf.pages) expect(k.mm.pages.linearType[p]).toBe(MemType.WB);
  });

  it('GOLD-34: 511 one-MiB buffers fit on every design', () => {
    for (const d of ['legacy-3.18', 'cma-direct']) {
      const k = boot('arm32-1g-cma512', d);
      let n = 0;
      while (k.apply(uncachedCma()).ok) n++;
      expect(n, d).toBe(511);
    }
  });
});

describe("the seed's product", () => {
  it('a driver vmapping many discontiguous pages runs out of vmalloc beside legacy CMA buffers, not beside cma-direct', () => {
    const run = (design: string) => {
      const k = boot('arm32-1g', design);
      for (let i = 0; i < 200; i++) expect(k.apply(uncachedCma()).ok).toBe(true);
      let mapped = 0;
      for (let i = 0; i < 40; i++) if (k.apply({ op: 'driver-vmap', pages: 1024 }).ok) mapped++;
      return mapped;
    };
    const legacy = run('legacy-3.18');
    const direct = run('cma-direct');
    expect(direct).toBe(40);
    // 61,375 - 200 x 257 = 9,975 pages left: 9 areas of 1,025 pages
    expect(legacy).toBe(9);
  });
});

describe('ION core', () => {
  it('ops on ids that do not exist fail with the kernel errno and change nothing', () => {
    const k = boot('arm32-1g', 'cma-direct');
    const h0 = k.hash();
    expect(k.apply({ op: 'free', client: 1, handle: 7 })).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply({ op: 'close', fd: 3 })).toMatchObject({ ok: false, errno: 9 });
    expect(k.apply({ op: 'munmap', vma: 0 })).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply({ op: 'driver-vunmap', area: 2 })).toMatchObject({ ok: false, errno: 22 });
    expect(k.hash()).toBe(h0);
  });

  it('import reuses the client handle; share makes a new dma-buf each time; the buffer lives while any ref does', () => {
    const k = boot('arm32-1g', 'cma-direct');
    k.apply(uncachedCma());
    expect(k.apply({ op: 'share', client: 1, handle: 0 }).value).toBe(0);
    expect(k.apply({ op: 'share', client: 1, handle: 0 }).value).toBe(1);
    expect(k.apply({ op: 'import', client: 1, fd: 0 }).value).toBe(0);
    expect(k.apply({ op: 'import', client: 2, fd: 1 }).value).toBe(1);
    const buf = k.ion.handles[0]!.buffer;
    expect(buf.ref).toBe(4); // 2 handles + 2 dma-bufs
    k.apply({ op: 'client-exit', client: 1 });
    k.apply({ op: 'client-exit', client: 2 });
    k.apply({ op: 'close', fd: 0 });
    expect(buf.state).toBe('live');
    k.apply({ op: 'close', fd: 1 });
    expect(buf.state).toBe('destroyed');
  });

  it('malformed ops are rejected before anything changes', () => {
    const k = boot('tiny', 'cma-direct');
    const h0 = k.hash();
    expect(() => k.apply({ op: 'alloc', client: 1, heap: 'cma', len: -5 })).toThrow(/len/);
    expect(() => k.apply({ op: 'teleport' })).toThrow(/unknown op/);
    expect(() => k.apply({ op: 'free', client: 1 })).toThrow(/needs field 'handle'/);
    expect(k.hash()).toBe(h0);
    expect(k.opsApplied).toBe(0);
  });
});
