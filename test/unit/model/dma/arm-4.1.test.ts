/**
 * The 4.1 ARM DMA layer (src/model/dma/arm-4.1.ts): 3.18's plus DMA_ATTR_NO_KERNEL_MAPPING without
 * an IOMMU (DMA41-1..3). With the attribute the CMA path allocates and zeroes but makes no kernel
 * mapping: no highmem remap (no window), no lowmem PTE flip (the linear map stays WB, B17), a page
 * cookie instead of an address; the free skips the teardown. Without it, 3.18's behaviour.
 */
import { describe, expect, it } from 'vitest';
import { ArmDma318, type DmaDevice } from '../../../../src/model/dma/arm-3.18.ts';
import { ArmDma41 } from '../../../../src/model/dma/arm-4.1.ts';
import { MemType } from '../../../../src/model/types.ts';
import { boot, MiB } from '../../../helpers/kernel.ts';

const dev: DmaDevice = { name: 'test', coherent: false, hasCma: true };
const NKM = { noKernelMapping: true };

describe('ArmDma41 with DMA_ATTR_NO_KERNEL_MAPPING (DMA41-1, DMA41-2)', () => {
  it('highmem CMA: pages allocated, no remap, cookie 0: the window is untouched', () => {
    const k = boot('arm32-1g,carveout=0', 'cma-direct');
    const used = k.mm.vmalloc.usedPages;
    const a = new ArmDma41(true).dmaAllocAttrs(k.mm, dev, MiB, true, NKM, 7)!;
    expect(a).toMatchObject({ path: 'cma', cpuAddr: 0, remap: null, linearFlipped: false, count: 256 });
    expect(k.mm.pages.pfnOf(a.page)).toBe(0xb0100); // GOLD-12's first buffer
    expect(k.mm.vmalloc.usedPages).toBe(used);
    // the handle still gives the sg table (DMA318-11)
    expect([...new ArmDma41(true).dmaGetSgtable(a)].slice(0, 2)).toEqual([a.page, a.page + 1]);
  });

  it('lowmem CMA: the linear PTEs stay WB (the seed alias); the free leaves them so and releases the pages', () => {
    const k = boot('arm32-1g-cma512,carveout=0', 'cma-direct');
    const dma = new ArmDma41(true);
    const used = k.mm.cma!.usedPages;
    const a = dma.dmaAllocAttrs(k.mm, dev, MiB, true, NKM, 7)!;
    expect(a.cpuAddr).toBe(0);
    expect(k.mm.pages.linearType[a.page]).toBe(MemType.WB);
    expect(k.mm.pages.typeChanges[a.page]).toBe(0);
    expect(k.mm.cma!.usedPages - used).toBe(256);
    dma.dmaFreeAttrs(k.mm, dev, a);
    expect(k.mm.pages.linearType[a.page]).toBe(MemType.WB);
    expect(k.mm.cma!.usedPages).toBe(used);
  });

  it('without the attribute it is 3.18: lowmem flipped NC at the linear address, WB again after free', () => {
    const run = (dma: ArmDma318) => {
      const k = boot('arm32-1g-cma512,carveout=0', 'cma-direct');
      const a = dma.dmaAllocAttrs(k.mm, dev, MiB, true, {}, 7)!;
      const held = [a.cpuAddr, a.linearFlipped, k.mm.pages.linearType[a.page]];
      dma.dmaFreeAttrs(k.mm, dev, a);
      return [...held, k.mm.pages.linearType[a.page]];
    };
    expect(run(new ArmDma41(true))).toEqual([0xcf900000, true, MemType.NC, MemType.WB]); // GOLD-33
    expect(run(new ArmDma41(true))).toEqual(run(new ArmDma318(true)));
  });

  it('3.18 ignores the attribute (DMA318-12); 4.1 names itself', () => {
    const k = boot('arm32-1g,carveout=0', 'cma-direct');
    const a = new ArmDma318(true).dmaAllocAttrs(k.mm, dev, MiB, true, NKM, 7)!;
    expect(a.cpuAddr).toBe(0xf0041000);
    expect(new ArmDma41(true).version).toBe('4.1');
  });

  it('the remap path (no CMA area) without a vaddr: pages only, no window (DMA41-3)', () => {
    const k = boot('arm32-1g,cma=0,carveout=0', 'cma-direct');
    const used = k.mm.vmalloc.usedPages;
    const a = new ArmDma41(true).dmaAllocAttrs(k.mm, { ...dev, hasCma: false }, 64 * 1024, true, NKM, 1)!;
    expect(a).toMatchObject({ path: 'remap', cpuAddr: 0, remap: null, count: 16 });
    expect(k.mm.vmalloc.usedPages).toBe(used);
  });
});
