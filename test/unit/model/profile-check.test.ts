/**
 * Impossible hardware is refused with one line before anything boots (src/model/profile-check.ts):
 * RAM past the 32-bit physical space without LPAE, more RAM than the model holds, an ION carveout
 * asked for outside reserved lowmem, an atomic pool that is empty, unaligned or cannot be placed
 * (DMA318-9: from the CMA area when there is one, else lowmem, remapped into the window).
 */

import { describe, expect, it } from 'vitest';
import { ProfileError } from '../../../src/errors.ts';
import { PROFILES, type Profile, resolveProfile } from '../../../src/model/profile.ts';
import { checkHardware, LPAE_PROFILES, RAM_MAX_BYTES } from '../../../src/model/profile-check.ts';

const MiB = 1 << 20;
const base = (id: string) => PROFILES.find((p) => p.id === id)!;
const check = (id: string, over: Partial<Profile>) => () => checkHardware({ ...base(id), ...over }, base(id));

describe('checkHardware', () => {
  it('passes every built-in board as it is', () => {
    for (const p of PROFILES) expect(() => checkHardware(p, p), p.id).not.toThrow();
  });

  it('RAM must end within 4 GiB without LPAE; only arm32-4g models LPAE', () => {
    expect([...LPAE_PROFILES]).toEqual(['arm32-4g']);
    expect(check('arm32-1g', { ramBytes: 2048 * MiB })).not.toThrow(); // ends exactly at 4 GiB
    expect(check('arm32-1g', { ramBytes: 2052 * MiB })).toThrow(
      'ram=2052M at 0x80000000 ends at 0x100400000, beyond the 4 GiB physical address space of ARM32 without LPAE (at most ram=2G here; arm32-4g models LPAE)',
    );
    expect(check('arm32-4g', { ramBytes: 8192 * MiB })).not.toThrow();
  });

  it('no more RAM than the model keeps per-page state for (16 GiB)', () => {
    expect(RAM_MAX_BYTES).toBe(16 * 1024 * MiB);
    expect(check('arm32-4g', { ramBytes: 17 * 1024 * MiB })).toThrow(
      /^ram=17G is more than ionck models \(at most 16G\)$/,
    );
  });

  it('a carveout asked for must be page-aligned reserved lowmem', () => {
    expect(check('arm32-1g', { carveout: { base: 0xb0000000, size: 16 * MiB } })).toThrow(
      /^carveout=16M@0xb0000000 cannot be placed: ION's carveout must be page-aligned reserved lowmem inside 0x80000000\.\.0xaf800000$/,
    );
    expect(check('arm32-1g', { carveout: { base: 0x88000800, size: 16 * MiB } })).toThrow(ProfileError);
    expect(check('arm32-1g', { carveout: { base: 0x70000000, size: MiB } })).toThrow(/cannot be placed/);
    expect(check('arm32-1g', { carveout: { base: 0x90000000, size: 16 * MiB } })).not.toThrow();
  });

  it("the board's own carveout left outside a shrunken lowmem is not an error (it is dropped)", () => {
    // vmalloc=976M: lowmem ends at 0x81000000, below the board's carveout at 0x88000000
    expect(() => resolveProfile('arm32-1g,vmalloc=976M')).not.toThrow();
  });

  it('the atomic pool must be a positive multiple of 4K', () => {
    for (const bad of [0, 6000])
      expect(check('arm32-1g', { atomicPoolBytes: bad })).toThrow(
        `coherent_pool=${bad} is not a usable atomic pool: it must be a positive multiple of 4K (default 256K)`,
      );
  });

  it('and must fit the CMA area it comes from, and the window it is remapped into', () => {
    expect(() => resolveProfile('tiny,coherent_pool=8M')).toThrow(
      /^coherent_pool=8M cannot be placed: larger than the vmalloc window less its guard page \(\d+K\)$/,
    );
    expect(() => resolveProfile('arm32-1g,coherent_pool=128M,cma=64M')).toThrow(
      'coherent_pool=128M cannot be placed: larger than the CMA area (64M)',
    );
    expect(() => resolveProfile('arm32-1g,coherent_pool=300M')).toThrow(
      'coherent_pool=300M cannot be placed: larger than the vmalloc window less its guard page (245756K)',
    );
    expect(() => resolveProfile('arm32-1g,coherent_pool=64M,cma=64M')).not.toThrow();
  });

  it('a pool exactly the size of the window is refused: its vm area needs a guard page (VMALLOC-1)', () => {
    expect(() => resolveProfile('tiny,coherent_pool=2M')).toThrow(
      'coherent_pool=2M cannot be placed: larger than the vmalloc window less its guard page (2044K)',
    );
    expect(() => resolveProfile('tiny,coherent_pool=2040K')).not.toThrow();
  });

  it('a vmalloc= that leaves no window names vmalloc=, not the pool (LAYOUT-3)', () => {
    expect(() => resolveProfile('tiny,vmalloc=1M')).toThrow(
      /^vmalloc=1M leaves no vmalloc window \(VMALLOC_START 0x/,
    );
    expect(() => resolveProfile('arm32-1g,vmalloc=480M')).not.toThrow();
  });
});
