/**
 * The ARM dma_alloc_coherent layer of 3.18 (arch/arm/mm/dma-mapping.c, DMA318-1..12): the
 * __dma_alloc decision tree, the CMA path that always makes a kernel mapping, the remap path, the
 * atomic pool and the free path that decides by the device's CMA area.
 */

import { type Mm, pageRange, VM_TAG } from '../mm.ts';
import type { Mapping } from '../mmu.ts';
import { Owner } from '../pages.ts';
import { getOrder, MemType, PAGE_SIZE, pagesOf } from '../types.ts';

export interface DmaDevice {
  readonly name: string;
  /** arm_coherent_dma_ops (is_coherent). */
  readonly coherent: boolean;
  /** dev_get_cma_area(dev) != NULL: the default area (CMA-8). */
  readonly hasCma: boolean;
}

export interface DmaAttrs {
  readonly writeCombine?: boolean;
  /** DMA_ATTR_NO_KERNEL_MAPPING: ignored by 3.18 without an IOMMU (DMA318-12). */
  readonly noKernelMapping?: boolean;
}

/** What dma_alloc_attrs hands back: the CPU address (or cookie) and the bus handle. */
export interface DmaAllocation {
  /** First page index; the bus handle is its physical address (pfn_to_dma). */
  readonly page: number;
  readonly count: number;
  /** CPU address, or 0 for a cookie (4.1 NO_KERNEL_MAPPING). */
  readonly cpuAddr: number;
  readonly path: 'cma' | 'remap' | 'simple' | 'pool';
  /** The NC vmalloc remap, if any (highmem CMA or the remap path). */
  readonly remap: Mapping | null;
  /** Lowmem CMA whose linear PTEs were flipped to the DMA type. */
  readonly linearFlipped: boolean;
  readonly attrs: DmaAttrs;
  readonly type: MemType;
}

export interface DmaLayer {
  readonly version: string;
  getDmaPgprot(attrs: DmaAttrs): MemType;
  allocFromContiguous(
    mm: Mm,
    bytes: number,
    type: MemType,
    attrs: DmaAttrs,
    owner: number,
    what: string,
  ): DmaAllocation | null;
  dmaAllocAttrs(
    mm: Mm,
    dev: DmaDevice,
    size: number,
    canSleep: boolean,
    attrs: DmaAttrs,
    owner: number,
  ): DmaAllocation | null;
  dmaFreeAttrs(mm: Mm, dev: DmaDevice, a: DmaAllocation): void;
  /** arm_dma_mmap(): the user mapping's type, or -ENXIO when pgoff / size do not fit. */
  dmaMmapType(a: DmaAllocation, pgoff: number, pageCount: number): MemType | null;
  /** arm_dma_get_sgtable(): one entry from the handle's page. */
  dmaGetSgtable(a: DmaAllocation): Int32Array;
}

export class ArmDma318 implements DmaLayer {
  readonly version: string = '3.18';

  constructor(protected readonly dmaBufferable: boolean) {}

  /** DMA318-1 __get_dma_pgprot(): WRITE_COMBINE -> NC; else dmacoherent: NC, or SO unbufferable. */
  getDmaPgprot(attrs: DmaAttrs): MemType {
    if (attrs.writeCombine) return MemType.NC;
    return this.dmaBufferable ? MemType.NC : MemType.SO;
  }

  /** 4.1 only: whether a kernel mapping is wanted (DMA41-1); 3.18 always wants one (DMA318-12). */
  protected wantVaddr(_attrs: DmaAttrs): boolean {
    return true;
  }

  // DMA318-2/3 arm_dma_alloc() -> __dma_alloc(): first match wins, no fallback from CMA
  dmaAllocAttrs(mm: Mm, dev: DmaDevice, size: number, canSleep: boolean, attrs: DmaAttrs, owner: number) {
    mm.enter('dmaAllocAttrs');
    const type = this.getDmaPgprot(attrs);
    const bytes = pagesOf(size) * PAGE_SIZE;
    if (bytes === 0) return null;
    if (dev.coherent) return this.allocSimpleBuffer(mm, bytes, owner, attrs);
    if (!canSleep) return null; // DMA318-10 atomic pool: ION always sleeps; not modelled beyond boot
    if (!dev.hasCma) return this.allocRemapBuffer(mm, bytes, type, attrs, owner);
    return this.allocFromContiguous(mm, bytes, type, attrs, owner, 'buffer');
  }

  /** DMA318-4 __dma_clear_buffer(): zero through a cacheable alias, then flush. */
  protected dmaClearBuffer(mm: Mm, page: number, count: number): void {
    mm.enter('dmaClearBuffer');
    if (mm.isHighmem(page)) mm.kmapAtomic(pageRange(page, count), 'kmap_atomic (__dma_clear_buffer)');
    // lowmem: memset through the linear map (WB), already live
    mm.zeroPages({ start: page, count });
  }

  /** DMA318-4..6 __alloc_from_contiguous(). */
  allocFromContiguous(mm: Mm, bytes: number, type: MemType, attrs: DmaAttrs, owner: number, what: string) {
    mm.enter('allocFromContiguous');
    const count = bytes / PAGE_SIZE;
    // CMA-8 dma_alloc_from_contiguous(): align capped at CONFIG_CMA_ALIGNMENT
    mm.enter('dmaAllocFromContiguous');
    const align = Math.min(getOrder(bytes), mm.profile.cmaAlignment);
    const ownerKind = what === 'atomic pool' ? Owner.ATOMIC_POOL : Owner.BUFFER;
    const page = mm.cmaAlloc(count, align, ownerKind, owner);
    if (page < 0) return null;
    this.dmaClearBuffer(mm, page, count);
    const label = `${what} ${what === 'buffer' ? owner : ''} DMA remap`.replace('  ', ' ');
    if (!this.wantVaddr(attrs)) return this.result(page, count, 0, 'cma', null, false, attrs, type); // DMA41-2: no remap, no flip
    if (mm.isHighmem(page)) {
      // DMA318-5 dma_common_contiguous_remap(): an NC area of size + guard for the buffer's life
      mm.enter('dmaAllocRemap');
      const addr = mm.getVmArea(bytes, what === 'buffer' ? VM_TAG.ION_MAP : VM_TAG.ATOMIC_POOL);
      if (addr === 0) {
        mm.enter('dmaReleaseFromContiguous');
        mm.cmaRelease(page, count);
        return null;
      }
      const m = mm.mapVmArea(addr, pageRange(page, count), type, label, what === 'buffer' ? owner : -1);
      return this.result(page, count, addr, 'cma', m, false, attrs, type);
    }
    // DMA318-6 __dma_remap(): the linear PTEs become the DMA type; no window
    mm.dmaRemap(page, count, type, label);
    return this.result(page, count, mm.linearAddr(page), 'cma', null, true, attrs, type);
  }

  /** DMA318-7 (c) __alloc_remap_buffer() + DMA318-5 __dma_alloc_remap(): buddy pages + an NC remap; lowmem keeps its WB linear map. */
  protected allocRemapBuffer(mm: Mm, bytes: number, type: MemType, attrs: DmaAttrs, owner: number) {
    mm.enter('allocRemapBuffer');
    const count = bytes / PAGE_SIZE;
    // DMA318-7 ION's GFP_HIGHUSER | __GFP_ZERO: highmem first; a highmem page has no linear alias
    const page = this.dmaAllocBuffer(mm, bytes, owner, true);
    if (page < 0) return null;
    if (!this.wantVaddr(attrs)) return this.result(page, count, 0, 'remap', null, false, attrs, type);
    // DMA318-5 __dma_alloc_remap(): an NC area of size + guard
    mm.enter('dmaAllocRemap');
    const addr = mm.getVmArea(bytes, VM_TAG.ION_MAP);
    if (addr === 0) {
      mm.freePagesEach({ start: page, count });
      return null;
    }
    const m = mm.mapVmArea(addr, pageRange(page, count), type, `buffer ${owner} DMA remap`, owner);
    return this.result(page, count, addr, 'remap', m, false, attrs, type);
  }

  /** DMA318-7 (a) __alloc_simple_buffer(): lowmem buddy pages, linear (WB) address. */
  protected allocSimpleBuffer(mm: Mm, bytes: number, owner: number, attrs: DmaAttrs) {
    mm.enter('allocSimpleBuffer');
    // DMA318-7 (a): reached only by coherent devices, which no design's heap uses; lowmem [A]
    const page = this.dmaAllocBuffer(mm, bytes, owner, false);
    if (page < 0) return null;
    return this.result(
      page,
      bytes / PAGE_SIZE,
      mm.linearAddr(page),
      'simple',
      null,
      false,
      attrs,
      MemType.WB,
    );
  }

  /** DMA318-7 __dma_alloc_buffer(): 2^get_order(size) buddy pages, split, tail freed, zeroed. */
  protected dmaAllocBuffer(mm: Mm, bytes: number, owner: number, highmem: boolean): number {
    mm.enter('dmaAllocBuffer');
    const count = bytes / PAGE_SIZE;
    const order = getOrder(bytes);
    const page = mm.allocPages(order, highmem, Owner.BUFFER, owner);
    if (page < 0) return -1;
    mm.splitAndTrim(page, order, count);
    this.dmaClearBuffer(mm, page, count);
    return page;
  }

  protected result(
    page: number,
    count: number,
    cpuAddr: number,
    path: DmaAllocation['path'],
    remap: Mapping | null,
    linearFlipped: boolean,
    attrs: DmaAttrs,
    type: MemType,
  ): DmaAllocation {
    return { page, count, cpuAddr, path, remap, linearFlipped, attrs, type };
  }

  /** DMA318-8 __arm_dma_free(): decided by the device, not by where the page came from. */
  dmaFreeAttrs(mm: Mm, dev: DmaDevice, a: DmaAllocation): void {
    mm.enter('dmaFreeAttrs');
    if (dev.coherent || a.path === 'simple') {
      mm.freePagesEach({ start: a.page, count: a.count });
      return;
    }
    if (!dev.hasCma) {
      // DMA318-8 __dma_free_remap() -> dma_common_free_remap(), then __dma_free_buffer()
      if (a.remap) this.dmaCommonFreeRemap(mm, a);
      mm.freePagesEach({ start: a.page, count: a.count });
      return;
    }
    // DMA318-8 __free_from_contiguous()
    mm.enter('freeFromContiguous');
    if (mm.isHighmem(a.page)) {
      if (a.cpuAddr !== 0) this.dmaCommonFreeRemap(mm, a);
    } else if (a.cpuAddr !== 0 && a.linearFlipped) {
      mm.dmaRemap(a.page, a.count, MemType.WB, 'linear map restore (__dma_remap PAGE_KERNEL)');
    }
    mm.enter('dmaReleaseFromContiguous');
    mm.cmaRelease(a.page, a.count); // result ignored (DMA318-8)
  }

  /**
   * DMA318-8 dma_common_free_remap() (drivers/base/dma-mapping.c, 3.18): WARN and return early if
   * the area is not ours; else unmap_kernel_range() (PTEs cleared, TLB flushed: no stale alias)
   * then vunmap(), which leaves the area lazily freed, holding window space until a purge.
   */
  protected dmaCommonFreeRemap(mm: Mm, a: DmaAllocation): void {
    mm.enter('dmaCommonFreeRemap');
    const m = mm.mmu.findVm(a.cpuAddr);
    if (m?.state !== 'live') {
      mm.printk('WARNING: trying to free invalid coherent area');
      return;
    }
    mm.unmapKernelRange(a.cpuAddr);
    mm.vunmap(a.cpuAddr);
  }

  // DMA318-11 arm_dma_mmap(): the VMA gets the DMA type; -ENXIO if pgoff/size do not fit
  dmaMmapType(a: DmaAllocation, pgoff: number, pageCount: number): MemType | null {
    if (pgoff >= a.count || pageCount > a.count - pgoff) return null;
    return this.getDmaPgprot(a.attrs);
  }

  // DMA318-11 arm_dma_get_sgtable(): one entry from the handle (right for highmem)
  dmaGetSgtable(a: DmaAllocation): Int32Array {
    return pageRange(a.page, a.count);
  }
}
