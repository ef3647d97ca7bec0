/**
 * Machine profiles (src/model/profile.ts): the built-in boards, spec strings `ID,key=value,...`
 * overriding them field by field, and one-line refusals of bad specs and impossible hardware.
 */

import { describe, expect, it } from 'vitest';
import { ProfileError } from '../../../src/errors.ts';
import { computeLayout } from '../../../src/model/layout.ts';
import {
  DEFAULT_PROFILE_ID,
  PAGE_OFFSET_OF,
  PROFILE_KEYS,
  PROFILES,
  parseSize,
  resolveProfile,
  withHeaps,
  withStaleTlb,
} from '../../../src/model/profile.ts';

const MiB = 1 << 20;
const GiB = 1024 * MiB;

describe('the built-in boards', () => {
  it('arm32-1g is the default: GOLD-1 RAM, 3G/1G, cma=256M, 4 CPUs, 256 KiB pool, CMA_ALIGNMENT 8', () => {
    expect(DEFAULT_PROFILE_ID).toBe('arm32-1g');
    const p = resolveProfile('arm32-1g');
    expect(p).toMatchObject({
      ramBase: 0x80000000,
      ramBytes: GiB,
      split: '3G/1G',
      vmallocArg: null,
      vmallocEnd: 0xff000000,
      cma: { size: 256 * MiB, base: 0, limit: 0 },
      cpus: 4,
      nrCpus: 4,
      ruleSet: 'linux-arm32',
      staleTlb: true,
      atomicPoolBytes: 256 * 1024,
      cmaAlignment: 8,
      dmaBufferable: true,
      debugHighmem: false,
      ionHeaps: null,
      kernel: '3.18',
    });
    expect(PAGE_OFFSET_OF[p.split]).toBe(0xc0000000);
  });

  it('every board resolves and boots its layout; ids are unique', () => {
    expect(new Set(PROFILES.map((p) => p.id)).size).toBe(PROFILES.length);
    for (const p of PROFILES) {
      const r = resolveProfile(p.id);
      expect(r).toEqual(p);
      expect(computeLayout(r).vmallocStart, p.id).toBeLessThan(computeLayout(r).vmallocEnd);
    }
  });

  it('arm32-1g-cma512 differs from arm32-1g only in cma=512M (GOLD-30)', () => {
    const { id: _a, summary: _b, ...base } = resolveProfile('arm32-1g');
    const { id: _c, summary: _d, ...big } = resolveProfile('arm32-1g-cma512');
    expect(big).toEqual({ ...base, cma: { size: 512 * MiB, base: 0, limit: 0 } });
  });
});

describe('spec overrides', () => {
  it("the resolved profile's id is the spec itself, so a replay boots the same machine", () => {
    expect(resolveProfile('arm32-1g,vmalloc=480M').id).toBe('arm32-1g,vmalloc=480M');
  });

  it('vmalloc= sets the boot argument (LAYOUT-3, GOLD-22: 480M gives a 472 MiB window)', () => {
    const p = resolveProfile('arm32-1g,vmalloc=480M');
    expect(p).toMatchObject({ vmallocArg: 480 * MiB, vmallocMin: null });
    const l = computeLayout(p);
    expect([l.vmallocStart, l.vmallocEnd - l.vmallocStart]).toEqual([0xe1800000, 472 * MiB]);
  });

  it('cma=size[@base[-limit]] (CMA-7): only @base makes limit = base + size (fixed)', () => {
    expect(resolveProfile('arm32-1g,cma=128M').cma).toEqual({ size: 128 * MiB, base: 0, limit: 0 });
    expect(resolveProfile('arm32-1g,cma=256M@0x90000000').cma).toEqual({
      size: 256 * MiB,
      base: 0x90000000,
      limit: 0xa0000000,
    });
    expect(resolveProfile('arm32-1g,cma=256M@0-0xAF800000').cma).toEqual({
      size: 256 * MiB,
      base: 0,
      limit: 0xaf800000,
    });
  });

  it('cpus= raises NR_CPUS with it, never lowers it', () => {
    expect(resolveProfile('arm32-1g,cpus=8')).toMatchObject({ cpus: 8, nrCpus: 8 });
    expect(resolveProfile('arm32-1g,cpus=2')).toMatchObject({ cpus: 2, nrCpus: 4 });
  });

  it('on/off keys, rules=, split=, heaps=, cma-alignment=, coherent_pool=, carveout=', () => {
    const p = resolveProfile(
      'arm32-1g,stale-tlb=off,debug-highmem=on,bufferable=0,rules=armv8,split=2G/2G,heaps=cma+system,cma-alignment=12,cma-order-per-bit=1,coherent_pool=512K,carveout=0',
    );
    expect(p).toMatchObject({
      staleTlb: false,
      debugHighmem: true,
      dmaBufferable: false,
      ruleSet: 'armv8',
      split: '2G/2G',
      ionHeaps: ['cma', 'system'],
      cmaAlignment: 12,
      cmaOrderPerBit: 1,
      atomicPoolBytes: 512 * 1024,
      carveout: { size: 0, base: 0x88000000 },
    });
  });

  it('kernel=6.1 moves VMALLOC_END to 0xFF800000 (LAYOUT-2) unless the board states its own (tiny)', () => {
    expect(resolveProfile('arm32-1g,kernel=6.1')).toMatchObject({ kernel: '6.1', vmallocEnd: 0xff800000 });
    expect(resolveProfile('arm32-1g,kernel=6.1,kernel=3.18').vmallocEnd).toBe(0xff000000);
    expect(resolveProfile('tiny,kernel=6.1').vmallocEnd).toBe(resolveProfile('tiny').vmallocEnd);
  });

  it('flavour= swaps the image reservation and keeps the initrd', () => {
    const p = resolveProfile('qemu-vexpress-a15,flavour=lpae');
    expect(p.flavour).toBe('lpae');
    expect(p.memblock.map((r) => r.what)).toEqual(['swapper_pg_dir', 'kernel image', 'initrd']);
    expect(p.memblock[0]!.base).toBe(0x80203000);
  });

  it('initrd=SIZE@BASE places the initramfs; outside RAM is refused', () => {
    const p = resolveProfile('qemu-vexpress-a15,initrd=2M@0x90000000');
    expect(p.memblock.at(-1)).toEqual({ what: 'initrd', base: 0x90000000, size: 2 * MiB });
    expect(() => resolveProfile('qemu-vexpress-a15,initrd=2M@0x10000000')).toThrow(
      /initrd= 2M@0x10000000 is not inside RAM/,
    );
  });
});

describe('refusals: one line naming what is wrong', () => {
  it.each([
    ['vexpress', /^unknown profile 'vexpress' \(known: arm32-1g, /],
    ['arm32-1g,colour=red', /^unknown profile option 'colour' \(known: vmalloc, cma, /],
    ['arm32-1g,vmalloc=lots', /^not a size: 'lots'/],
    ['arm32-1g,cpus=0', /^cpus= takes 1\.\.32, not '0'/],
    ['arm32-1g,cpus=1e1', /^cpus= takes 1\.\.32/],
    ['arm32-1g,rules=armv9', /^rules= takes one of linux-arm32, armv7-b, armv8/],
    ['arm32-1g,stale-tlb=maybe', /^stale-tlb= takes on or off, not 'maybe'/],
    ['arm32-1g,cma-alignment=13', /^cma-alignment= takes 4\.\.12, not '13'/],
    ['arm32-1g,split=3G/2G', /^split= takes 3G\/1G, 2G\/2G or 1G\/3G/],
    ['arm32-1g,heaps=cma+vram', /^heaps= takes heap names joined by '\+'/],
    ['arm32-1g,kernel=4.9', /^kernel= takes one of 3\.18, 6\.1, not '4\.9'/],
    ['arm32-1g,flavour=omap', /^flavour= takes one of armmp, lpae/],
    ['arm32-1g,ram=6M', /^ram= must be a multiple of 4 MiB and at least 4 MiB/],
    ['arm32-1g,boot-vmallocinfo=', /^boot-vmallocinfo= needs a file name/],
    ['arm32-1g,boot-vmallocinfo=nowhere.txt', /^boot-vmallocinfo nowhere\.txt: the file was not read/],
  ])('%s', (spec, why) => {
    expect(() => resolveProfile(spec)).toThrow(ProfileError);
    expect(() => resolveProfile(spec)).toThrow(why);
    try {
      resolveProfile(spec);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('impossible hardware is refused before anything boots (profile-check.ts): 4 GiB at 0x80000000 without LPAE', () => {
    expect(() => resolveProfile('arm32-1g,ram=4G')).toThrow(
      /^ram=4G at 0x80000000 ends at 0x180000000, beyond the 4 GiB physical address space of ARM32 without LPAE/,
    );
    expect(resolveProfile('arm32-4g').ramBytes).toBe(4 * GiB);
  });
});

describe('parseSize and the spec helpers', () => {
  it('parseSize is memparse-like: K, M, G suffixes, hex and plain bytes', () => {
    expect(parseSize('64K')).toBe(65536);
    expect(parseSize('256m')).toBe(256 * MiB);
    expect(parseSize('1G')).toBe(GiB);
    expect(parseSize('0x10000000')).toBe(256 * MiB);
    expect(parseSize(' 4096 ')).toBe(4096);
    expect(() => parseSize('1.5M')).toThrow(ProfileError);
  });

  it('withHeaps adds heaps= only for a strict subset; withStaleTlb adds stale-tlb=off only when off', () => {
    expect(withHeaps('arm32-1g', ['cma'])).toBe('arm32-1g,heaps=cma');
    expect(withHeaps('arm32-1g', ['system', 'system-contig', 'carveout', 'cma'])).toBe('arm32-1g');
    expect(withHeaps('arm32-1g', undefined)).toBe('arm32-1g');
    expect(withStaleTlb('tiny', true)).toBe('tiny');
    expect(withStaleTlb('tiny', false)).toBe('tiny,stale-tlb=off');
    expect(resolveProfile(withStaleTlb(withHeaps('tiny', ['cma']), false))).toMatchObject({
      staleTlb: false,
      ionHeaps: ['cma'],
    });
  });

  it('every key the parser knows is listed in PROFILE_KEYS', () => {
    expect(PROFILE_KEYS).toEqual(
      expect.arrayContaining([
        'vmalloc',
        'cma',
        'ram',
        'cpus',
        'heaps',
        'kernel',
        'flavour',
        'initrd',
        'boot-vmallocinfo',
      ]),
    );
  });
});
