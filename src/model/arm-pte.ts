/**
 * What ptprobe reads from the kernel's page tables for a linear-map page, by memory type (ARCH-1)
 * and kernel flavour: the Linux PTE bits and the hardware PTE bits below the page frame. Figures
 * from the oracle's ptprobe logs (pte-b-armmp, pte-b-lpae): PAGE_KERNEL and
 * pgprot_dmacoherent(PAGE_KERNEL) of Debian's 6.1 armhf builds.
 */
import type { Flavour } from './boot-reserve.ts';
import { MemType } from './types.ts';

/** A linear-map page's memory type as the probe reports it. */
export type LinearMemType = 'write-back' | 'non-cacheable' | 'device' | 'strongly-ordered' | 'none';

export const linearMemTypeOf = (t: number): LinearMemType => {
  if (t === MemType.WB) return 'write-back';
  if (t === MemType.NC) return 'non-cacheable';
  if (t === MemType.DEV) return 'device';
  if (t === MemType.SO) return 'strongly-ordered';
  return 'none';
};

/** The kernel's name for the type (asm/pgtable-*.h L_PTE_MT_*). */
export const L_PTE_MT: Record<LinearMemType, string> = {
  'write-back': 'L_PTE_MT_WRITEALLOC',
  'non-cacheable': 'L_PTE_MT_BUFFERABLE',
  device: 'L_PTE_MT_DEV_SHARED',
  'strongly-ordered': 'L_PTE_MT_UNCACHED',
  none: '-',
};

interface PteBits {
  /** Linux PTE bits OR-ed with the physical address. */
  readonly linux: bigint;
  /** 2-level only: the hardware PTE (ptep + 512). */
  readonly hw: bigint | null;
}

/** ptprobe: PAGE_KERNEL = 0x65f / hw 0x45f, pgprot_dmacoherent(PAGE_KERNEL) = 0x647 / hw 0x417 (armmp); LPAE 0x00c000000000071f / 0x...707. */
const PTE_BITS: Record<Flavour, Partial<Record<LinearMemType, PteBits>>> = {
  armmp: {
    'write-back': { linux: 0x65fn, hw: 0x45fn },
    'non-cacheable': { linux: 0x647n, hw: 0x417n },
  },
  lpae: {
    'write-back': { linux: 0x00c000000000071fn, hw: null },
    'non-cacheable': { linux: 0x00c0000000000707n, hw: null },
  },
};

const hex64 = (x: bigint, digits: number): string => `0x${x.toString(16).padStart(digits, '0')}`;

/** The PTE text ptprobe prints for a page at `phys` ("linux / hw" for armmp), or null if unknown. */
export function ptprobePte(flavour: Flavour | null, type: LinearMemType, phys: number): string | null {
  if (flavour === null) return null;
  const bits = PTE_BITS[flavour][type];
  if (!bits) return null;
  const p = BigInt(phys);
  if (flavour === 'lpae') return hex64(p | bits.linux, 16);
  return `${hex64(p | bits.linux, 8)} / ${hex64(p | (bits.hw ?? 0n), 8)}`;
}
