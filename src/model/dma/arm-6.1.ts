/**
 * The DMA layer of 6.1 on ARM without an IOMMU, as the oracle logs show it: dma_alloc_attrs goes
 * to dma-direct (dma_ops NULL). Without DMA_ATTR_NO_KERNEL_MAPPING, dma_direct_alloc hands a
 * non-coherent device to ARM's arch_dma_alloc -> __dma_alloc, the 4.1 tree (DMA41-1..3): CMA, no
 * fallback when cma_alloc fails, highmem remapped with a guard page, lowmem PTEs flipped. With
 * NO_KERNEL_MAPPING, dma_direct_alloc_no_mapping: CMA (dma_alloc_contiguous) and, when that fails,
 * the buddy allocator in lowmem; no remap, no PTE change; the struct page pointer is the cookie.
 */
import type { Mm } from '../mm.ts';
import { Owner } from '../pages.ts';
import { getOrder, PAGE_SIZE, pagesOf } from '../types.ts';
import type { DmaAllocation, DmaAttrs, DmaDevice } from './arm-3.18.ts';
import { ArmDma41 } from './arm-4.1.ts';

export class ArmDma61 extends ArmDma41 {
  override readonly version: string = '6.1';

  // kernel/dma/direct.c dma_direct_alloc(): NO_KERNEL_MAPPING first, else arch_dma_alloc (DMA41-1)
  override dmaAllocAttrs(
    mm: Mm,
    dev: DmaDevice,
    size: number,
    canSleep: boolean,
    attrs: DmaAttrs,
    owner: number,
  ): DmaAllocation | null {
    if (attrs.noKernelMapping && !dev.coherent)
      return this.dmaDirectAllocNoMapping(mm, dev, size, attrs, owner);
    return super.dmaAllocAttrs(mm, dev, size, canSleep, attrs, owner);
  }

  /** DMA41-2 in dma-direct: dma_direct_alloc_no_mapping() -> __dma_direct_alloc_pages(): CMA-4, then alloc_pages (lowmem). */
  private dmaDirectAllocNoMapping(
    mm: Mm,
    dev: DmaDevice,
    size: number,
    attrs: DmaAttrs,
    owner: number,
  ): DmaAllocation | null {
    mm.enter('dmaDirectAllocNoMapping');
    const type = this.getDmaPgprot(attrs);
    const count = pagesOf(size);
    if (count === 0) return null;
    // CMA-8 kernel/dma/contiguous.c dma_alloc_contiguous(): the default area only for more than a page
    if (dev.hasCma && count > 1) {
      mm.enter('dmaAllocContiguous');
      const align = Math.min(getOrder(count * PAGE_SIZE), mm.profile.cmaAlignment);
      const page = mm.cmaAlloc(count, align, Owner.BUFFER, owner);
      // DMA41-2: no remap, no PTE flip; the cookie is the struct page *
      if (page >= 0) return this.result(page, count, 0, 'cma', null, false, attrs, type);
    }
    // __dma_direct_alloc_pages(): alloc_pages_node(GFP_KERNEL | GFP_DMA32, get_order(size)), lowmem
    const order = getOrder(count * PAGE_SIZE);
    const page = mm.allocPages(order, false, Owner.BUFFER, owner);
    if (page < 0) return null;
    // the whole 2^order block is the buffer (dma-direct frees it by get_order); held as order-0 pages [A]
    mm.splitAndTrim(page, order, 1 << order);
    return this.result(page, 1 << order, 0, 'simple', null, false, attrs, type);
  }
}
