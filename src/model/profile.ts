/**
 * Machine profiles: the board a model boots. A profile is data (RAM, split, boot arguments, CPUs,
 * architecture rule set); layout.ts turns it into addresses. Profiles are named by id and can be
 * overridden field by field with a spec string `ID,key=value,...` (e.g. `arm32-1g,vmalloc=480M`).
 */

import { ProfileError, VmallocinfoError } from '../errors.ts';
import { PAGE_OFFSET_OF, type Profile, RULE_SETS, type RuleSet, type Split } from './board.ts';
import { BOARD_IMAGES, FLAVOURS, type Flavour, initrdRegion } from './boot-reserve.ts';
import { bootVmallocinfoOf } from './boot-vmallocinfo.ts';
import { DEFAULT_KERNEL, KERNEL_VERSIONS, type KernelVersion, rulesOf } from './kernel-rules.ts';
import { checkHardware } from './profile-check.ts';
import { HEAP_NAMES, type HeapName, SZ_1M } from './types.ts';

export { PAGE_OFFSET_OF, type Profile, RULE_SETS, type RuleSet, type Split } from './board.ts';

const MiB = SZ_1M;
const GiB = 1024 * MiB;

const ARM32_1G: Profile = {
  id: 'arm32-1g',
  summary:
    'ARMv7 SMP board, 1 GiB at 0x80000000, 3G/1G, default vmalloc (240 MiB), cma=256M (highmem), 4 CPUs',
  ramBase: 0x80000000,
  ramBytes: 1 * GiB,
  split: '3G/1G',
  vmallocArg: null,
  vmallocEnd: 0xff000000,
  vmallocMin: null,
  cma: { size: 256 * MiB, base: 0, limit: 0 },
  cpus: 4,
  nrCpus: 4,
  ruleSet: 'linux-arm32',
  staleTlb: true,
  atomicPoolBytes: 256 * 1024,
  cmaAlignment: 8,
  dmaBufferable: true,
  carveout: { base: 0x88000000, size: 16 * MiB },
  debugHighmem: false,
  ionHeaps: null,
  kernel: DEFAULT_KERNEL,
  flavour: null,
  memblock: [],
  bootVmallocinfo: null,
};

/** QEMU vexpress-a15 running Debian's armhf kernel: the real-kernel oracle board (docs/oracle.md). */
const QEMU_VEXPRESS: Profile = {
  ...ARM32_1G,
  id: 'qemu-vexpress-a15',
  summary:
    'QEMU vexpress-a15 (the oracle board): 1 GiB at 0x80000000, 3G/1G, 1 CPU online (NR_CPUS 8), cma=256M, no ION carveout, armmp image + initrd reserved; use with kernel=6.1',
  cpus: 1,
  nrCpus: 8,
  carveout: { base: 0, size: 0 },
  flavour: 'armmp',
  memblock: [...BOARD_IMAGES.armmp, initrdRegion(ARM32_1G.ramBase, ARM32_1G.ramBytes, null)],
};

export const PROFILES: readonly Profile[] = [
  ARM32_1G,
  {
    ...ARM32_1G,
    id: 'arm32-1g-cma512',
    summary: 'arm32-1g with cma=512M: does not fit in 264 MiB of highmem, so CMA lands in lowmem (GOLD-30)',
    cma: { size: 512 * MiB, base: 0, limit: 0 },
  },
  {
    ...ARM32_1G,
    id: 'arm32-2g',
    summary: '2 GiB at 0x80000000 (ends at the 4 GiB physical limit without LPAE), 3G/1G, cma=256M (highmem)',
    ramBytes: 2 * GiB,
  },
  {
    ...ARM32_1G,
    id: 'arm32-4g',
    summary:
      '4 GiB at 0x80000000 (LPAE physical addressing [A]; same 3G/1G virtual layout), cma=256M, for scaling',
    ramBytes: 4 * GiB,
  },
  {
    ...ARM32_1G,
    id: 'tiny',
    summary:
      'exhaustive-search machine: 16 MiB (8 lowmem + 8 highmem), 2 MiB vmalloc window, cma=4M in highmem, 16 KiB pool, NR_CPUS 16 (128-page vmap blocks) [A: scaled]',
    ramBytes: 16 * MiB,
    vmallocMin: 0xc0800000,
    vmallocEnd: 0xc1200000,
    nrCpus: 16,
    cma: { size: 4 * MiB, base: 0, limit: 0 },
    cpus: 1,
    atomicPoolBytes: 16 * 1024,
    carveout: { base: 0x80200000, size: 1 * MiB },
  },
  QEMU_VEXPRESS,
];

export const DEFAULT_PROFILE_ID = 'arm32-1g';

/** Parse `256M`, `1G`, `64K`, `0x80000000` or plain bytes; memparse-like. */
export function parseSize(text: string): number {
  const m = /^(0x[0-9a-f]+|\d+)([kmg]?)$/i.exec(text.trim());
  if (!m) throw new ProfileError(`not a size: '${text}' (use e.g. 256M, 64K, 1G or 0x10000000)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toUpperCase();
  const mult = unit === 'K' ? 1024 : unit === 'M' ? MiB : unit === 'G' ? GiB : 1;
  return n * mult;
}

/** `cma=size[@base[-limit]]` (CMA-7): only @base => limit = base + size. */
function parseCmaArg(text: string): Profile['cma'] {
  const m = /^([^@]+)(?:@([^-]+)(?:-(.+))?)?$/.exec(text);
  if (!m) throw new ProfileError(`bad cma= value '${text}' (want size[@base[-limit]])`);
  const size = parseSize(m[1]!);
  const base = m[2] === undefined ? 0 : parseSize(m[2]);
  const limit = m[3] !== undefined ? parseSize(m[3]) : m[2] !== undefined ? base + size : 0;
  return { size, base, limit };
}

const onOff = (key: string, v: string): boolean => {
  if (v === 'on' || v === 'true' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === '0') return false;
  throw new ProfileError(`${key}= takes on or off, not '${v}'`);
};

/** `kernel=`: the rule set; VMALLOC_END follows it unless the profile states its own (tiny). */
function withKernel(p: Profile, v: string): Profile {
  if (!(KERNEL_VERSIONS as readonly string[]).includes(v))
    throw new ProfileError(`kernel= takes one of ${KERNEL_VERSIONS.join(', ')}, not '${v}'`);
  const k = v as KernelVersion;
  const ownEnd = p.vmallocEnd !== rulesOf(p.kernel).vmallocEnd;
  return { ...p, kernel: k, vmallocEnd: ownEnd ? p.vmallocEnd : rulesOf(k).vmallocEnd };
}

/** `flavour=armmp|lpae`: the kernel image's memblock reservation (boot-reserve.ts). */
function withFlavour(p: Profile, v: string): Profile {
  if (!(FLAVOURS as readonly string[]).includes(v))
    throw new ProfileError(`flavour= takes one of ${FLAVOURS.join(', ')}, not '${v}'`);
  const f = v as Flavour;
  const rest = p.memblock.filter((r) => r.what === 'initrd');
  return { ...p, flavour: f, memblock: [...BOARD_IMAGES[f], ...rest] };
}

/** `initrd=SIZE[@BASE]` or `initrd=0`: the initramfs the boot loader placed (reserved before CMA). */
function withInitrd(p: Profile, v: string): Profile {
  const m = /^([^@]+)(?:@(.+))?$/.exec(v);
  if (!m) throw new ProfileError(`bad initrd= value '${v}' (want size[@base] or 0)`);
  const size = parseSize(m[1]!);
  const rest = p.memblock.filter((r) => r.what !== 'initrd');
  if (size === 0) return { ...p, memblock: rest };
  const base = m[2] === undefined ? null : parseSize(m[2]);
  const r = initrdRegion(p.ramBase, p.ramBytes, base, size);
  if (r.base < p.ramBase || r.base + r.size > p.ramBase + p.ramBytes)
    throw new ProfileError(`initrd= ${v} is not inside RAM`);
  return { ...p, memblock: [...rest, r] };
}

function intIn(key: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max)
    throw new ProfileError(`${key}= takes ${min}..${max}, not '${v}'`);
  return n;
}

const OVERRIDES: Record<string, (p: Profile, v: string) => Profile> = {
  vmalloc: (p, v) => ({ ...p, vmallocArg: parseSize(v), vmallocMin: null }),
  cma: (p, v) => ({ ...p, cma: parseCmaArg(v) }),
  ram: (p, v) => ({ ...p, ramBytes: parseSize(v) }),
  cpus: (p, v) => {
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN; // digits only: no 1e1, 0x10 or 4.0
    if (!Number.isInteger(n) || n < 1 || n > 32) throw new ProfileError(`cpus= takes 1..32, not '${v}'`);
    return { ...p, cpus: n, nrCpus: Math.max(p.nrCpus, n) };
  },
  rules: (p, v) => {
    if (!(RULE_SETS as readonly string[]).includes(v))
      throw new ProfileError(`rules= takes one of ${RULE_SETS.join(', ')}, not '${v}'`);
    return { ...p, ruleSet: v as RuleSet };
  },
  'stale-tlb': (p, v) => ({ ...p, staleTlb: onOff('stale-tlb', v) }),
  /** CMA-8 CONFIG_CMA_ALIGNMENT: 4..12. */
  'cma-alignment': (p, v) => ({ ...p, cmaAlignment: intIn('cma-alignment', v, 4, 12) }),
  /** CMA-7 the area's order_per_bit: 0..4. */
  'cma-order-per-bit': (p, v) => ({ ...p, cmaOrderPerBit: intIn('cma-order-per-bit', v, 0, 4) }),
  coherent_pool: (p, v) => ({ ...p, atomicPoolBytes: parseSize(v) }),
  split: (p, v) => {
    if (!(v in PAGE_OFFSET_OF)) throw new ProfileError(`split= takes 3G/1G, 2G/2G or 1G/3G, not '${v}'`);
    return { ...p, split: v as Split };
  },
  bufferable: (p, v) => ({ ...p, dmaBufferable: onOff('bufferable', v) }),
  'debug-highmem': (p, v) => ({ ...p, debugHighmem: onOff('debug-highmem', v) }),
  /** `heaps=cma+system`: the ION heaps the board declares (ION-1). */
  heaps: (p, v) => {
    const names = v.split('+');
    if (!names.every((n) => (HEAP_NAMES as readonly string[]).includes(n)))
      throw new ProfileError(`heaps= takes heap names joined by '+' (${HEAP_NAMES.join(', ')}), not '${v}'`);
    return { ...p, ionHeaps: names as HeapName[] };
  },
  /** `carveout=size@base`, or `carveout=0` for a board without a carveout heap range. */
  carveout: (p, v) => {
    const m = /^([^@]+)(?:@(.+))?$/.exec(v);
    if (!m) throw new ProfileError(`bad carveout= value '${v}' (want size@base or 0)`);
    const size = parseSize(m[1]!);
    return { ...p, carveout: { size, base: m[2] === undefined ? p.carveout.base : parseSize(m[2]) } };
  },
  kernel: withKernel,
  flavour: withFlavour,
  initrd: withInitrd,
  /** `boot-vmallocinfo=FILE`: parsed and checked here, so a bad file is exit 2 before anything runs. */
  'boot-vmallocinfo': (p, v) => {
    if (v === '') throw new ProfileError('boot-vmallocinfo= needs a file name');
    try {
      return { ...p, bootVmallocinfo: bootVmallocinfoOf(v) };
    } catch (e) {
      if (e instanceof VmallocinfoError) throw new ProfileError(e.message);
      throw e;
    }
  },
};
export const PROFILE_KEYS = Object.keys(OVERRIDES);

/**
 * Resolve a profile spec `ID[,key=value...]`. The resolved profile's id is the spec itself, so a
 * replay file that records it boots the same machine.
 */
export function resolveProfile(spec: string): Profile {
  const [id, ...opts] = spec.split(',');
  const base = PROFILES.find((p) => p.id === id);
  if (!base)
    throw new ProfileError(`unknown profile '${id}' (known: ${PROFILES.map((p) => p.id).join(', ')})`);
  let p: Profile = base;
  for (const opt of opts) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const val = eq < 0 ? '' : opt.slice(eq + 1);
    const apply = OVERRIDES[key];
    if (!apply) throw new ProfileError(`unknown profile option '${key}' (known: ${PROFILE_KEYS.join(', ')})`);
    p = apply(p, val);
  }
  if (p.ramBytes < 4 * MiB || p.ramBytes % (4 * MiB) !== 0)
    throw new ProfileError(`ram= must be a multiple of 4 MiB and at least 4 MiB`);
  checkHardware(p, base);
  return { ...p, id: spec };
}

/** `check --heap`: the profile spec of a board whose ION declares only these heaps (ION-1). */
export function withHeaps(spec: string, heaps: readonly string[] | undefined): string {
  return heaps && heaps.length < HEAP_NAMES.length ? `${spec},heaps=${heaps.join('+')}` : spec;
}

/** The `--no-stale-tlb` flag (ARCH-4): the profile spec with stale TLB entries not counted. */
export function withStaleTlb(spec: string, staleTlb: boolean): string {
  return staleTlb ? spec : `${spec},stale-tlb=off`;
}
