/**
 * Boot-time memblock reservations made before the CMA area is placed (LAYOUT-6, arm_memblock_init):
 * the kernel image and data, the initial page tables (swapper_pg_dir) and the initrd. The figures
 * are the oracle board's (docs/oracle.md): Debian 6.1 armhf images, /proc/iomem of the real boots.
 */
import { PAGE_SIZE, SZ_1M } from './types.ts';

export interface MemblockRegion {
  readonly what: 'kernel image' | 'swapper_pg_dir' | 'initrd';
  readonly base: number;
  readonly size: number;
}

export type Flavour = 'armmp' | 'lpae';
export const FLAVOURS: readonly Flavour[] = ['armmp', 'lpae'];

const region = (what: MemblockRegion['what'], base: number, end: number): MemblockRegion => ({
  what,
  base,
  size: end - base,
});

/** arm_memblock_init(): memblock_reserve(KERNEL_START..KERNEL_END) and arm_mm_memblock_reserve(swapper_pg_dir). */
export const BOARD_IMAGES: Record<Flavour, readonly MemblockRegion[]> = {
  // logs layout-*-armmp: /proc/iomem "80208000-811fffff : Kernel code", "81400000-81607607 : Kernel data"; ptprobe kpgd phys 0x80204000 (16 KiB, 2-level)
  armmp: [region('swapper_pg_dir', 0x80204000, 0x80208000), region('kernel image', 0x80208000, 0x81608000)],
  // logs layout-*-lpae: /proc/iomem "80208000-813fffff : Kernel code", "81600000-8180d287 : Kernel data"; ptprobe kpgd phys 0x80203000 (20 KiB, LPAE)
  lpae: [region('swapper_pg_dir', 0x80203000, 0x80208000), region('kernel image', 0x80208000, 0x8180e000)],
};

/** Initrd size of the oracle's layout boots: "Freeing initrd memory: 864K". */
const ORACLE_INITRD_BYTES = 864 * 1024;

/**
 * reserve_initrd_mem(): the initramfs as the boot loader placed it. QEMU's ARM loader puts it at
 * RAM start + min(RAM / 2, 128 MiB) [A: hw/arm/boot.c, not visible in the logs]; page-rounded.
 */
export function initrdRegion(
  ramBase: number,
  ramBytes: number,
  base: number | null,
  size = ORACLE_INITRD_BYTES,
): MemblockRegion {
  const b = base ?? ramBase + Math.min(ramBytes / 2, 128 * SZ_1M);
  const start = Math.floor(b / PAGE_SIZE) * PAGE_SIZE;
  const end = Math.ceil((b + size) / PAGE_SIZE) * PAGE_SIZE;
  return region('initrd', start, end);
}
