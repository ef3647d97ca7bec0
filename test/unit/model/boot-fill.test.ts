/**
 * Laying a boot-time /proc/vmallocinfo into the window (src/model/boot-fill.ts): areas outside
 * [VMALLOC_START, VMALLOC_END) are static mappings and skipped (LAYOUT-5); areas inside take their
 * own address (VMALLOC-3), unpurged ones as lazily freed (VMALLOC-5); a straddling or overlapping
 * area is a ProfileError naming its line; the atomic pool's first fit must land on the file's
 * pool line (DMA318-9).
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProfileError } from '../../../src/errors.ts';
import { checkPoolArea, placeBootAreas } from '../../../src/model/boot-fill.ts';
import { parseVmallocinfo, provideBootVmallocinfo } from '../../../src/model/boot-vmallocinfo.ts';
import { boot } from '../../helpers/kernel.ts';

const PAGE = 4096;
/** arm32-1g: window 0xF0000000..0xFF000000 (GOLD-5); the atomic pool holds 0xF0000000 + 65 pages (GOLD-8). */
const areas = (text: string) => parseVmallocinfo(text, 'f.txt').areas;

describe('placeBootAreas', () => {
  it('places areas inside the window at their own address, skips those outside, and counts them', () => {
    const k = boot('arm32-1g,carveout=0', 'cma-direct');
    const used = k.mm.vmalloc.usedPages;
    const placed = placeBootAreas(
      k.mm,
      areas(
        [
          '0xe0000000-0xe0002000 8192 iotable_init ioremap', // below the window: a static map
          '0xf0100000-0xf0103000 12288 start_kernel pages=2 vmalloc',
          '0xf0200000-0xf0204000 16384 unpurged vm_area',
          '0xff000000-0xff001000 4096 fixmap', // from VMALLOC_END up: outside
        ].join('\n'),
      ),
      'f.txt',
    );
    expect(placed).toBe(2);
    expect(k.mm.vmalloc.usedPages - used).toBe(3 + 4);
    expect(k.mm.vmalloc.lazyPages).toBe(4); // the unpurged one awaits a purge
    k.mm.purgeVmapAreaLazy();
    expect(k.mm.vmalloc.usedPages - used).toBe(3);
  });

  it('an area straddling the window edge is refused, naming the file line', () => {
    const k = boot('arm32-1g,carveout=0', 'cma-direct');
    expect(() => placeBootAreas(k.mm, areas('0xeffff000-0xf0001000 8192 x'), 'f.txt')).toThrow(ProfileError);
    expect(() => placeBootAreas(k.mm, areas('0xeffff000-0xf0001000 8192 x'), 'f.txt')).toThrow(
      'boot-vmallocinfo f.txt line 1: 0xEFFFF000-0xF0001000 straddles the vmalloc window 0xF0000000-0xFF000000',
    );
  });

  it('an area on one the model already holds (the atomic pool) is refused', () => {
    const k = boot('arm32-1g,carveout=0', 'cma-direct');
    expect(() => placeBootAreas(k.mm, areas('0xf0010000-0xf0012000 8192 x'), 'f.txt')).toThrow(
      /line 1: 0xF0010000-0xF0012000 overlaps an area the model placed at boot/,
    );
  });
});

describe('checkPoolArea', () => {
  it('passes when the first fit lands on the pool line, and says where each is when not', () => {
    const pool = areas('0xf087f000-0xf08c0000 266240 dma_common_contiguous_remap dma-coherent')[0]!;
    expect(() => checkPoolArea(pool, 0xf087f000, 'f.txt')).not.toThrow();
    expect(() => checkPoolArea(pool, 0xf0800000, 'f.txt')).toThrow(
      "boot-vmallocinfo f.txt line 1: the atomic pool's area is at 0xF087F000, but first fit over the areas below it puts the pool at 0xF0800000",
    );
  });
});

describe('at boot (Kernel, profile key boot-vmallocinfo=)', () => {
  it("the oracle's case-a baseline: the pool takes its own first fit on the file's pool line (docs/oracle.md)", () => {
    const path = 'test/fixtures/oracle/qemu-arm-6.1/vmallocinfo/dma-a-armmp.baseline.txt';
    provideBootVmallocinfo(path, readFileSync(new URL(`../../${path.slice(5)}`, import.meta.url), 'utf8'));
    const k = boot(
      `qemu-vexpress-a15,kernel=6.1,flavour=armmp,cma=256M,vmalloc=240M,boot-vmallocinfo=${path}`,
      'legacy-3.18',
    );
    expect(k.atomicPool!.cpuAddr).toBe(0xf087f000);
    expect(k.mm.vmalloc.find(0xf087f000 / PAGE)?.pages).toBe(266_240 / PAGE);
  });

  it('a file whose pool line is not where first fit puts the pool is refused at boot', () => {
    // the pool line is declared at 0xF0900000, but nothing is below it: first fit gives VMALLOC_START
    provideBootVmallocinfo(
      'moved-pool.txt',
      '0xf0900000-0xf0941000 266240 dma_common_contiguous_remap dma-coherent\n',
    );
    expect(() => boot('arm32-1g,boot-vmallocinfo=moved-pool.txt', 'cma-direct')).toThrow(
      /line 1: the atomic pool's area is at 0xF0900000, but first fit .* puts the pool at 0xF0000000/,
    );
  });
});
