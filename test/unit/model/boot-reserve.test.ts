/**
 * Boot-time memblock reservations (src/model/boot-reserve.ts, LAYOUT-6): the oracle board's kernel
 * image and page tables from /proc/iomem and ptprobe (docs/oracle.md), and the initrd as QEMU's
 * loader places it.
 */
import { describe, expect, it } from 'vitest';
import { BOARD_IMAGES, FLAVOURS, initrdRegion } from '../../../src/model/boot-reserve.ts';
import { resolveProfile } from '../../../src/model/profile.ts';

const MiB = 1 << 20;

describe('BOARD_IMAGES', () => {
  it('one image per flavour: swapper_pg_dir just below the image at 0x80208000', () => {
    expect(Object.keys(BOARD_IMAGES).sort()).toEqual([...FLAVOURS].sort());
    for (const f of FLAVOURS) {
      const [pgd, image] = BOARD_IMAGES[f];
      expect(pgd!.what).toBe('swapper_pg_dir');
      expect(image!.what).toBe('kernel image');
      expect(image!.base).toBe(0x80208000);
      expect(pgd!.base + pgd!.size).toBe(image!.base);
    }
  });

  it('2-level page tables are 16 KiB, LPAE 20 KiB (ptprobe kpgd phys 0x80204000 / 0x80203000)', () => {
    expect(BOARD_IMAGES.armmp[0]).toEqual({ what: 'swapper_pg_dir', base: 0x80204000, size: 16 * 1024 });
    expect(BOARD_IMAGES.lpae[0]).toEqual({ what: 'swapper_pg_dir', base: 0x80203000, size: 20 * 1024 });
  });

  it('the image ends at the page after /proc/iomem "Kernel data" (0x81607607 / 0x8180D287)', () => {
    const end = (f: 'armmp' | 'lpae') => BOARD_IMAGES[f][1]!.base + BOARD_IMAGES[f][1]!.size;
    expect(end('armmp')).toBe(0x81608000);
    expect(end('lpae')).toBe(0x8180e000);
  });
});

describe('initrdRegion', () => {
  it('defaults to RAM start + min(RAM / 2, 128 MiB), 864 KiB ("Freeing initrd memory: 864K")', () => {
    expect(initrdRegion(0x80000000, 1024 * MiB, null)).toEqual({
      what: 'initrd',
      base: 0x88000000,
      size: 864 * 1024,
    });
    expect(initrdRegion(0x80000000, 16 * MiB, null).base).toBe(0x80800000);
  });

  it('rounds out to whole pages', () => {
    expect(initrdRegion(0x80000000, 1024 * MiB, 0x88000100, 5000)).toEqual({
      what: 'initrd',
      base: 0x88000000,
      size: 8192,
    });
  });

  it('is what the oracle profile reserves, and initrd=0 removes it', () => {
    const p = resolveProfile('qemu-vexpress-a15');
    expect(p.memblock).toContainEqual(initrdRegion(0x80000000, 1024 * MiB, null));
    expect(resolveProfile('qemu-vexpress-a15,initrd=0').memblock.map((r) => r.what)).toEqual([
      'swapper_pg_dir',
      'kernel image',
    ]);
  });
});
