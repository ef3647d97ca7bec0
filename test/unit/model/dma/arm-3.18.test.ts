/**
 * The 3.18 ARM DMA layer's free and remap paths, as arch/arm/mm/dma-mapping.c and
 * drivers/base/dma-mapping.c (3.18.20 and 3.18.30 trees) do them.
 */
import { describe, expect, it } from 'vitest';
import { VM_TAG } from '../../../../src/model/mm.ts';
import { NO_LINEAR } from '../../../../src/model/pages.ts';
import { MemType } from '../../../../src/model/types.ts';
import { boot, MiB, uncachedCma } from '../../../helpers/kernel.ts';

describe('DMA318-8 dma_common_free_remap(): unmap_kernel_range() then vunmap()', () => {
  it('a freed highmem remap leaves no stale alias, but holds its window until a purge', () => {
    const k = boot('arm32-1g,heaps=cma,debug-highmem=on', 'legacy-3.18');
    k.apply(uncachedCma(MiB));
    const buf = k.ion.handles[0]!.buffer;
    const pages = buf.pages;
    const used = k.mm.vmalloc.usedPages;
    const r = k.apply({ op: 'free', client: 1, handle: 0 });
    expect(r.callPath).toEqual(expect.arrayContaining(['dmaCommonFreeRemap', 'unmapKernelRange', 'vunmap']));
    // PTEs cleared and the TLB flushed: neither live nor stale mappings of the pages remain
    for (const p of [pages[0]!, pages[255]!]) {
      expect(k.mm.mmu.covering(p)).toEqual([]);
      expect(k.mm.pages.typeMask(p, true)).toBe(0);
    }
    // the area is lazily freed: still in the window (VMALLOC-5) until a purge
    expect(k.mm.vmalloc.usedPages).toBe(used);
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(0);
    k.apply({ op: 'purge' });
    expect(k.mm.vmalloc.usedPages).toBe(used - 257);
  });
});

describe('DMA318-7 __alloc_remap_buffer(): no CMA area, pages from alloc_pages(GFP_HIGHUSER | __GFP_ZERO)', () => {
  it('takes highmem first: the page has no linear alias beside the NC remap', () => {
    const k = boot('arm32-1g,cma=0,heaps=cma', 'legacy-3.18');
    expect(k.mm.cma).toBeNull();
    const r = k.apply(uncachedCma(64 * 1024));
    expect(r.callPath).toContain('allocRemapBuffer');
    const buf = k.ion.handles[0]!.buffer;
    for (const p of buf.pages) {
      expect(k.mm.isHighmem(p)).toBe(true);
      expect(k.mm.pages.linearType[p]).toBe(NO_LINEAR);
    }
    expect(k.mm.mmu.findVm(buf.priv ? (buf.priv as { cpuAddr: number }).cpuAddr : 0)?.type).toBe(MemType.NC);
    // and the free goes through dma_common_free_remap too (__dma_free_remap)
    const f = k.apply({ op: 'free', client: 1, handle: 0 });
    expect(f.callPath).toEqual(expect.arrayContaining(['dmaCommonFreeRemap', 'unmapKernelRange']));
    expect(k.mm.pages.typeMask(buf.pages[0]!, true)).toBe(0);
  });
});
