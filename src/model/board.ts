/**
 * A board as a profile describes it: RAM, split, boot arguments, CPUs, architecture rule set and
 * kernel build. Data only; profile.ts names and overrides boards, layout.ts turns one into
 * addresses.
 */
import type { Flavour, MemblockRegion } from './boot-reserve.ts';
import type { BootVmallocinfo } from './boot-vmallocinfo.ts';
import type { KernelVersion } from './kernel-rules.ts';
import type { HeapName } from './types.ts';

/** ARCH-6 rule sets: which mismatched-alias outcomes fail `no-conflicting-alias`. */
export type RuleSet = 'linux-arm32' | 'armv7-b' | 'armv8';
export const RULE_SETS: readonly RuleSet[] = ['linux-arm32', 'armv7-b', 'armv8'];

/** LAYOUT-1 CONFIG_VMSPLIT_*: user/kernel split. */
export type Split = '3G/1G' | '2G/2G' | '1G/3G';
export const PAGE_OFFSET_OF: Record<Split, number> = {
  '3G/1G': 0xc0000000,
  '2G/2G': 0x80000000,
  '1G/3G': 0x40000000,
};

export interface Profile {
  readonly id: string;
  readonly summary: string;
  /** Physical start of RAM (PHYS_OFFSET). */
  readonly ramBase: number;
  readonly ramBytes: number;
  readonly split: Split;
  /** `vmalloc=S` boot argument in bytes, or null for the default (LAYOUT-3). */
  readonly vmallocArg: number | null;
  /** VMALLOC_END (LAYOUT-2): 0xFF000000 in 3.18. */
  readonly vmallocEnd: number;
  /**
   * Explicit vmalloc_min for scaled-down machines (the `tiny` profile) [A]: a machine of a few MiB
   * has no highmem under the real formula, so it states its split directly. null = LAYOUT-3.
   */
  readonly vmallocMin: number | null;
  /** `cma=size[@base[-limit]]` (CMA-7); base 0 = dynamic, limit 0 = end of RAM. */
  readonly cma: { readonly size: number; readonly base: number; readonly limit: number };
  /** Online CPUs (lazy_max_pages, VMALLOC-5). */
  readonly cpus: number;
  /** NR_CPUS, compile time (vmap block size, VMALLOC-7). */
  readonly nrCpus: number;
  readonly ruleSet: RuleSet;
  /** ARCH-4: lazily unmapped ranges count as live until purged (`--no-stale-tlb` turns off). */
  readonly staleTlb: boolean;
  /** DMA318-9 `coherent_pool=`: atomic pool bytes (256 KiB default). */
  readonly atomicPoolBytes: number;
  /** CMA-8 CONFIG_CMA_ALIGNMENT (order cap, default 8). */
  readonly cmaAlignment: number;
  /**
   * CMA-7 order_per_bit of the default area's bitmap (0 as dma_contiguous_reserve declares it; a
   * board declaring its own area may use more, `cma-order-per-bit=`).
   */
  readonly cmaOrderPerBit?: number;
  /** DMA318-1: ARMv6-only build with ARM_DMA_MEM_BUFFERABLE off => dma-coherent is SO. */
  readonly dmaBufferable: boolean;
  /** HEAP-CARVEOUT-1: the ION carveout heap's reserved range [A: fixed board reservation]. */
  readonly carveout: { readonly base: number; readonly size: number };
  /**
   * ARCH-8 CONFIG_DEBUG_HIGHMEM: kunmap_atomic() clears the fixmap PTE and flushes it. Off by
   * default, as Android and distribution configs ship: the last slot mapping lingers.
   */
  readonly debugHighmem: boolean;
  /**
   * ION-1 the heaps the board's ION platform data declares (null: all four). A search restricted
   * to some heaps (`check --heap`) boots a board with only those, so another heap's boot-time
   * state (the carveout's creation zeroing, HEAP-CARVEOUT-1) does not count against them.
   */
  readonly ionHeaps: readonly HeapName[] | null;
  /** `kernel=` rule set (kernel-rules.ts); 3.18 by default. */
  readonly kernel: KernelVersion;
  /** The kernel build booted (`flavour=`, the image's memblock reservation), or null [A: none]. */
  readonly flavour: Flavour | null;
  /** LAYOUT-6 memblock reservations made before CMA is placed (image, page tables, initrd). */
  readonly memblock: readonly MemblockRegion[];
  /** `boot-vmallocinfo=FILE`: the areas of a real /proc/vmallocinfo, in the window before op 1. */
  readonly bootVmallocinfo: BootVmallocinfo | null;
}
