/**
 * The ARM DMA layer of 4.1: 3.18's plus DMA_ATTR_NO_KERNEL_MAPPING without an IOMMU ("ARM:
 * 8304/1: Respect NO_KERNEL_MAPPING when we don't have an IOMMU", DMA41-1..3). The CMA path then
 * skips both the highmem remap and the lowmem PTE flip and returns a page cookie: lowmem CMA stays
 * WB in the linear map while user and device views are NC (the seed's alias, B17).
 */
import { ArmDma318, type DmaAttrs } from './arm-3.18.ts';

export class ArmDma41 extends ArmDma318 {
  override readonly version: string = '4.1';

  // DMA41-1 want_vaddr = !(attrs & DMA_ATTR_NO_KERNEL_MAPPING)
  protected override wantVaddr(attrs: DmaAttrs): boolean {
    return !attrs.noKernelMapping;
  }
}
