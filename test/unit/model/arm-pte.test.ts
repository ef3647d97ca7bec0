/**
 * What ptprobe reads for a linear-map page (src/model/arm-pte.ts). The PTE figures are the real
 * kernel's (docs/oracle.md, "Linear-map memory types", case b: buffer at 0x90100000).
 */
import { describe, expect, it } from 'vitest';
import { L_PTE_MT, linearMemTypeOf, ptprobePte } from '../../../src/model/arm-pte.ts';
import { NO_LINEAR } from '../../../src/model/pages.ts';
import { MemType } from '../../../src/model/types.ts';

describe('linearMemTypeOf', () => {
  it('names each memory class (ARCH-1) and a page without a linear mapping', () => {
    expect(linearMemTypeOf(MemType.WB)).toBe('write-back');
    expect(linearMemTypeOf(MemType.NC)).toBe('non-cacheable');
    expect(linearMemTypeOf(MemType.DEV)).toBe('device');
    expect(linearMemTypeOf(MemType.SO)).toBe('strongly-ordered');
    expect(linearMemTypeOf(NO_LINEAR)).toBe('none');
  });

  it("gives the kernel's L_PTE_MT_* name of each (PAGE_KERNEL is WRITEALLOC, dmacoherent BUFFERABLE)", () => {
    expect(L_PTE_MT['write-back']).toBe('L_PTE_MT_WRITEALLOC');
    expect(L_PTE_MT['non-cacheable']).toBe('L_PTE_MT_BUFFERABLE');
    expect(L_PTE_MT.none).toBe('-');
  });
});

describe('ptprobePte (docs/oracle.md, ptprobe case b)', () => {
  it('armmp prints "Linux PTE / hardware PTE": 0x9010065f / 0x9010045f free, 0x90100647 / 0x90100417 held', () => {
    expect(ptprobePte('armmp', 'write-back', 0x90100000)).toBe('0x9010065f / 0x9010045f');
    expect(ptprobePte('armmp', 'non-cacheable', 0x90100000)).toBe('0x90100647 / 0x90100417');
    // the pool's page at the CMA base, non-cacheable at boot
    expect(ptprobePte('armmp', 'non-cacheable', 0x90000000)).toBe('0x90000647 / 0x90000417');
  });

  it('LPAE prints one 64-bit descriptor: 0x00c000009010071f free, 0x00c0000090100707 held', () => {
    expect(ptprobePte('lpae', 'write-back', 0x90100000)).toBe('0x00c000009010071f');
    expect(ptprobePte('lpae', 'non-cacheable', 0x90100000)).toBe('0x00c0000090100707');
  });

  it('is null where the oracle has no figure: no flavour, or a type it never read', () => {
    expect(ptprobePte(null, 'write-back', 0x90100000)).toBeNull();
    expect(ptprobePte('armmp', 'strongly-ordered', 0x90100000)).toBeNull();
    expect(ptprobePte('lpae', 'none', 0x90100000)).toBeNull();
  });
});
