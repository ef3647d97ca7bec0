/**
 * Golden tests from real boots (docs/oracle.md): Debian's armhf 6.1 kernels, flavours armmp and
 * lpae, on QEMU vexpress-a15 with 1 GiB. test/fixtures/oracle/qemu-arm-6.1/cases.json holds the
 * facts extracted from the logs by scripts/oracle/extract-fixtures.ts; `ionck layout` and `ionck
 * probe` (kernel=6.1) are held to every figure. The fixture is never adjusted to the model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ptprobePte } from '../../src/model/arm-pte.ts';
import { builtinDesign, DEFAULT_DESIGN_IDS } from '../../src/model/designs/index.ts';
import { Kernel } from '../../src/model/kernel.ts';
import { resolveProfile } from '../../src/model/profile.ts';
import { MemType } from '../../src/model/types.ts';
import { cli, ROOT } from '../helpers/cli.ts';

const DIR = join(ROOT, 'test/fixtures/oracle/qemu-arm-6.1');

interface Range {
  start: number;
  end: number;
}
interface ProbeLine {
  index: number;
  size: number;
  cpuAddr: number;
  handle: number;
  isVmallocAddr: boolean;
  kind: string;
}
interface Run {
  succeeded: number;
  vmalloc: number;
  linear: number;
  other: number;
  first: ProbeLine;
  last: ProbeLine;
  failureLines: string[];
}
interface Boot {
  case: string;
  flavour: 'armmp' | 'lpae';
  cmdline: string;
  cmaReserved: { base: number; size: number };
  zoneDma: Range;
  zoneHighMem: Range | null;
  vmallocTotalKb: number;
  kernelCode: Range;
  kernelData: Range;
  atomicPoolKib: number;
}
interface LayoutCase extends Boot {
  firstVmallocArea: number;
}
interface DmaCase extends Boot {
  highMemory: number;
  vmallocStart: number;
  vmallocEnd: number;
  baselineVmallocinfo: string;
  atomicPoolArea: { start: number; end: number; bytes: number } | null;
  count: Run;
  countHold16: Run;
  nokmap: Run;
  small: ProbeLine[];
  smallAreas: { start: number; bytes: number }[];
}
interface PteMoment {
  linuxPte: string;
  hwPte: string | null;
  mt: string;
}
interface PteCase {
  case: string;
  flavour: 'armmp' | 'lpae';
  cmdline: string;
  cpuAddr: number;
  handle: number;
  moments: Record<string, PteMoment>;
}

const FIX = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as {
  layout: LayoutCase[];
  dma: DmaCase[];
  pte: PteCase[];
};

/** The profile of a boot: the oracle board, kernel=6.1, its flavour and its command line. */
const specOf = (c: { flavour: string; cmdline: string }, vmallocinfo?: string): string =>
  [
    'qemu-vexpress-a15',
    'kernel=6.1',
    `flavour=${c.flavour}`,
    ...c.cmdline.split(' ').filter((w) => w !== ''),
    ...(vmallocinfo ? [`boot-vmallocinfo=${join(DIR, vmallocinfo)}`] : []),
  ].join(',');

async function json(argv: string[]) {
  const r = await cli(argv);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** `ionck probe --json ARGS --profile SPEC`, parsed (exit 0 asserted). */
const probeJson = (spec: string, args: string[]) => json(['probe', '--json', ...args, '--profile', spec]);

const dmaCase = (c: string, f: string): DmaCase => FIX.dma.find((d) => d.case === c && d.flavour === f)!;

describe('fixtures', () => {
  it('hold every case in both flavours', () => {
    const ids = (xs: { case: string; flavour: string }[]) => xs.map((x) => `${x.case}-${x.flavour}`).sort();
    expect(ids(FIX.layout)).toEqual([
      'a-armmp',
      'a-lpae',
      'b-armmp',
      'b-lpae',
      'c-armmp',
      'c-lpae',
      'e-armmp',
      'e-lpae',
    ]);
    expect(ids(FIX.dma)).toEqual(['a-armmp', 'a-lpae', 'b-armmp', 'b-lpae']);
    expect(ids(FIX.pte)).toEqual(['b-armmp', 'b-lpae']);
  });
});

describe('ionck layout --json against the real boots', () => {
  for (const c of FIX.layout) {
    it(`case ${c.case} ${c.flavour} (${c.cmdline || 'no cma=/vmalloc='}): zones, window, CMA, atomic pool`, async () => {
      const j = await json(['layout', '--json', '--profile', specOf(c)]);
      // zones: DMA = lowmem, HighMem = the rest
      expect(j.lowmem.physEnd).toBe(c.zoneDma.end);
      expect(j.highmem.physStart).toBe(c.zoneHighMem!.start);
      expect(j.highmem.physEnd).toBe(c.zoneHighMem!.end);
      // VmallocTotal and the first area of /proc/vmallocinfo (at VMALLOC_START)
      expect(j.vmalloc.bytes).toBe(c.vmallocTotalKb * 1024);
      expect(j.vmalloc.start).toBe(c.firstVmallocArea);
      // cma: Reserved N MiB at BASE
      expect(j.cmaFailure).toBeNull();
      expect(j.cma).toEqual([
        { base: c.cmaReserved.base, size: c.cmaReserved.size, zone: expect.any(String) },
      ]);
      expect(j.cma[0].zone).toBe(c.cmaReserved.base >= c.zoneDma.end ? 'highmem' : 'lowmem');
      // DMA: preallocated 256 KiB pool for atomic coherent allocations
      expect(j.atomicPool.size).toBe(c.atomicPoolKib * 1024);
      // the kernel image reserved before CMA covers /proc/iomem's Kernel code .. Kernel data
      const image = j.memblock.find((r: { what: string }) => r.what === 'kernel image');
      expect(image.base).toBeLessThanOrEqual(c.kernelCode.start);
      expect(image.base + image.size).toBeGreaterThanOrEqual(c.kernelData.end);
      expect(image.base + image.size - c.kernelData.end).toBeLessThan(4096);
    });
  }

  for (const c of FIX.dma) {
    it(`case ${c.case} ${c.flavour}: high_memory, VMALLOC_START, VMALLOC_END as dmaprobe printed them; the atomic pool's area`, async () => {
      const j = await json(['layout', '--json', '--profile', specOf(c, c.baselineVmallocinfo)]);
      expect(j.kernel).toBe('6.1');
      expect(j.highMemory).toBe(c.highMemory);
      expect(j.vmalloc.start).toBe(c.vmallocStart);
      expect(j.vmalloc.end).toBe(c.vmallocEnd);
      expect(j.atomicPool.phys).toBe(c.cmaReserved.base);
      // highmem CMA: one dma-coherent area of 256 KiB + guard, found by first fit among the boot areas
      if (c.atomicPoolArea) expect(j.atomicPool.area).toEqual(c.atomicPoolArea);
      else {
        expect(j.atomicPool.area).toBeNull();
        expect(j.atomicPool.vaddr).toBe(c.cmaReserved.base - 0x80000000 + 0xc0000000);
      }
    });
  }
});

describe('ionck probe --size 1M against dmaprobe mode=count', () => {
  for (const c of FIX.dma) {
    it(`case ${c.case} ${c.flavour}: ${c.count.succeeded} buffers, then the kernel's failure`, async () => {
      const j = await probeJson(specOf(c, c.baselineVmallocinfo), ['--size', '1M']);
      for (const run of [c.count, c.countHold16]) {
        expect(j.succeeded).toBe(run.succeeded);
        expect(j.where).toEqual({ vmalloc: run.vmalloc, linear: run.linear, cookie: run.other });
        expect(j.failure.messages).toEqual(run.failureLines);
        expect(j.last.cpuAddr).toBe(run.last.cpuAddr);
        expect(j.last.handle).toBe(run.last.handle);
        expect(j.first.handle).toBe(run.first.handle);
        expect(j.first.where === 'vmalloc').toBe(run.first.isVmallocAddr);
      }
      // the hold=16 run started from the baseline vmallocinfo (the first run's vmap failure purged the lazy areas)
      expect(j.first.cpuAddr).toBe(c.countHold16.first.cpuAddr);
      expect(j.failure.errnoName).toBe(c.count.vmalloc > 0 ? 'EBUSY' : 'ENOMEM');
      expect(j.failure.function).toBe(c.count.vmalloc > 0 ? 'alloc_vmap_area' : 'cma_alloc');
      if (c.count.vmalloc > 0) expect(j.first.areaBytes).toBe(1024 * 1024 + 4096);
    });
  }

  it("case a: the first run's first cpu_addr is past insmod's lazily freed copy of the module, which the baseline does not show", async () => {
    // Not modelled (docs/oracle.md): the module loader vmallocs the .ko image and vfrees it
    // (lazily) before the module's init runs, so the first run found it at the first fit; its
    // size is in no log. What the logs do fix: the gap it took is free in the baseline and
    // lies right below the first run's first buffer, at the model's first fit.
    for (const f of ['armmp', 'lpae']) {
      const c = dmaCase('a', f);
      const j = await probeJson(specOf(c, c.baselineVmallocinfo), ['--size', '1M', '--max', '1']);
      const gap = c.count.first.cpuAddr - j.first.cpuAddr;
      expect(gap).toBeGreaterThan(0);
      expect(gap).toBeLessThan(1024 * 1024 + 4096);
      const lines = readFileSync(join(DIR, c.baselineVmallocinfo), 'utf8').split('\n');
      const busy = lines.some((l) => {
        const m = /^0x([0-9a-f]+)-0x([0-9a-f]+)/.exec(l);
        return (
          m !== null &&
          Number.parseInt(m[1]!, 16) < c.count.first.cpuAddr &&
          Number.parseInt(m[2]!, 16) > j.first.cpuAddr
        );
      });
      expect(busy).toBe(false);
    }
  });
});

describe('ionck probe --size 4K,64K,1M against dmaprobe mode=small', () => {
  for (const c of FIX.dma) {
    it(`case ${c.case} ${c.flavour}: addresses, handles and area sizes (4 KiB, 64 KiB, 1 MiB + guard)`, async () => {
      // mode=small ran after runs that ended in a vmap failure, which purged the lazy areas
      const j = await probeJson(specOf(c, c.baselineVmallocinfo), ['--size', '4K,64K,1M', '--after-purge']);
      expect(j.mode).toBe('small');
      expect(j.succeeded).toBe(3);
      expect(j.failure).toBeNull();
      const areas = new Map(c.smallAreas.map((a) => [a.start, a.bytes]));
      expect(j.buffers.length).toBe(c.small.length);
      c.small.forEach((s, i) => {
        const b = j.buffers[i];
        expect(b.size).toBe(s.size);
        expect(b.cpuAddr).toBe(s.cpuAddr);
        expect(b.handle).toBe(s.handle);
        expect(b.where === 'vmalloc').toBe(s.isVmallocAddr);
        expect(b.areaBytes).toBe(areas.get(s.cpuAddr) ?? null);
      });
      if (c.case === 'a')
        expect(j.buffers.map((b: { areaBytes: number }) => b.areaBytes)).toEqual([8192, 69632, 1052672]);
    });
  }
});

describe('ionck probe --attrs no-kernel-mapping against dmaprobe mode=nokmap', () => {
  for (const c of FIX.dma) {
    it(`case ${c.case} ${c.flavour}: no vmalloc area, CMA first, then the buddy allocator in lowmem`, async () => {
      const j = await probeJson(specOf(c, c.baselineVmallocinfo), [
        '--size',
        '1M',
        '--attrs',
        'no-kernel-mapping',
      ]);
      expect(c.nokmap.vmalloc).toBe(0);
      expect(j.where.vmalloc).toBe(0);
      expect(j.first.where === 'vmalloc').toBe(c.nokmap.first.isVmallocAddr);
      expect(j.first.handle).toBe(c.nokmap.first.handle);
      expect(j.first.areaBytes).toBeNull();
      // after CMA is exhausted the last buffers come from lowmem outside the CMA area
      const outsideCma = (h: number) =>
        h < c.zoneDma.end && (h < c.cmaReserved.base || h >= c.cmaReserved.base + c.cmaReserved.size);
      expect(outsideCma(c.nokmap.last.handle)).toBe(true);
      expect(outsideCma(j.last.handle)).toBe(true);
      expect(j.succeeded).toBeGreaterThan(c.cmaReserved.size / 2 ** 20 - 1);
      expect(c.nokmap.failureLines[0]).toBe(j.failure.messages[0]);
      expect(j.failure.function).toBe('alloc_pages');
    });
  }
});

describe('linear-map memory types against ptprobe (case b, lowmem CMA)', () => {
  for (const c of FIX.pte) {
    it(`${c.flavour}: write-back at boot, non-cacheable while held, write-back after free; unchanged with NO_KERNEL_MAPPING`, async () => {
      const spec = specOf(c);
      const coherent = await probeJson(spec, ['--size', '1M', '--max', '1']);
      const nokmap = await probeJson(spec, ['--size', '1M', '--max', '1', '--attrs', 'no-kernel-mapping']);
      expect(coherent.first.cpuAddr).toBe(c.cpuAddr);
      expect(coherent.first.handle).toBe(c.handle);
      const pte = (m: { pte: string }) => m.pte;
      const real = (k: string) =>
        c.moments[k]!.hwPte ? `${c.moments[k]!.linuxPte} / ${c.moments[k]!.hwPte}` : c.moments[k]!.linuxPte;
      for (const which of ['first', 'last'] as const) {
        const page = coherent.linearMap[`${which}Page`];
        expect(pte(page.before)).toBe(real(`BASELINE-FREE-CMA/${which}`));
        expect(page.before.mt).toBe(c.moments[`BASELINE-FREE-CMA/${which}`]!.mt);
        expect(pte(page.held)).toBe(real(`COHERENT-ALLOC/${which}`));
        expect(page.held.mt).toBe(c.moments[`COHERENT-ALLOC/${which}`]!.mt);
        expect(pte(page.afterFree)).toBe(real(`COHERENT-AFTER-FREE/${which}`));
        expect(page.afterFree.mt).toBe(c.moments[`COHERENT-AFTER-FREE/${which}`]!.mt);
        const nk = nokmap.linearMap[`${which}Page`];
        expect(pte(nk.held)).toBe(real(`NOKMAP-ALLOC/${which}`));
        expect(nk.held.mt).toBe(c.moments[`NOKMAP-ALLOC/${which}`]!.mt);
      }
    });

    it(`${c.flavour}: the atomic pool's page at the CMA base is non-cacheable at boot`, () => {
      const k = Kernel.boot(resolveProfile(specOf(c)), builtinDesign(DEFAULT_DESIGN_IDS[0]!)!);
      const pool = k.atomicPool!;
      const phys = k.mm.layout.ramBase + pool.page * 4096;
      const key = Object.keys(c.moments).find((m) => m.startsWith('LAYOUT-cma-start-'))!;
      expect(phys).toBe(Number.parseInt(key.slice('LAYOUT-cma-start-'.length), 16));
      expect(k.mm.pages.linearType[pool.page]).toBe(MemType.NC);
      const m = c.moments[key]!;
      expect(ptprobePte(c.flavour, 'non-cacheable', phys)).toBe(
        m.hwPte ? `${m.linuxPte} / ${m.hwPte}` : m.linuxPte,
      );
    });
  }
});

describe('kernel=3.18 on the same board', () => {
  it('probe uses the 3.18 layer, which ignores NO_KERNEL_MAPPING (DMA318-12) and says so', async () => {
    const c = dmaCase('b', 'armmp');
    const r = await cli([
      'probe',
      '--size',
      '1M',
      '--max',
      '1',
      '--attrs',
      'no-kernel-mapping',
      '--profile',
      `qemu-vexpress-a15,${c.cmdline.replace(' ', ',')}`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('DMA layer 3.18');
    expect(r.stdout).toContain('ignored');
    const j = await probeJson(`qemu-vexpress-a15,${c.cmdline.replace(' ', ',')}`, [
      '--size',
      '1M',
      '--max',
      '1',
      '--attrs',
      'no-kernel-mapping',
    ]);
    expect(j.noKernelMappingHonoured).toBe(false);
    expect(j.first.where).toBe('linear');
    expect(j.linearMap.firstPage.held.type).toBe('non-cacheable');
  });
});
