/**
 * Kernel rule sets (`kernel=` profile key): the constants that differ between the 3.18 rules the
 * model was built from and the Debian 6.1 armhf kernel measured under QEMU (docs/oracle.md). Every
 * differing constant is one field of KERNEL_RULES, and each entry cites where it comes from; the
 * logs under test/fixtures/oracle/ are the authority for 6.1's numbers.
 */
import { SZ_1M } from './types.ts';

export type KernelVersion = '3.18' | '6.1';
export const KERNEL_VERSIONS: readonly KernelVersion[] = ['3.18', '6.1'];
export const DEFAULT_KERNEL: KernelVersion = '3.18';

/** Which ARM DMA layer serves dma_alloc_attrs on a non-coherent device without an IOMMU. */
export type DmaLayerKind = 'arm-3.18' | 'arm-6.1';

export interface KernelRules {
  /** LAYOUT-2 VMALLOC_END. */
  readonly vmallocEnd: number;
  /** LAYOUT-3 early_vmalloc(): bytes taken off `vmalloc=S` between vmalloc_min and VMALLOC_END's S. */
  readonly vmallocArgOffset: number;
  /** LAYOUT-3 early_vmalloc(): the upper clamp is VMALLOC_END − (PAGE_OFFSET + 32 MiB + this). */
  readonly vmallocMaxExtra: number;
  /** LAYOUT-3 early_vmalloc() pr_warn unit. */
  readonly vmallocWarnUnit: 'MB' | 'MiB';
  /** VMALLOC-4 alloc_vmap_area() failure message (N includes the guard page). */
  readonly vmapFailMessage: (bytes: number) => string;
  /** cma_alloc() failure message (CMA-4), or null when the kernel prints none. */
  readonly cmaAllocFailMessage: ((area: string, pages: number, errno: number) => string) | null;
  /** The DMA layer (DMA318 / DMA41 + dma-direct for NO_KERNEL_MAPPING). */
  readonly dmaLayer: DmaLayerKind;
}

const MiB = SZ_1M;

export const KERNEL_RULES: Record<KernelVersion, KernelRules> = {
  '3.18': {
    // LAYOUT-2 asm/pgtable.h VMALLOC_END 0xff000000UL (3.18)
    vmallocEnd: 0xff000000,
    // LAYOUT-3 arch/arm/mm/mmu.c early_vmalloc (3.18): vmalloc_min = VMALLOC_END - S
    vmallocArgOffset: 0,
    // LAYOUT-3 early_vmalloc (3.18): vmalloc_max = VMALLOC_END - (PAGE_OFFSET + SZ_32M)
    vmallocMaxExtra: 0,
    // LAYOUT-3 early_vmalloc (3.18): "vmalloc area too small, limiting to %luMB"
    vmallocWarnUnit: 'MB',
    // VMALLOC-4 mm/vmalloc.c alloc_vmap_area (3.18): message ends with a full stop
    vmapFailMessage: (n) => `vmap allocation for size ${n} failed: use vmalloc=<size> to increase size.`,
    // CMA-4 mm/cma.c cma_alloc (3.18) prints nothing on failure
    cmaAllocFailMessage: null,
    // DMA318-2 arch/arm/mm/dma-mapping.c __dma_alloc (NO_KERNEL_MAPPING ignored, DMA318-12)
    dmaLayer: 'arm-3.18',
  },
  '6.1': {
    // LAYOUT-2 asm/pgtable.h VMALLOC_END 0xff800000UL; logs: dmaprobe prints VMALLOC_END=ff800000
    vmallocEnd: 0xff800000,
    // LAYOUT-3 mmu.c early_vmalloc (6.1): vmalloc_min = VMALLOC_END - S - VMALLOC_OFFSET; logs: vmalloc=240M -> VmallocTotal 245760 kB, 480M -> 491520 kB
    vmallocArgOffset: 8 * MiB,
    // LAYOUT-3 mmu.c early_vmalloc (6.1): vmalloc_max = VMALLOC_END - (PAGE_OFFSET + SZ_32M + VMALLOC_OFFSET) [source, not in the logs]
    vmallocMaxExtra: 8 * MiB,
    // LAYOUT-3 mmu.c early_vmalloc (6.1): "limiting to %luMiB" [source, not in the logs]
    vmallocWarnUnit: 'MiB',
    // VMALLOC-4 mm/vmalloc.c alloc_vmap_area (6.1); logs: "vmap allocation for size 1052672 failed: use vmalloc=<size> to increase size"
    vmapFailMessage: (n) => `vmap allocation for size ${n} failed: use vmalloc=<size> to increase size`,
    // CMA-4 mm/cma.c cma_alloc (6.1) pr_err_ratelimited; logs: "cma: cma_alloc: reserved: alloc failed, req-size: 256 pages, ret: -12"
    cmaAllocFailMessage: (area, pages, errno) =>
      `cma: cma_alloc: ${area}: alloc failed, req-size: ${pages} pages, ret: -${errno}`,
    // arch/arm/mm/dma-mapping.c arch_dma_alloc -> __dma_alloc as 4.1 (DMA41), kernel/dma/direct.c for NO_KERNEL_MAPPING; logs: dma_ops=NULL, dma_direct_alloc in the nokmap trace
    dmaLayer: 'arm-6.1',
  },
};

export const rulesOf = (k: KernelVersion): KernelRules => KERNEL_RULES[k];
