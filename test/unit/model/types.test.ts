/** The model's units, errnos and conversions (src/model/types.ts). */
import { describe, expect, it } from 'vitest';
import {
  assertNever,
  Errno,
  errnoName,
  fail,
  fls,
  getOrder,
  HEAP_NAMES,
  hex,
  MEM_TYPES,
  MemType,
  ModelBug,
  memTypeName,
  ok,
  PAGE_SHIFT,
  PAGE_SIZE,
  pagesOf,
  pfnOfPhys,
  physOfPfn,
  SZ_1M,
} from '../../../src/model/types.ts';

describe('errnos', () => {
  it('carry the Linux values (include/uapi/asm-generic/errno-base.h)', () => {
    expect(Errno).toEqual({
      EPERM: 1,
      ENOENT: 2,
      ENXIO: 6,
      EBADF: 9,
      ENOMEM: 12,
      EBUSY: 16,
      ENODEV: 19,
      EINVAL: 22,
      ENOSPC: 28,
    });
  });

  it('errnoName names each known value and falls back to E<n>', () => {
    for (const [name, v] of Object.entries(Errno)) expect(errnoName(v)).toBe(name);
    expect(errnoName(1)).toBe('EPERM'); // B11: the 3.18 CMA heap's -1
    expect(errnoName(95)).toBe('E95');
  });

  it('ok and fail build the two KResult shapes', () => {
    expect(ok(7)).toEqual({ ok: true, value: 7 });
    expect(fail(Errno.ENOMEM)).toEqual({ ok: false, errno: 12 });
  });
});

describe('page arithmetic (LAYOUT-1: PAGE_SIZE 4096)', () => {
  it('constants', () => {
    expect(PAGE_SIZE).toBe(1 << PAGE_SHIFT);
    expect(PAGE_SIZE).toBe(4096);
    expect(SZ_1M).toBe(256 * PAGE_SIZE);
  });

  it('pfn <-> phys: pfn = phys >> 12 (GOLD-7: 0xB0000000 is pfn 0xB0000)', () => {
    expect(pfnOfPhys(0xb0000000)).toBe(0xb0000);
    expect(pfnOfPhys(0xb0000fff)).toBe(0xb0000);
    expect(physOfPfn(0xb0041)).toBe(0xb0041000);
    // above 2^31: no sign trouble
    expect(physOfPfn(pfnOfPhys(0xbffff000))).toBe(0xbffff000);
  });

  it('pagesOf is PAGE_ALIGN in pages (GOLD-10: 100,000 bytes -> 25 pages)', () => {
    expect(pagesOf(0)).toBe(0);
    expect(pagesOf(1)).toBe(1);
    expect(pagesOf(4096)).toBe(1);
    expect(pagesOf(4097)).toBe(2);
    expect(pagesOf(100_000)).toBe(25);
  });

  it('getOrder is get_order(): smallest order covering the size (GOLD-11)', () => {
    expect(getOrder(4096)).toBe(0);
    expect(getOrder(1)).toBe(0);
    expect(getOrder(0)).toBe(0);
    expect(getOrder(8192)).toBe(1);
    expect(getOrder(12_288)).toBe(2);
    expect(getOrder(100_000)).toBe(5); // 25 pages -> 32
    expect(getOrder(SZ_1M)).toBe(8);
    expect(getOrder(SZ_1M + 1)).toBe(9);
  });

  it('fls is 1-based (GOLD-18: lazy_max_pages = fls(4) x 8192 = 24,576)', () => {
    expect(fls(0)).toBe(0);
    expect(fls(1)).toBe(1);
    expect(fls(4)).toBe(3);
    expect(fls(4) * 8192).toBe(24_576);
    expect(fls(0x80000000)).toBe(32);
  });

  it('hex pads to 8 upper-case digits, as reports print addresses', () => {
    expect(hex(0xf0041000)).toBe('0xF0041000');
    expect(hex(0x1000)).toBe('0x00001000');
  });
});

describe('memory types (ARCH-1) and heap names (ION-1)', () => {
  it('four classes, numeric so per-page counters index by them', () => {
    expect(MEM_TYPES).toEqual([MemType.WB, MemType.NC, MemType.DEV, MemType.SO]);
    expect(MEM_TYPES.map(memTypeName)).toEqual(['WB', 'NC', 'DEV', 'SO']);
    expect(new Set(MEM_TYPES).size).toBe(4);
    expect(memTypeName(9 as MemType)).toBe('?');
  });

  it('the four heaps a board can declare', () => {
    expect(HEAP_NAMES).toEqual(['system', 'system-contig', 'carveout', 'cma']);
  });

  it('assertNever throws a ModelBug naming the value', () => {
    expect(() => assertNever('x' as never, 'op')).toThrow(ModelBug);
    expect(() => assertNever('x' as never, 'op')).toThrow('unhandled op: "x"');
  });
});
