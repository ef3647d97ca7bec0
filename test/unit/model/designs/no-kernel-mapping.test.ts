/**
 * no-kernel-mapping (src/model/designs/no-kernel-mapping.ts, docs/designs.md): the same 3.18 CMA
 * heap passing DMA_ATTR_NO_KERNEL_MAPPING on the 4.1 DMA layer (DMA41-1..3): no window per buffer,
 * kernel mappings on demand (ION-14, NC), the sg table from the handle (B9 gone). Expected: the
 * lowmem linear map stays WB beside NC views (GOLD-35, B17).
 */
import { describe, expect, it } from 'vitest';
import { noKernelMapping } from '../../../../src/model/designs/no-kernel-mapping.ts';
import { VM_TAG } from '../../../../src/model/mm.ts';
import { MemType } from '../../../../src/model/types.ts';
import { alloc, boot, firstViolation, heapsOf, KiB, MiB } from '../../../helpers/kernel.ts';
import { share } from '../../../helpers/zoo.ts';

const kmap0 = { op: 'kmap', client: 1, handle: 0 } as const;

describe('no-kernel-mapping: the stack', () => {
  it('the 4.1 DMA layer, the 3.18 core without B10, the 3.18 CMA heap asking for no kernel mapping', () => {
    expect(noKernelMapping.dmaLayer).toBe('4.1');
    expect(noKernelMapping.ionCore.leakOnPageArrayFailure).toBe(false);
    const k = boot('tiny', 'no-kernel-mapping');
    expect(k.dma.version).toBe('4.1');
    expect(heapsOf(k)[0]).toBe('cma:4:Cma318Heap');
    expect(heapsOf(k).slice(1)).toEqual(heapsOf(boot('tiny', 'legacy-3.18')).slice(1));
  });
});

describe('no-kernel-mapping: no window per buffer', () => {
  it('a highmem CMA alloc takes no window; a kmap takes n + 1 pages NC (ION-14), lazily released', () => {
    const k = boot('arm32-1g,carveout=0', 'no-kernel-mapping');
    expect(k.apply(alloc(MiB)).callPath).not.toContain('dmaAllocRemap');
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(0);
    k.apply(kmap0);
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(257);
    expect(k.ion.buffers.get(0)!.kmapMapping!.type).toBe(MemType.NC);
    k.apply({ op: 'kunmap', client: 1, handle: 0 });
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(0);
  });

  it('vmalloc-bounded holds where legacy-3.18 breaks it (B2)', () => {
    const ops = [alloc(MiB)];
    expect(firstViolation('arm32-1g,heaps=cma', 'no-kernel-mapping', ops, ['vmalloc-bounded'])).toBeNull();
    expect(firstViolation('arm32-1g,heaps=cma', 'legacy-3.18', ops, ['vmalloc-bounded'])).not.toBeNull();
  });

  it("B9 gone: importers get the buffer's own pages (exclusive-ownership holds where legacy-3.18 breaks it)", () => {
    const ops = [alloc(MiB), share, { op: 'dma-map', fd: 0, device: 'gpu' } as const];
    expect(firstViolation('arm32-1g', 'no-kernel-mapping', ops, ['exclusive-ownership'])).toBeNull();
    expect(firstViolation('arm32-1g', 'legacy-3.18', ops, ['exclusive-ownership'])).toEqual({
      inv: 'exclusive-ownership',
      step: 2,
    });
  });
});

describe('no-kernel-mapping: the alias the seed warned about (GOLD-35, B17)', () => {
  it('lowmem CMA keeps its WB linear map (DMA41-2); a kmap adds an NC alias: no-conflicting-alias fails there', () => {
    const k = boot('arm32-1g-cma512,carveout=0', 'no-kernel-mapping');
    k.apply(alloc(64 * KiB));
    const p = k.ion.buffers.get(0)!.pages[0]!;
    expect(k.mm.pages.linearType[p]).toBe(MemType.WB);
    expect(k.mm.pages.typeChanges[p]).toBe(0);
    expect(
      firstViolation(
        'arm32-1g-cma512,heaps=cma',
        'no-kernel-mapping',
        [alloc(64 * KiB), kmap0],
        ['no-conflicting-alias'],
      ),
    ).toEqual({ inv: 'no-conflicting-alias', step: 1 });
  });

  it('the CMA heap still returns -1 when it fails (B11 is in the heap, not the DMA layer)', () => {
    expect(boot('tiny', 'no-kernel-mapping').apply(alloc(8 * MiB))).toMatchObject({ ok: false, errno: 1 });
  });
});
