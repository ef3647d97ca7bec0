/**
 * Boot layout of a profile: the lowmem/highmem split, the vmalloc window and the CMA reservation,
 * computed exactly as 3.18's early boot does (LAYOUT-1..6, CMA-2/3/7). Pure arithmetic: the
 * atomic pool, which boot allocates through the model itself, is set up by kernel.ts.
 */

import { PAGE_OFFSET_OF, type Profile } from './board.ts';
import type { MemblockRegion } from './boot-reserve.ts';
import { rulesOf } from './kernel-rules.ts';
import { asPhys, asVAddr, Errno, PAGE_SIZE, type PhysAddr, SZ_1M, type VAddr } from './types.ts';

export interface CmaReservation {
  readonly base: PhysAddr;
  readonly size: number;
  readonly zone: 'lowmem' | 'highmem';
}

export interface BootLayout {
  readonly pageOffset: VAddr;
  readonly ramBase: PhysAddr;
  readonly ramEnd: PhysAddr;
  /** arm_lowmem_limit (physical) = pa(high_memory). */
  readonly lowmemLimit: PhysAddr;
  /** high_memory (virtual). */
  readonly highMemory: VAddr;
  readonly vmallocMin: VAddr;
  readonly vmallocStart: VAddr;
  readonly vmallocEnd: VAddr;
  /** The default CMA area, or null with the errno cma_declare_contiguous returned. */
  readonly cma: CmaReservation | null;
  readonly cmaError: number | null;
  readonly carveout: { readonly base: PhysAddr; readonly size: number } | null;
  /** LAYOUT-6 memblock reservations made before CMA was placed (image, page tables, initrd). */
  readonly memblock: readonly MemblockRegion[];
  /** Warnings the kernel would print at boot (vmalloc= clamps). */
  readonly warnings: readonly string[];
}

const MiB = SZ_1M;
const VMALLOC_OFFSET = 8 * MiB;
/** CMA-2: PAGE_SIZE << max(MAX_ORDER - 1, pageblock_order) = 4 MiB on ARM32. */
export const CMA_MIN_ALIGNMENT = PAGE_SIZE << 10;

const roundDown = (x: number, a: number): number => Math.floor(x / a) * a;
const roundUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/** LAYOUT-3 early_vmalloc() / default vmalloc_min; the kernel= rules set the offset and clamp. */
function vmallocMinOf(p: Profile, pageOffset: number, warnings: string[]): number {
  if (p.vmallocMin !== null) return p.vmallocMin;
  if (p.vmallocArg === null) return p.vmallocEnd - 240 * MiB - VMALLOC_OFFSET;
  const rules = rulesOf(p.kernel);
  const unit = rules.vmallocWarnUnit;
  let size = p.vmallocArg;
  const max = p.vmallocEnd - (pageOffset + 32 * MiB + rules.vmallocMaxExtra);
  if (size < 16 * MiB) {
    size = 16 * MiB;
    warnings.push(`vmalloc area ${unit === 'MB' ? '' : 'is '}too small, limiting to ${size / MiB}${unit}`);
  }
  if (size > max) {
    size = max;
    warnings.push(`vmalloc area is too big, limiting to ${size / MiB}${unit}`);
  }
  return p.vmallocEnd - size - rules.vmallocArgOffset;
}

interface Range {
  base: number;
  end: number;
}

/** memblock_alloc_range(), top-down [M]: highest aligned free spot in [start, end). */
function memblockAllocRangeTopDown(
  size: number,
  align: number,
  start: number,
  end: number,
  reserved: Range[],
) {
  let cand = roundDown(end - size, align);
  while (cand >= start) {
    const hit = reserved.find((r) => cand < r.end && cand + size > r.base);
    if (!hit) return cand;
    cand = roundDown(hit.base - size, align);
  }
  return -1;
}

/**
 * CMA-2/CMA-3 cma_declare_contiguous() for the default area (CMA-7: align 0, order_per_bit 0).
 * Returns the placed base or a negative errno.
 */
function cmaDeclareContiguous(
  p: Profile,
  highmemStart: number,
  ramEnd: number,
  reserved: Range[],
): { base: number; size: number } | { errno: number } {
  const cmdFixed = p.cma.limit !== 0 && p.cma.base + p.cma.size === p.cma.limit;
  if (p.cma.size === 0) return { errno: Errno.EINVAL };
  const align = CMA_MIN_ALIGNMENT;
  let base = roundUp(p.cma.base, align);
  const size = roundUp(p.cma.size, align);
  let limit = roundDown(p.cma.limit, align);
  const fixed = base !== 0 && cmdFixed;
  if (fixed && base < highmemStart && base + size > highmemStart) return { errno: Errno.EINVAL };
  if (limit === 0 || limit > ramEnd) limit = ramEnd;
  if (fixed) {
    if (
      reserved.some((r) => base < r.end && base + size > r.base) ||
      base + size > ramEnd ||
      base < p.ramBase
    )
      return { errno: Errno.EBUSY };
    return { base, size };
  }
  if (base === 0) base = p.ramBase;
  let addr = -1;
  // CMA-3: highmem first when the range straddles high_memory, then the rest below it
  if (base < highmemStart && highmemStart < limit) {
    addr = memblockAllocRangeTopDown(size, align, highmemStart, limit, reserved);
    limit = highmemStart;
  }
  if (addr < 0) addr = memblockAllocRangeTopDown(size, align, base, limit, reserved);
  if (addr < 0) return { errno: Errno.ENOMEM };
  return { base: addr, size };
}

/** LAYOUT-4..6: sanity_check_meminfo, arm_memblock_init (board reserve, then CMA), paging_init. */
export function computeLayout(p: Profile): BootLayout {
  const warnings: string[] = [];
  const pageOffset = PAGE_OFFSET_OF[p.split];
  const pa = (v: number) => v - pageOffset + p.ramBase;
  const va = (ph: number) => ph - p.ramBase + pageOffset;
  const ramEnd = p.ramBase + p.ramBytes;
  const vmallocMin = vmallocMinOf(p, pageOffset, warnings);
  // LAYOUT-4 vmalloc_limit = __pa(vmalloc_min - 1) + 1; RAM at or above it is highmem
  const vmallocLimit = pa(vmallocMin - 1) + 1;
  const lowmemLimit = Math.min(ramEnd, vmallocLimit);
  const highMemory = va(lowmemLimit - 1) + 1;
  // LAYOUT-2 VMALLOC_START = round_down(high_memory + VMALLOC_OFFSET, VMALLOC_OFFSET)
  const vmallocStart = roundDown(highMemory + VMALLOC_OFFSET, VMALLOC_OFFSET);
  // LAYOUT-6 arm_memblock_init(): image, swapper_pg_dir, initrd are reserved before the CMA area
  const reserved: Range[] = p.memblock.map((r) => ({ base: r.base, end: r.base + r.size }));
  // [A] the ION carveout is a fixed board reservation (mdesc->reserve runs before the CMA one)
  let carveout: BootLayout['carveout'] = null;
  const c = p.carveout;
  if (c.size > 0 && c.base >= p.ramBase && c.base + c.size <= lowmemLimit) {
    carveout = { base: asPhys(c.base), size: c.size };
    reserved.push({ base: c.base, end: c.base + c.size });
  }
  const placed = cmaDeclareContiguous(p, lowmemLimit, ramEnd, reserved);
  let cma: CmaReservation | null = null;
  let cmaError: number | null = null;
  if ('errno' in placed) cmaError = placed.errno;
  else
    cma = {
      base: asPhys(placed.base),
      size: placed.size,
      zone: placed.base >= lowmemLimit ? 'highmem' : 'lowmem',
    };
  return {
    pageOffset: asVAddr(pageOffset),
    ramBase: asPhys(p.ramBase),
    ramEnd: asPhys(ramEnd),
    lowmemLimit: asPhys(lowmemLimit),
    highMemory: asVAddr(highMemory),
    vmallocMin: asVAddr(vmallocMin),
    vmallocStart: asVAddr(vmallocStart),
    vmallocEnd: asVAddr(p.vmallocEnd),
    cma,
    cmaError,
    carveout,
    memblock: p.memblock,
    warnings,
  };
}

/** LAYOUT-1 linear map: virt = phys - PHYS_OFFSET + PAGE_OFFSET (lowmem only). */
export const linearVirt = (l: BootLayout, phys: number): VAddr => asVAddr(phys - l.ramBase + l.pageOffset);
