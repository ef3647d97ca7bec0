import { describe, expect, it } from 'vitest';
import { ProfileError } from '../../../src/errors.ts';
import { computeLayout } from '../../../src/model/layout.ts';
import { PROFILES, resolveProfile } from '../../../src/model/profile.ts';
import { MemType } from '../../../src/model/types.ts';
import { boot, MiB } from '../../helpers/kernel.ts';

describe('boot layout golden numbers (docs/model.md section 4)', () => {
  it('GOLD-1..9 arm32-1g: lowmem 760 MiB, highmem 264 MiB, window 240 MiB, CMA 256 MiB highmem, pool at the CMA base', () => {
    const l = computeLayout(resolveProfile('arm32-1g'));
    expect(l.lowmemLimit).toBe(0xaf800000);
    expect(l.lowmemLimit - l.ramBase).toBe(760 * MiB);
    expect(l.ramEnd - l.lowmemLimit).toBe(264 * MiB);
    expect(l.highMemory).toBe(0xef800000);
    expect([l.vmallocStart, l.vmallocEnd]).toEqual([0xf0000000, 0xff000000]);
    expect((l.vmallocEnd - l.vmallocStart) / 4096).toBe(61_440);
    expect(l.cma).toEqual({ base: 0xb0000000, size: 256 * MiB, zone: 'highmem' });
    const k = boot('arm32-1g');
    expect(k.atomicPool?.page).toBe((0xb0000000 - 0x80000000) / 4096);
    expect(k.atomicPool?.cpuAddr).toBe(0xf0000000);
    expect(k.mm.vmalloc.livePages).toBe(65); // GOLD-8/9: 64 pages + guard
    expect(k.mm.cma?.usedPages).toBe(64);
  });

  it('GOLD-30..32 arm32-1g-cma512: CMA at 0x8F800000 in lowmem, PTE-mapped WB, pool via the linear map, no window', () => {
    const l = computeLayout(resolveProfile('arm32-1g-cma512'));
    expect(l.cma).toEqual({ base: 0x8f800000, size: 512 * MiB, zone: 'lowmem' });
    // GOLD-32's board: no carveout heap, whose creation zeroing leaves lazy window (HEAP-CARVEOUT-1)
    const k = boot('arm32-1g-cma512,carveout=0');
    const base = k.mm.cma!.basePage;
    expect(k.mm.pages.linearType[base + 64]).toBe(MemType.WB);
    expect(k.mm.pages.linearType[base + 131_071]).toBe(MemType.WB);
    expect(k.mm.pages.linearType[base]).toBe(MemType.NC); // the pool's 64 PTEs, NC + XN
    expect(k.mm.vmalloc.usedPages).toBe(0);
    expect(k.atomicPool?.cpuAddr).toBe(0xcf800000);
  });

  it('GOLD-22 vmalloc=S: window S - 8 MiB when S is a multiple of 8 MiB, clamps at 16 MiB and 976 MiB', () => {
    const w = (s: string) => {
      const l = computeLayout(resolveProfile(`arm32-1g,vmalloc=${s}`));
      return {
        lowmem: (l.lowmemLimit - l.ramBase) / MiB,
        start: l.vmallocStart,
        window: (l.vmallocEnd - l.vmallocStart) / MiB,
        cma: l.cma,
      };
    };
    expect(w('480M')).toMatchObject({
      lowmem: 528,
      start: 0xe1800000,
      window: 472,
      cma: { base: 0xb0000000 },
    });
    expect(w('240M')).toMatchObject({
      lowmem: 768,
      start: 0xf0800000,
      window: 232,
      cma: { base: 0xb0000000, zone: 'highmem' },
    });
    expect(w('244M').window).toBe(240);
    for (const s of [48, 96, 128, 256]) expect(w(`${s}M`).window).toBe(s - 8);
    expect(computeLayout(resolveProfile('arm32-1g,vmalloc=1M')).warnings[0]).toMatch(/too small/);
    expect(w('1M').window).toBe(16 - 8);
    expect(computeLayout(resolveProfile('arm32-1g,vmalloc=2G')).vmallocMin).toBe(0xff000000 - 976 * MiB);
  });

  it('cma= placement: fixed @base in lowmem, dynamic with a lowmem limit', () => {
    expect(computeLayout(resolveProfile('arm32-1g,cma=256M@0x90000000')).cma).toEqual({
      base: 0x90000000,
      size: 256 * MiB,
      zone: 'lowmem',
    });
    expect(computeLayout(resolveProfile('arm32-1g,cma=256M@0-0xAF800000')).cma?.base).toBe(0x9f800000);
    // CMA-2: a fixed area straddling high_memory is refused
    expect(computeLayout(resolveProfile('arm32-1g,cma=64M@0xAC000000')).cmaError).toBe(22);
  });

  it('every profile boots and keeps its window and CMA inside RAM', () => {
    for (const p of PROFILES) {
      const l = computeLayout(p);
      expect(l.vmallocStart).toBeLessThan(l.vmallocEnd);
      if (l.cma) {
        expect(l.cma.base).toBeGreaterThanOrEqual(l.ramBase);
        expect(l.cma.base + l.cma.size).toBeLessThanOrEqual(l.ramEnd);
      }
    }
  });

  it('bad profile specs are refused with one line', () => {
    expect(() => resolveProfile('arm64')).toThrow(ProfileError);
    expect(() => resolveProfile('arm32-1g,vmalloc=lots')).toThrow(/not a size/);
    expect(() => resolveProfile('arm32-1g,bogus=1')).toThrow(/unknown profile option/);
    expect(() => resolveProfile('arm32-1g,rules=x86')).toThrow(/rules=/);
  });
});

describe('vmalloc costs through the model (GOLD-16, GOLD-17)', () => {
  it('a 1 MiB vmap costs 257 pages of window until vunmap, then until purge', () => {
    const k = boot('arm32-1g,carveout=0'); // GOLD-9's board: the pool's 65 pages only
    const before = k.mm.vmalloc.usedPages;
    const r = k.apply({ op: 'driver-vmap', pages: 256 });
    expect(r.ok).toBe(true);
    expect(k.mm.vmalloc.usedPages - before).toBe(257);
    k.apply({ op: 'driver-vunmap', area: 0 });
    expect(k.mm.vmalloc.livePages).toBe(65);
    expect(k.mm.vmalloc.usedPages - before).toBe(257);
    k.apply({ op: 'purge' });
    expect(k.mm.vmalloc.usedPages).toBe(before);
  });
});
