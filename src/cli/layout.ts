/** `ionck layout`: boot a profile and print its memory layout (docs/architecture.md section 7). */
import { builtinDesign, DEFAULT_DESIGN_IDS } from '../model/designs/index.ts';
import { Kernel } from '../model/kernel.ts';
import { VM_TAG } from '../model/mm.ts';
import { errnoName, hex, PAGE_SIZE } from '../model/types.ts';
import { mib, table } from '../report/terminal.ts';
import { profileOf } from './check.ts';
import type { CliIo } from './io.ts';

export interface LayoutJson {
  readonly profile: string;
  readonly lowmem: { physStart: number; physEnd: number; bytes: number };
  readonly highmem: { physStart: number; physEnd: number; bytes: number };
  readonly vmalloc: { start: number; end: number; bytes: number };
  readonly cma: { base: number; size: number; zone: 'lowmem' | 'highmem' }[];
  readonly atomicPool: {
    phys: number;
    size: number;
    vaddr: number;
    windowPages: number;
    /** Its vmalloc area (size + guard, DMA318-5), or null when it lives in the linear map. */
    area: { start: number; end: number; bytes: number } | null;
  } | null;
  /** `kernel=` rule set (kernel-rules.ts). */
  readonly kernel: string;
  /** high_memory: the virtual end of the linear map (LAYOUT-4). */
  readonly highMemory: number;
  /** Why cma_declare_contiguous failed (CMA-2/3), or null when it placed the area. */
  readonly cmaFailure: { errno: number; errnoName: string; reason: string } | null;
  /** LAYOUT-6 memblock reservations made before CMA was placed. */
  readonly memblock: { what: string; base: number; size: number }[];
}

/** CMA-2/3: what each errno of cma_declare_contiguous means for the default area. */
const CMA_FAILURE_REASON: Record<string, string> = {
  EINVAL: 'size 0, or a fixed range straddling high_memory',
  EBUSY: 'the fixed range overlaps a reservation or leaves RAM',
  ENOMEM:
    'no aligned free range of that size below the limit (highmem first, then lowmem) after the boot reservations',
};

/** The boot layout of a profile (the design does not change it; the first built-in boots it). */
export function bootLayout(profileSpec: string): { json: LayoutJson; kernel: Kernel } {
  const profile = profileOf(profileSpec);
  const kernel = Kernel.boot(profile, builtinDesign(DEFAULT_DESIGN_IDS[0]!)!);
  const l = kernel.mm.layout;
  const pool = kernel.atomicPool;
  const json: LayoutJson = {
    profile: profile.id,
    lowmem: { physStart: l.ramBase, physEnd: l.lowmemLimit, bytes: l.lowmemLimit - l.ramBase },
    highmem: { physStart: l.lowmemLimit, physEnd: l.ramEnd, bytes: l.ramEnd - l.lowmemLimit },
    vmalloc: { start: l.vmallocStart, end: l.vmallocEnd, bytes: l.vmallocEnd - l.vmallocStart },
    cma: l.cma ? [{ base: l.cma.base, size: l.cma.size, zone: l.cma.zone }] : [],
    atomicPool: pool
      ? {
          phys: l.ramBase + pool.page * PAGE_SIZE,
          size: pool.count * PAGE_SIZE,
          vaddr: pool.cpuAddr,
          windowPages: kernel.mm.vmTagPages[VM_TAG.ATOMIC_POOL] ?? 0,
          area: pool.remap
            ? (() => {
                const pages = kernel.mm.vmalloc.find(pool.cpuAddr / PAGE_SIZE)?.pages ?? 0;
                return {
                  start: pool.cpuAddr,
                  end: pool.cpuAddr + pages * PAGE_SIZE,
                  bytes: pages * PAGE_SIZE,
                };
              })()
            : null,
        }
      : null,
    kernel: profile.kernel,
    highMemory: l.highMemory,
    cmaFailure:
      l.cmaError === null
        ? null
        : {
            errno: l.cmaError,
            errnoName: errnoName(l.cmaError),
            reason: CMA_FAILURE_REASON[errnoName(l.cmaError)] ?? 'cma_declare_contiguous failed',
          },
    memblock: l.memblock.map((r) => ({ what: r.what, base: r.base, size: r.size })),
  };
  return { json, kernel };
}

export function layoutCommand(o: { profile: string; json: boolean }, io: CliIo): number {
  const { json, kernel } = bootLayout(o.profile);
  if (o.json) {
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    return 0;
  }
  const l = kernel.mm.layout;
  const p = kernel.profile;
  let out = `ionck layout  profile ${json.profile}\n${p.summary}\n`;
  if (p.kernel !== '3.18') out += `kernel ${p.kernel} rules (kernel-rules.ts)\n`;
  out += '\n';
  const range = (a: number, b: number) => `${hex(a)}-${hex(b - 1)}`;
  const rows: string[][] = [
    [
      'RAM',
      range(l.ramBase, l.ramEnd),
      mib(l.ramEnd - l.ramBase),
      `${p.split} split, PAGE_OFFSET ${hex(l.pageOffset)}`,
    ],
    [
      'lowmem',
      range(json.lowmem.physStart, json.lowmem.physEnd),
      mib(json.lowmem.bytes),
      `linear map at ${hex(l.pageOffset)}-${hex(l.highMemory - 1)}`,
    ],
    [
      'highmem',
      json.highmem.bytes > 0 ? range(json.highmem.physStart, json.highmem.physEnd) : '-',
      mib(json.highmem.bytes),
      json.highmem.bytes > 0 ? 'no linear mapping' : 'none',
    ],
    [
      'vmalloc',
      range(json.vmalloc.start, json.vmalloc.end),
      mib(json.vmalloc.bytes),
      `virtual; ${json.vmalloc.bytes / PAGE_SIZE} pages`,
    ],
  ];
  for (const c of json.cma)
    rows.push(['cma', range(c.base, c.base + c.size), mib(c.size), `default area, ${c.zone}`]);
  if (json.cma.length === 0)
    rows.push([
      'cma',
      '-',
      '-',
      `none${l.cmaError !== null ? ` (cma_declare_contiguous failed: -${l.cmaError}${json.cmaFailure ? ` ${json.cmaFailure.errnoName}: ${json.cmaFailure.reason}` : ''})` : ''}`,
    ]);
  for (const r of l.memblock)
    rows.push(['memblock', range(r.base, r.base + r.size), mib(r.size), `${r.what}, reserved before CMA`]);
  if (l.carveout)
    rows.push([
      'carveout',
      range(l.carveout.base, l.carveout.base + l.carveout.size),
      mib(l.carveout.size),
      'ION carveout heap',
    ]);
  if (json.atomicPool) {
    const a = json.atomicPool;
    rows.push([
      'atomic pool',
      range(a.phys, a.phys + a.size),
      mib(a.size),
      `${a.vaddr ? `mapped at ${hex(a.vaddr)}` : 'no kernel mapping'}, ${a.windowPages} window pages`,
    ]);
  }
  out += table(['region', 'range', 'size', 'notes'], rows);
  for (const w of l.warnings) out += `boot warning: ${w}\n`;
  io.stdout(out);
  return 0;
}
