/**
 * The 6.1 DMA layer without an IOMMU (src/model/dma/arm-6.1.ts), as the oracle's logs show it
 * (docs/oracle.md): without NO_KERNEL_MAPPING, ARM's __dma_alloc as in 4.1 (CMA, no fallback,
 * highmem remapped with a guard page, lowmem PTEs flipped); with it, dma_direct_alloc_no_mapping:
 * CMA for more than one page, then the buddy allocator in lowmem; no remap, no PTE change.
 */
import { describe, expect, it } from 'vitest';
import type { DmaDevice } from '../../../../src/model/dma/arm-3.18.ts';
import { ArmDma61 } from '../../../../src/model/dma/arm-6.1.ts';
import { MemType } from '../../../../src/model/types.ts';
import { boot, MiB } from '../../../helpers/kernel.ts';

const dev: DmaDevice = { name: 'dmaprobe', coherent: false, hasCma: true };
const NKM = { noKernelMapping: true };
const ORACLE = 'qemu-vexpress-a15,kernel=6.1,flavour=armmp,vmalloc=240M';

describe('ArmDma61', () => {
  it('without NO_KERNEL_MAPPING: highmem CMA remapped into the window with a guard page (case a)', () => {
    const k = boot(`${ORACLE},cma=256M`);
    const used = k.mm.vmalloc.usedPages;
    const a = new ArmDma61(true).dmaAllocAttrs(k.mm, dev, MiB, true, {}, 0)!;
    expect(a.path).toBe('cma');
    expect(k.mm.layout.ramBase + a.page * 4096).toBe(0xb0100000);
    expect(a.remap).not.toBeNull();
    expect(k.mm.vmalloc.usedPages - used).toBe(257);
  });

  it('with NO_KERNEL_MAPPING: CMA first, no window, the linear map untouched (case b: 0x90100000 stays WB)', () => {
    const k = boot(`${ORACLE},cma=512M`);
    const a = new ArmDma61(true).dmaAllocAttrs(k.mm, dev, MiB, true, NKM, 0)!;
    expect(a).toMatchObject({ path: 'cma', cpuAddr: 0, remap: null, linearFlipped: false, count: 256 });
    expect(k.mm.layout.ramBase + a.page * 4096).toBe(0x90100000);
    expect(k.mm.pages.linearType[a.page]).toBe(MemType.WB);
    expect(k.mm.vmalloc.usedPages).toBe(0);
  });

  it('with NO_KERNEL_MAPPING, a single page skips CMA (dma_alloc_contiguous: more than a page only)', () => {
    const k = boot(`${ORACLE},cma=512M`);
    const a = new ArmDma61(true).dmaAllocAttrs(k.mm, dev, 4096, true, NKM, 0)!;
    expect(a.path).toBe('simple');
    expect(k.mm.cma!.contains(a.page)).toBe(false);
    expect(k.mm.isHighmem(a.page)).toBe(false);
  });

  it('with NO_KERNEL_MAPPING, when CMA is exhausted: the cma_alloc line, then buddy pages in lowmem', () => {
    const k = boot(`${ORACLE},cma=256M`);
    const dma = new ArmDma61(true);
    let a = dma.dmaAllocAttrs(k.mm, dev, MiB, true, NKM, 0)!;
    let n = 0;
    while (a.path === 'cma') {
      n++;
      k.mm.beginOp();
      a = dma.dmaAllocAttrs(k.mm, dev, MiB, true, NKM, n)!;
    }
    // 65,536 CMA pages less the 64-page pool: 255 one-MiB buffers at 256-page alignment
    expect(n).toBe(255);
    expect(k.mm.trace.log).toContain('cma: cma_alloc: reserved: alloc failed, req-size: 256 pages, ret: -12');
    expect(a.path).toBe('simple');
    expect(a.count).toBe(256);
    expect(k.mm.cma!.contains(a.page) || k.mm.isHighmem(a.page)).toBe(false);
  });

  it('without NO_KERNEL_MAPPING there is no fallback when CMA is exhausted (NULL)', () => {
    const k = boot(`${ORACLE},cma=512M`);
    const dma = new ArmDma61(true);
    let n = 0;
    while (dma.dmaAllocAttrs(k.mm, dev, MiB, true, {}, n)) n++;
    expect(n).toBe(511); // docs/oracle.md case b
    expect(dma.version).toBe('6.1');
  });
});
