/**
 * `ionck probe`: the model's twin of the oracle's dmaprobe module (docs/oracle.md). Boots the
 * profile, then calls the kernel= rule set's dma_alloc_attrs on a non-coherent device until it
 * fails (one --size) or once per size (several: dmaprobe's mode=small) and prints what dmaprobe
 * and ptprobe print.
 */

import { InvalidArgumentError } from 'commander';
import { ProfileError } from '../errors.ts';
import { L_PTE_MT, type LinearMemType, ptprobePte } from '../model/arm-pte.ts';
import { builtinDesign, DEFAULT_DESIGN_IDS } from '../model/designs/index.ts';
import { Kernel } from '../model/kernel.ts';
import { type ProbeBuffer, type ProbeResult, runProbe } from '../model/probe.ts';
import { parseSize } from '../model/profile.ts';
import { errnoName, hex } from '../model/types.ts';
import { mib, table } from '../report/terminal.ts';
import { profileOf } from './check.ts';
import type { CliIo } from './io.ts';

const PROBE_SIZES_MAX = 16;
const PROBE_SIZE_MAX = 1024 * 1024 * 1024;
export const PROBE_MAX_MAX = 100_000;
const PROBE_ATTRS = ['no-kernel-mapping'] as const;

/** `--size 1M` or `--size 4K,64K,1M`: page-or-more byte counts. */
export const sizesArg = (v: string): number[] => {
  const parts = v.split(',');
  if (parts.length > PROBE_SIZES_MAX) throw new InvalidArgumentError(`at most ${PROBE_SIZES_MAX} sizes`);
  return parts.map((p) => {
    let n: number;
    try {
      n = parseSize(p);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof ProfileError ? e.message : String(e));
    }
    if (n < 1 || n > PROBE_SIZE_MAX) throw new InvalidArgumentError(`size ${p} must be 1 byte .. 1G`);
    return n;
  });
};

/** `--attrs no-kernel-mapping` (DMA_ATTR_NO_KERNEL_MAPPING). */
export const attrsArg = (v: string): string[] => {
  const parts = v.split(',').map((s) => s.trim());
  for (const p of parts)
    if (!(PROBE_ATTRS as readonly string[]).includes(p))
      throw new InvalidArgumentError(`attrs takes ${PROBE_ATTRS.join(', ')}, not '${p}'`);
  return parts;
};

export interface ProbeCliOptions {
  readonly profile: string;
  readonly sizes: readonly number[];
  readonly attrs: readonly string[];
  readonly max: number;
  readonly afterPurge: boolean;
  readonly json: boolean;
}

interface MomentJson {
  readonly type: LinearMemType;
  readonly mt: string;
  /** What ptprobe prints for this page (Linux PTE / hardware PTE), when the flavour is known. */
  readonly pte: string | null;
}

const moment = (flavour: Parameters<typeof ptprobePte>[0], t: LinearMemType, phys: number): MomentJson => ({
  type: t,
  mt: L_PTE_MT[t],
  pte: t === 'none' ? null : ptprobePte(flavour, t, phys),
});

/** The probe's JSON form: numbers as numbers. */
function probeJson(profileId: string, k: Kernel, r: ProbeResult, o: ProbeCliOptions) {
  const f = k.profile.flavour;
  const lm = r.linearMap;
  const page = (phys: number, which: 'first' | 'last') =>
    lm
      ? {
          phys,
          before: moment(f, lm.before[which], phys),
          held: moment(f, lm.held[which], phys),
          afterFree: moment(f, lm.afterFree[which], phys),
        }
      : null;
  return {
    profile: profileId,
    kernel: r.kernel,
    dmaLayer: r.dmaLayer,
    device: { coherent: false, dmaMask: 32, cmaArea: k.mm.cma ? 'default' : null },
    attrs: [...o.attrs],
    noKernelMappingHonoured: r.noKernelMappingHonoured,
    mode: r.mode,
    sizes: [...o.sizes],
    succeeded: r.succeeded,
    failure: r.failure
      ? {
          function: r.failure.function,
          errno: r.failure.errno,
          errnoName: errnoName(r.failure.errno),
          messages: [...r.failure.messages],
        }
      : null,
    where: r.where,
    first: r.first,
    last: r.last,
    buffers: r.buffers,
    linearMap: lm
      ? { firstPage: page(lm.firstPagePhys, 'first'), lastPage: page(lm.lastPagePhys, 'last') }
      : null,
  };
}

const bufferRow = (label: string, b: ProbeBuffer): string[] => [
  label,
  `#${b.index}`,
  mib(b.size),
  b.where === 'cookie' ? 'cookie' : hex(b.cpuAddr),
  hex(b.handle),
  b.where,
  b.areaBytes === null ? '-' : String(b.areaBytes),
];

export function probeCommand(o: ProbeCliOptions, io: CliIo): number {
  const profile = profileOf(o.profile);
  const kernel = Kernel.boot(profile, builtinDesign(DEFAULT_DESIGN_IDS[0]!)!);
  const r = runProbe(kernel, {
    sizes: o.sizes,
    noKernelMapping: o.attrs.includes('no-kernel-mapping'),
    max: o.max,
    purgeFirst: o.afterPurge,
  });
  const j = probeJson(profile.id, kernel, r, o);
  if (o.json) {
    io.stdout(`${JSON.stringify(j, null, 2)}\n`);
    return 0;
  }
  let out = `ionck probe  profile ${profile.id}\n`;
  out += `kernel ${r.kernel}, DMA layer ${r.dmaLayer}; non-coherent device, 32-bit mask, ${j.device.cmaArea ? 'default CMA area' : 'no CMA area'}\n`;
  if (o.attrs.length > 0)
    out += `attrs ${o.attrs.join(',')}${r.noKernelMappingHonoured ? '' : ' (ignored: the 3.18 layer honours NO_KERNEL_MAPPING only with an IOMMU, DMA318-12)'}\n`;
  if (o.afterPurge) out += 'lazily freed vmalloc areas purged first (purge_vmap_area_lazy)\n';
  out +=
    r.mode === 'count'
      ? `dma_alloc_attrs(${mib(o.sizes[0]!)}) until it fails (max ${o.max})\n\n`
      : `dma_alloc_attrs once per size (${o.sizes.map(mib).join(', ')}), held\n\n`;
  out += `succeeded ${r.succeeded} (vmalloc ${r.where.vmalloc}, linear ${r.where.linear}, cookie ${r.where.cookie})\n`;
  if (r.failure) {
    out += `failed: ${r.failure.function} -${errnoName(r.failure.errno)}; dma_alloc_attrs returned NULL\n`;
    for (const m of r.failure.messages) out += `  kernel: ${m}\n`;
  }
  const rows =
    r.mode === 'small'
      ? r.buffers.map((b) => bufferRow('buffer', b))
      : [r.first && bufferRow('first', r.first), r.last && bufferRow('last', r.last)].filter(
          (x): x is string[] => x !== null,
        );
  if (rows.length > 0)
    out += `\n${table(['', 'index', 'size', 'cpu_addr', 'handle', 'where', 'area bytes'], rows)}`;
  if (j.linearMap?.firstPage && j.linearMap.lastPage) {
    const a = j.linearMap.firstPage;
    const b = j.linearMap.lastPage;
    const cell = (m: MomentJson) => `${m.type}${m.pte ? ` ${m.pte}` : ''}`;
    out += `\nlinear map of the first buffer (what ptprobe reads): pages ${hex(a.phys)} and ${hex(b.phys)}\n`;
    out += table(
      ['moment', 'first page', 'last page'],
      [
        ['before', cell(a.before), cell(b.before)],
        ['held', cell(a.held), cell(b.held)],
        ['after free', cell(a.afterFree), cell(b.afterFree)],
      ],
    );
  }
  io.stdout(out);
  return 0;
}
