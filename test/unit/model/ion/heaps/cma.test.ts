/**
 * The ION CMA heaps (src/model/ion/heaps/cma.ts): Cma318Heap (3.18's ion_cma_heap.c on
 * dma_alloc_coherent, HEAP-CMA-1/2, optionally with NO_KERNEL_MAPPING on the 4.1 layer) and
 * CmaDirectHeap (cma_alloc directly, HEAP-CMA-4 as fixed; B12 and B15 as options).
 */
import { describe, expect, it } from 'vitest';
import { Cma318Heap, CmaAreaHeap, type CmaDirectHeap } from '../../../../../src/model/ion/heaps/cma.ts';
import { MemType } from '../../../../../src/model/types.ts';
import { alloc, boot, KiB, MiB } from '../../../../helpers/kernel.ts';

const cmaHeap = (k: ReturnType<typeof boot>) => k.ion.heap('cma')!;

describe('every CMA heap: one area, contiguous, not deferred, stateless', () => {
  it('the default CMA area, 2^min(get_order, CONFIG_CMA_ALIGNMENT) pages alignment (GOLD-11), clone is itself', () => {
    for (const d of [
      'legacy-3.18',
      'no-kernel-mapping',
      'cma-direct',
      'cma-direct-remap',
      'dmabuf-heap-cma',
    ]) {
      const k = boot('arm32-1g', d);
      const h = cmaHeap(k);
      expect(h, d).toBeInstanceOf(CmaAreaHeap);
      expect([h.name, h.id, h.deferFree, h.contiguous], d).toEqual(['cma', 4, false, true]);
      expect(h.area({ mm: k.mm, dma: k.dma }), d).toEqual({ start: k.mm.cma!.basePage, pageCount: 65_536 });
      expect(h.clone(), d).toBe(h);
      const ctx = { mm: k.mm, dma: k.dma };
      expect([h.alignPages(256, 0, ctx), h.alignPages(25, 0, ctx), h.alignPages(4096, 0, ctx)], d).toEqual([
        256, 32, 256,
      ]);
    }
  });

  it('no CMA area: no area, and allocation fails', () => {
    const k = boot('tiny,cma=0', 'cma-direct');
    expect(cmaHeap(k).area({ mm: k.mm, dma: k.dma })).toBeNull();
    expect(k.apply(alloc(4 * KiB))).toMatchObject({ ok: false, errno: 12 });
  });
});

describe('Cma318Heap (legacy-3.18)', () => {
  it('HEAP-CMA-1: cached -> -EINVAL; align > 4 KiB -> -EINVAL; a failed dma_alloc_coherent -> -1 (B11)', () => {
    const k = boot('tiny', 'legacy-3.18');
    expect(k.apply(alloc(4 * KiB, { cached: true }))).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply(alloc(4 * KiB, { align: 8192 }))).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply(alloc(8 * MiB))).toMatchObject({ ok: false, errno: 1 });
  });

  it('HEAP-CMA-2: map_kernel returns the allocation-time cpu_addr and makes no mapping; mmap is NC via dma_mmap_coherent', () => {
    const k = boot('tiny', 'legacy-3.18');
    k.apply(alloc(16 * KiB));
    const b = k.ion.buffers.get(0)!;
    const ctx = { mm: k.mm, dma: k.dma };
    const r = cmaHeap(k).mapKernel(ctx, b)!;
    expect(r).toEqual({ ok: true, value: { vaddr: (b.priv as { cpuAddr: number }).cpuAddr, mapping: null } });
    k.apply({ op: 'share', client: 1, handle: 0 });
    const m = k.apply({ op: 'mmap', fd: 0, pgoff: 1, pages: 2 });
    expect(m.callPath).toContain('dmaMmapCoherent');
    expect(k.ion.vmas[0]!.mapping!.type).toBe(MemType.NC);
    expect(cmaHeap(k).mapUser(ctx, b, 4, 1)).toEqual({ ok: false, errno: 6 }); // DMA318-11 -ENXIO
  });

  it('B9: the sg table from virt_to_page(cpu_addr) for a highmem buffer; from the handle with NO_KERNEL_MAPPING', () => {
    const legacy = boot('tiny', 'legacy-3.18');
    legacy.apply(alloc(16 * KiB));
    const lb = legacy.ion.buffers.get(0)!;
    expect(lb.sgTable![0]).not.toBe(lb.pages[0]);
    const a = lb.priv as { cpuAddr: number };
    expect(lb.sgTable![0]).toBe((a.cpuAddr - legacy.mm.layout.pageOffset) / 4096);
    const nkm = boot('tiny', 'no-kernel-mapping');
    nkm.apply(alloc(16 * KiB));
    const nb = nkm.ion.buffers.get(0)!;
    expect([...nb.sgTable!]).toEqual([...nb.pages]);
  });

  it('with NO_KERNEL_MAPPING and on-demand maps: no window at alloc, an NC vmap at kmap (ION-14)', () => {
    const k = boot('arm32-1g,carveout=0', 'no-kernel-mapping');
    const used = k.mm.vmalloc.usedPages;
    k.apply(alloc(MiB));
    expect(k.mm.vmalloc.usedPages).toBe(used);
    k.apply({ op: 'kmap', client: 1, handle: 0 });
    const b = k.ion.buffers.get(0)!;
    expect(b.kmapMapping!.type).toBe(MemType.NC);
    expect(k.mm.vmalloc.usedPages - used).toBe(257 + 2);
    k.apply({ op: 'kunmap', client: 1, handle: 0 });
    expect(k.mm.vmalloc.lazyPages).toBe(259);
  });
});

describe('CmaDirectHeap (cma-direct)', () => {
  it('HEAP-CMA-4: cma_alloc(n, min(get_order, 8)), cached accepted, NULL -> -ENOMEM; cma_release(n) on free', () => {
    const k = boot('tiny', 'cma-direct');
    const used = k.mm.cma!.usedPages;
    const r = k.apply(alloc(100_000, { cached: true }));
    expect(r.callPath).toContain('cmaAlloc');
    expect(r.callPath).not.toContain('dmaAllocAttrs');
    const b = k.ion.buffers.get(0)!;
    expect(b.pages.length).toBe(25);
    expect((b.pages[0]! - k.mm.cma!.basePage) % 32).toBe(0); // GOLD-11
    expect(k.mm.cma!.usedPages - used).toBe(25);
    k.apply({ op: 'free', client: 1, handle: 0 });
    expect(k.mm.cma!.usedPages).toBe(used);
    expect(k.apply(alloc(8 * MiB))).toMatchObject({ ok: false, errno: 12 });
  });

  it('zeroes fresh pages: highmem through a kmap_atomic slot (KEEP_LINEAR), old data gone', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(4 * KiB, { cached: true }));
    k.apply({ op: 'share', client: 1, handle: 0 });
    k.apply({ op: 'mmap', fd: 0 });
    k.apply({ op: 'write', vma: 0 });
    const p = k.ion.buffers.get(0)!.pages[0]!;
    expect(k.mm.pages.writer[p]).toBe(1);
    for (const op of [
      { op: 'munmap', vma: 0 },
      { op: 'close', fd: 0 },
      { op: 'free', client: 1, handle: 0 },
    ] as const)
      k.apply(op);
    const r = k.apply(alloc(4 * KiB, { cached: true }));
    expect(k.ion.buffers.get(1)!.pages[0]).toBe(p);
    expect(k.mm.pages.writer[p]).toBe(0);
    expect(r.callPath).toContain('kmapAtomic');
  });

  it('B12 (bytesAsPages): cma_alloc takes len pages, unaligned, not zeroed; allocatedPages says so', () => {
    const k = boot('arm32-1g', 'zoo/b12-bytes-as-pages');
    const r = k.apply(alloc(4 * KiB));
    expect(r.callPath).not.toContain('kmapAtomic');
    const b = k.ion.buffers.get(0)!;
    const h = cmaHeap(k) as CmaDirectHeap;
    expect(h.allocatedPages(b)).toBe(4096);
    expect(h.alignPages(1, 0, { mm: k.mm, dma: k.dma })).toBe(1);
    const used = k.mm.cma!.usedPages;
    k.apply({ op: 'free', client: 1, handle: 0 });
    expect(used - k.mm.cma!.usedPages).toBe(4096); // released with the same count
  });

  it('is not the 3.18 heap: Cma318Heap only in legacy-3.18 and no-kernel-mapping', () => {
    const is318 = (d: string) => cmaHeap(boot('tiny', d)) instanceof Cma318Heap;
    expect(
      ['legacy-3.18', 'no-kernel-mapping', 'cma-direct', 'cma-direct-remap', 'ion-4.12'].map(is318),
    ).toEqual([true, true, false, false, false]);
  });
});
