/**
 * kernel= rule sets (kernel-rules.ts), boot memblock reservations (boot-reserve.ts) and the
 * boot-vmallocinfo parser and placement (boot-vmallocinfo.ts, boot-fill.ts).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProfileError, VmallocinfoError } from '../../../src/errors.ts';
import { parseVmallocinfo, splitAtAtomicPool } from '../../../src/model/boot-vmallocinfo.ts';
import { builtinDesign, DEFAULT_DESIGN_IDS } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import { KERNEL_RULES, KERNEL_VERSIONS } from '../../../src/model/kernel-rules.ts';
import { computeLayout } from '../../../src/model/layout.ts';
import { resolveProfile as resolveSpec } from '../../../src/model/profile.ts';
import { Errno } from '../../../src/model/types.ts';
import { loadProfileFiles } from '../../../src/properties/profile-files.ts';
import { MiB } from '../../helpers/kernel.ts';

const dir = mkdtempSync(join(tmpdir(), 'ionck-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
/** As the CLI does: read the spec's files, then resolve it. */
const resolveProfile = (spec: string) => {
  loadProfileFiles(spec);
  return resolveSpec(spec);
};
const bootOf = (spec: string) => Kernel.boot(resolveProfile(spec), builtinDesign(DEFAULT_DESIGN_IDS[0]!)!);

describe('kernel= rule sets', () => {
  it('one table: the two versions differ exactly in VMALLOC_END, the vmalloc= offset and clamp, messages and the DMA layer', () => {
    expect(KERNEL_VERSIONS).toEqual(['3.18', '6.1']);
    const a = KERNEL_RULES['3.18'];
    const b = KERNEL_RULES['6.1'];
    expect([a.vmallocEnd, b.vmallocEnd]).toEqual([0xff000000, 0xff800000]);
    expect([a.vmallocArgOffset, b.vmallocArgOffset]).toEqual([0, 8 * MiB]);
    expect(a.vmapFailMessage(1052672)).toBe(
      'vmap allocation for size 1052672 failed: use vmalloc=<size> to increase size.',
    );
    expect(b.vmapFailMessage(1052672)).toBe(
      'vmap allocation for size 1052672 failed: use vmalloc=<size> to increase size',
    );
    expect(a.cmaAllocFailMessage).toBeNull();
    expect(b.cmaAllocFailMessage?.('reserved', 256, 12)).toBe(
      'cma: cma_alloc: reserved: alloc failed, req-size: 256 pages, ret: -12',
    );
  });

  it('kernel=3.18 is the default and changes nothing', () => {
    expect(computeLayout(resolveProfile('arm32-1g,kernel=3.18'))).toEqual(
      computeLayout(resolveProfile('arm32-1g')),
    );
    expect(resolveProfile('arm32-1g').kernel).toBe('3.18');
  });

  it('LAYOUT-2/3 6.1: VMALLOC_END 0xFF800000; vmalloc=S gives an S-byte window (3.18: S - 8 MiB)', () => {
    for (const s of [240, 480, 128, 64]) {
      const l6 = computeLayout(resolveProfile(`arm32-1g,kernel=6.1,vmalloc=${s}M`));
      expect(l6.vmallocEnd).toBe(0xff800000);
      expect(l6.vmallocEnd - l6.vmallocStart).toBe(s * MiB);
      const l3 = computeLayout(resolveProfile(`arm32-1g,vmalloc=${s}M`));
      expect(l3.vmallocEnd - l3.vmallocStart).toBe((s - 8) * MiB);
    }
    // the default is 240 MiB in both
    const d = computeLayout(resolveProfile('arm32-1g,kernel=6.1'));
    expect([d.highMemory, d.vmallocStart, d.vmallocEnd]).toEqual([0xf0000000, 0xf0800000, 0xff800000]);
  });

  it('LAYOUT-3 6.1 clamps: 16 MiB below, VMALLOC_END - (PAGE_OFFSET + 40 MiB) above, warning in MiB', () => {
    const small = computeLayout(resolveProfile('arm32-1g,kernel=6.1,vmalloc=4M'));
    expect(small.vmallocEnd - small.vmallocStart).toBe(16 * MiB);
    expect(small.warnings).toEqual(['vmalloc area is too small, limiting to 16MiB']);
    const big = computeLayout(resolveProfile('arm32-1g,kernel=6.1,vmalloc=2G'));
    expect(big.warnings).toEqual([
      `vmalloc area is too big, limiting to ${(0xff800000 - 0xc0000000) / MiB - 40}MiB`,
    ]);
    expect(computeLayout(resolveProfile('arm32-1g,vmalloc=4M')).warnings).toEqual([
      'vmalloc area too small, limiting to 16MB',
    ]);
  });

  it('a profile with its own VMALLOC_END keeps it (tiny)', () => {
    expect(resolveProfile('tiny,kernel=6.1').vmallocEnd).toBe(resolveProfile('tiny').vmallocEnd);
  });

  it('bad values are ProfileErrors that name the key', () => {
    expect(() => resolveProfile('arm32-1g,kernel=5.4')).toThrow(/kernel= takes one of 3.18, 6.1, not '5.4'/);
    expect(() => resolveProfile('arm32-1g,kernel=')).toThrow(ProfileError);
    expect(() => resolveProfile('qemu-vexpress-a15,flavour=x86')).toThrow(
      /flavour= takes one of armmp, lpae/,
    );
    expect(() => resolveProfile('qemu-vexpress-a15,initrd=1M@0x10000000')).toThrow(
      /initrd= .* not inside RAM/,
    );
    expect(() => resolveProfile('arm32-1g,boot-vmallocinfo=')).toThrow(/boot-vmallocinfo= needs a file/);
  });
});

describe('LAYOUT-6 memblock reservations before CMA (boot-reserve.ts)', () => {
  it('the oracle board reserves swapper_pg_dir, the kernel image and the initrd; flavour=lpae a larger image', () => {
    const armmp = resolveProfile('qemu-vexpress-a15').memblock;
    expect(armmp.map((r) => [r.what, r.base, r.base + r.size])).toEqual([
      ['swapper_pg_dir', 0x80204000, 0x80208000],
      ['kernel image', 0x80208000, 0x81608000],
      ['initrd', 0x88000000, 0x880d8000],
    ]);
    const lpae = resolveProfile('qemu-vexpress-a15,flavour=lpae').memblock;
    expect(lpae.find((r) => r.what === 'kernel image')!.size).toBe(0x8180e000 - 0x80208000);
    expect(lpae.find((r) => r.what === 'initrd')).toEqual(armmp.find((r) => r.what === 'initrd'));
  });

  it('CMA-3 placement fails or succeeds as the reservations allow: cma=700M hits the initrd, fits without it', () => {
    const withInitrd = computeLayout(resolveProfile('qemu-vexpress-a15,kernel=6.1,cma=700M'));
    expect(withInitrd.cma).toBeNull();
    expect(withInitrd.cmaError).toBe(Errno.ENOMEM);
    const without = computeLayout(resolveProfile('qemu-vexpress-a15,kernel=6.1,cma=700M,initrd=0'));
    // top-down below the highmem boundary, 4 MiB aligned, above the kernel image
    expect(without.cma).toEqual({ base: 0xb0000000 - 700 * MiB, size: 700 * MiB, zone: 'lowmem' });
    const moved = computeLayout(resolveProfile('qemu-vexpress-a15,kernel=6.1,cma=700M,initrd=1M@0x81800000'));
    expect(moved.cma?.base).toBe(0xb0000000 - 700 * MiB);
    // a reservation overlapping the top-down candidate pushes it below, or fails it
    const low = computeLayout(resolveProfile('qemu-vexpress-a15,kernel=6.1,cma=700M,initrd=1M@0x8a000000'));
    expect(low.cma).toBeNull();
  });

  it('reserved pages never reach the buddy allocator', () => {
    const k = bootOf('qemu-vexpress-a15,kernel=6.1');
    const k0 = bootOf('qemu-vexpress-a15,kernel=6.1,initrd=0');
    expect(k0.mm.normal.freePagesCount - k.mm.normal.freePagesCount).toBe(0xd8);
  });
});

describe('boot-vmallocinfo= (VMALLOC-3/5)', () => {
  const GOOD = [
    '0xf0800000-0xf0803000   12288 start_kernel+0x540/0x71c pages=2 vmalloc',
    '0xf0803000-0xf0805000    8192 gic_of_setup+0x38/0xf8 phys=0x2c001000 ioremap',
    '0xf0805000-0xf0846000  266240 dma_common_contiguous_remap+0x74/0x90 dma-coherent',
    '0xf0846000-0xf0849000   12288 unpurged vm_area',
    '0xf0900000-0xf0902000    8192 devm_ioremap+0x4c/0x88 phys=0x1c010000 ioremap',
    '0xd0000000-0xf0000000 536870912 iotable_init+0x0/0xf4 phys=0x90000000 ioremap',
    '',
  ].join('\n');

  it('parses areas, flags unpurged and dma-coherent lines, sorts by address', () => {
    const v = parseVmallocinfo(GOOD, 'x');
    expect(v.areas.map((a) => a.line)).toEqual([6, 1, 2, 3, 4, 5]);
    expect(v.areas.filter((a) => a.unpurged).map((a) => a.start)).toEqual([0xf0846000]);
    expect(v.areas.filter((a) => a.dmaCoherent).map((a) => a.start)).toEqual([0xf0805000]);
    const s = splitAtAtomicPool(v, 256 * 1024);
    expect(s.pool?.start).toBe(0xf0805000);
    expect(s.before.map((a) => a.start)).toEqual([0xd0000000, 0xf0800000, 0xf0803000]);
    expect(s.after.map((a) => a.start)).toEqual([0xf0846000, 0xf0900000]);
  });

  it('boot: areas below the pool first, the pool by first fit, the rest; unpurged lazy; static maps skipped', () => {
    const p = file('good.txt', GOOD);
    const k = bootOf(`qemu-vexpress-a15,kernel=6.1,boot-vmallocinfo=${p}`);
    expect(k.atomicPool?.cpuAddr).toBe(0xf0805000);
    const v = k.mm.vmalloc;
    expect(v.find(0xf0800000 / 4096)?.state).toBe('live');
    expect(v.find(0xf0846000 / 4096)?.state).toBe('lazy');
    expect(v.find(0xf0900000 / 4096)?.pages).toBe(2);
    expect(v.find(0xd0000000 / 4096)).toBeUndefined();
    expect(v.livePages).toBe(3 + 2 + 65 + 2);
    expect(v.lazyPages).toBe(3);
  });

  it('a pool line the model does not reach by first fit is an error naming the line', () => {
    const lines = GOOD.split('\n');
    lines[1] = '0xf0803000-0xf0804000    4096 gic_of_setup+0x38/0xf8 phys=0x2c001000 ioremap';
    lines[2] = '0xf0845000-0xf0886000  266240 dma_common_contiguous_remap+0x74/0x90 dma-coherent';
    lines[3] = '0xf0886000-0xf0889000   12288 unpurged vm_area';
    const p = file('pool-moved.txt', lines.join('\n'));
    // the pool now takes 0xf0804000 by first fit, not the file's pool line (3)
    expect(() => bootOf(`qemu-vexpress-a15,kernel=6.1,boot-vmallocinfo=${p}`)).toThrow(
      /line 3: the atomic pool's area is at 0xF0845000, but first fit .* puts the pool at 0xF0804000/,
    );
  });

  it('bad files: exit-2 errors naming the line', () => {
    const bad = (text: string) => () => parseVmallocinfo(text, 'f');
    expect(bad('garbage here')).toThrow(/f line 1: not a \/proc\/vmallocinfo area line: 'garbage here'/);
    expect(bad(`${GOOD}0xf0a00000-0xf0a01000 4096\n`)).toThrow(/line 7: not a/);
    expect(bad('0xf0a00000-0xf0a01000   8192 x')).toThrow(/line 1: size 8192 is not end - start \(4096\)/);
    expect(bad('0xf0a00800-0xf0a01000   2048 x')).toThrow(/line 1: .* not page aligned/);
    expect(bad('0xf0a01000-0xf0a00000   4096 x')).toThrow(/line 1: end .* not above start/);
    expect(bad('0xf0a00000-0xf0a02000 8192 x\n0xf0a01000-0xf0a03000 8192 y')).toThrow(
      /line 2: overlaps line 1/,
    );
    expect(bad('\n\n')).toThrow(/no area lines/);
    expect(bad('garbage')).toThrow(VmallocinfoError);
    // the model does no I/O: a spec whose file was never read names it
    expect(() => resolveSpec('arm32-1g,boot-vmallocinfo=never-read.txt')).toThrow(
      /boot-vmallocinfo never-read\.txt: the file was not read/,
    );
    expect(() => resolveProfile(`arm32-1g,boot-vmallocinfo=${file('bad.txt', 'nope')}`)).toThrow(
      ProfileError,
    );
    expect(() => resolveProfile(`arm32-1g,boot-vmallocinfo=${join(dir, 'missing.txt')}`)).toThrow(
      /cannot read the file \(ENOENT\)/,
    );
    const straddle = file('straddle.txt', '0xf07ff000-0xf0801000 8192 x');
    expect(() => bootOf(`qemu-vexpress-a15,kernel=6.1,boot-vmallocinfo=${straddle}`)).toThrow(
      /line 1: .* straddles the vmalloc window/,
    );
  });
});
