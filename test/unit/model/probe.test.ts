/**
 * The model's twin of the oracle's dmaprobe (src/model/probe.ts): dma_alloc_attrs() of the
 * kernel= rule set for a non-coherent device with the default CMA area. The figures are the real
 * 6.1 kernel's (docs/oracle.md, "DMA" and "Linear-map memory types"); the 3.18 ones are GOLD rows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { provideBootVmallocinfo } from '../../../src/model/boot-vmallocinfo.ts';
import { type ProbeOptions, runProbe } from '../../../src/model/probe.ts';
import { boot, MiB } from '../../helpers/kernel.ts';

const opts = (o: Partial<ProbeOptions>): ProbeOptions => ({
  sizes: [MiB],
  noKernelMapping: false,
  max: 100_000,
  purgeFirst: false,
  ...o,
});

const BASELINE = 'test/fixtures/oracle/qemu-arm-6.1/vmallocinfo/dma-a-armmp.baseline.txt';
const ORACLE = 'qemu-vexpress-a15,kernel=6.1,flavour=armmp,vmalloc=240M';

describe('6.1 on the oracle board (docs/oracle.md)', () => {
  it('case b (cma=512M, lowmem): 511 linear buffers, 0xD0100000 -> 0x90100000 first, then cma_alloc fails -ENOMEM', () => {
    const r = runProbe(boot(`${ORACLE},cma=512M`), opts({}));
    expect(r.dmaLayer).toBe('6.1');
    expect(r.mode).toBe('count');
    expect(r.succeeded).toBe(511);
    expect(r.where).toEqual({ vmalloc: 0, linear: 511, cookie: 0 });
    expect(r.first).toMatchObject({
      cpuAddr: 0xd0100000,
      handle: 0x90100000,
      where: 'linear',
      areaBytes: null,
    });
    expect(r.last).toMatchObject({ cpuAddr: 0xeff00000, handle: 0xaff00000 });
    expect(r.failure).toMatchObject({ function: 'cma_alloc', errno: 12 });
    expect(r.failure!.messages[0]).toBe(
      'cma: cma_alloc: reserved: alloc failed, req-size: 256 pages, ret: -12',
    );
  });

  it('case b, ptprobe: the first page is write-back at boot, non-cacheable while held, write-back after free', () => {
    const r = runProbe(boot(`${ORACLE},cma=512M`), opts({ max: 1 }));
    expect(r.linearMap).toEqual({
      firstPagePhys: 0x90100000,
      lastPagePhys: 0x901ff000,
      before: { first: 'write-back', last: 'write-back' },
      held: { first: 'non-cacheable', last: 'non-cacheable' },
      afterFree: { first: 'write-back', last: 'write-back' },
    });
    // NO_KERNEL_MAPPING leaves the linear map alone
    const nk = runProbe(boot(`${ORACLE},cma=512M`), opts({ max: 1, noKernelMapping: true }));
    expect(nk.noKernelMappingHonoured).toBe(true);
    expect(nk.first).toMatchObject({ cpuAddr: 0, handle: 0x90100000, where: 'cookie' });
    expect(nk.linearMap!.held).toEqual({ first: 'write-back', last: 'write-back' });
  });

  it('case a (cma=256M, highmem) on the real boot window: 233 buffers, areas of 1052672, then the vmap failure', () => {
    provideBootVmallocinfo(
      BASELINE,
      readFileSync(new URL(`../../${BASELINE.slice(5)}`, import.meta.url), 'utf8'),
    );
    const r = runProbe(boot(`${ORACLE},cma=256M,boot-vmallocinfo=${BASELINE}`), opts({}));
    expect(r.succeeded).toBe(233);
    expect(r.where).toEqual({ vmalloc: 233, linear: 0, cookie: 0 });
    expect(r.first).toMatchObject({ handle: 0xb0100000, areaBytes: 1_052_672 });
    expect(r.last).toMatchObject({ cpuAddr: 0xff606000, handle: 0xbe900000 });
    expect(r.failure).toMatchObject({ function: 'alloc_vmap_area', errno: 16 });
    expect(r.failure!.messages[0]).toBe(
      'vmap allocation for size 1052672 failed: use vmalloc=<size> to increase size',
    );
    // count mode lists the first and the last buffer only, as dmaprobe prints
    expect(r.buffers).toEqual([r.first, r.last]);
  });
});

describe('3.18 (the default kernel= rule set)', () => {
  it('arm32-1g: GOLD-12/13 through the DMA layer alone: 0xF0041000 -> 0xB0100000 first, areas of 1 MiB + guard', () => {
    const r = runProbe(boot('arm32-1g,carveout=0'), opts({}));
    expect(r.dmaLayer).toBe('3.18');
    expect(r.first).toMatchObject({
      cpuAddr: 0xf0041000,
      handle: 0xb0100000,
      where: 'vmalloc',
      areaBytes: MiB + 4096,
    });
    // GOLD-13: 61,375 free window pages / 257 = 238 buffers
    expect(r.succeeded).toBe(238);
    expect(r.failure!.messages[0]).toBe(
      'vmap allocation for size 1052672 failed: use vmalloc=<size> to increase size.',
    );
  });

  it('ignores NO_KERNEL_MAPPING (DMA318-12) and says so', () => {
    const r = runProbe(boot('arm32-1g,carveout=0'), opts({ max: 1, noKernelMapping: true }));
    expect(r.noKernelMappingHonoured).toBe(false);
    expect(r.first!.where).toBe('vmalloc');
  });

  it('mode=small holds one buffer per size and lists every one; the probe frees them all', () => {
    const k = boot('arm32-1g-cma512,carveout=0');
    const used = k.mm.cma!.usedPages;
    const r = runProbe(k, opts({ sizes: [4096, 65536, MiB] }));
    expect(r.mode).toBe('small');
    expect(r.buffers.map((b) => [b.size, b.where])).toEqual([
      [4096, 'linear'],
      [65536, 'linear'],
      [MiB, 'linear'],
    ]);
    expect(k.mm.cma!.usedPages).toBe(used);
  });
});
