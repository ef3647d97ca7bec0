/**
 * A design: the whole ION stack configuration under test (docs/designs.md): which DMA layer,
 * which heaps, and how the CMA heap allocates, zeroes, maps and frees. Designs are data plus
 * heap constructors; shared code never branches on a design's id.
 */

import { DesignError } from '../../errors.ts';
import type { DmaLayer } from '../dma/arm-3.18.ts';
import { ArmDma318 } from '../dma/arm-3.18.ts';
import { ArmDma41 } from '../dma/arm-4.1.ts';
import type { IonHeap, PageRange } from '../ion/heap.ts';
import { CarveoutHeap } from '../ion/heaps/carveout.ts';
import type { LinearPolicy } from '../ion/heaps/linear-policy.ts';
import { SystemContigHeap, SystemHeap } from '../ion/heaps/system.ts';
import type { IonCoreOptions } from '../ion/ion.ts';
import type { Mm } from '../mm.ts';
import { PAGE_SIZE } from '../types.ts';

/** ION heap ids as Android boards number them (ION_HEAP_TYPE_*): visited in descending order. */
export const HEAP_ID = { system: 0, 'system-contig': 1, carveout: 2, cma: 4 } as const;

export interface HeapBuildCtx {
  readonly mm: Mm;
  /** The carveout's reserved range in page indices, or null. */
  readonly carveout: PageRange | null;
}

export interface Design {
  readonly id: string;
  readonly summary: string;
  /** Where the design comes from: kernel commits, list messages, docs/model.md rule ids. */
  readonly citations: readonly string[];
  readonly dmaLayer: '3.18' | '4.1';
  readonly ionCore: IonCoreOptions;
  /** Builds the heaps of one booted machine (heaps have state: pools, genpools). */
  readonly heaps: (ctx: HeapBuildCtx) => IonHeap[];
  /**
   * Optional: what the model finds on this design and why, in kernel terms with rule ids; the
   * compare report prints it beside the design so its verdicts are explained.
   */
  readonly verdictNotes?: string;
  /** Set for plugin designs: the file it was loaded from. */
  readonly source?: string;
  /** B5 (CMA-1): the CMA bitmap's aligned mask as 3.16/3.17 computed it, 2^(order >> order_per_bit) - 1. */
  readonly cmaMaskShiftsOrder?: boolean;
  /** Set for zoo designs (built-in or plugin): where the planted bug lives (`ionck zoo`). */
  readonly zoo?: ZooTarget;
}

/** Where a zoo design's planted bug lives: the profile it shows on and what it breaks. */
export interface ZooTarget {
  /** docs/model.md bug id (B1..B19) or the mutant's own id (M1..). */
  readonly bug: string;
  /** Profile spec on which the bug lives (as `ionck check --profile` takes it). */
  readonly profile: string;
  /** Invariants the planted fault breaks (any one of them detects it). */
  readonly invariants: readonly string[];
}

/** The standard non-CMA heaps of a 3.18 board, with a linear-map policy for uncached pages. */
export function standardHeaps(ctx: HeapBuildCtx, linear: LinearPolicy): IonHeap[] {
  return [
    new SystemHeap(HEAP_ID.system, linear),
    new SystemContigHeap(HEAP_ID['system-contig'], linear),
    new CarveoutHeap(HEAP_ID.carveout, linear, ctx.carveout),
  ];
}

export function makeDmaLayer(d: Design, dmaBufferable: boolean): DmaLayer {
  return d.dmaLayer === '4.1' ? new ArmDma41(dmaBufferable) : new ArmDma318(dmaBufferable);
}

const ID_RE = /^[a-z0-9][a-z0-9./_-]{0,63}$/;

/** What a design module describes: a Design without the fields defineDesign fills in. */
export type DesignInput = Omit<Design, 'ionCore'> & { readonly ionCore?: IonCoreOptions };

/**
 * Validate a design description (built-in or plugin). Throws DesignError with one line naming
 * the field that is wrong; never returns a half-valid design.
 */
export function defineDesign(spec: DesignInput): Design;
export function defineDesign(spec: unknown): Design;
export function defineDesign(spec: unknown): Design {
  if (typeof spec !== 'object' || spec === null) throw new DesignError('design: not an object');
  const s = spec as Record<string, unknown>;
  const id = s.id;
  if (typeof id !== 'string' || !ID_RE.test(id)) throw new DesignError(`design: id must match ${ID_RE}`);
  if (typeof s.summary !== 'string' || s.summary.length === 0)
    throw new DesignError(`design '${id}': summary must be a non-empty string`);
  if (!Array.isArray(s.citations) || !s.citations.every((c) => typeof c === 'string'))
    throw new DesignError(`design '${id}': citations must be an array of strings`);
  if (s.dmaLayer !== '3.18' && s.dmaLayer !== '4.1')
    throw new DesignError(`design '${id}': dmaLayer must be '3.18' or '4.1'`);
  if (s.verdictNotes !== undefined && typeof s.verdictNotes !== 'string')
    throw new DesignError(`design '${id}': verdictNotes must be a string`);
  if (typeof s.heaps !== 'function')
    throw new DesignError(`design '${id}': heaps must be a function returning heaps`);
  const core = (s.ionCore ?? { leakOnPageArrayFailure: false }) as Record<string, unknown>;
  if (typeof core !== 'object' || typeof core.leakOnPageArrayFailure !== 'boolean')
    throw new DesignError(`design '${id}': ionCore.leakOnPageArrayFailure must be a boolean`);
  const zoo = s.zoo as Record<string, unknown> | undefined;
  if (
    zoo !== undefined &&
    (typeof zoo !== 'object' ||
      zoo === null ||
      typeof zoo.bug !== 'string' ||
      typeof zoo.profile !== 'string' ||
      !Array.isArray(zoo.invariants) ||
      !zoo.invariants.every((x) => typeof x === 'string'))
  )
    throw new DesignError(`design '${id}': zoo must be { bug, profile, invariants: string[] }`);
  return {
    id,
    summary: s.summary,
    citations: s.citations as string[],
    dmaLayer: s.dmaLayer,
    ionCore: { ...ionCoreOf(core), ...dmaBufCoreOptions(id, core) },
    heaps: s.heaps as Design['heaps'],
    ...(typeof s.verdictNotes === 'string' && s.verdictNotes.length > 0
      ? { verdictNotes: s.verdictNotes }
      : {}),
    ...(typeof s.source === 'string' ? { source: s.source } : {}),
    ...(zoo ? { zoo: zoo as unknown as ZooTarget } : {}),
    ...(s.cmaMaskShiftsOrder === true ? { cmaMaskShiftsOrder: true } : {}),
  };
}

const CORES = ['3.18', 'ion-4.12', 'dma-heap'] as const;

/** ION412-1 / DMABUF-CMA-1: the dma-buf core's options, validated (absent: the 3.18 core). */
function dmaBufCoreOptions(id: string, core: Record<string, unknown>) {
  if (core.core !== undefined && !(CORES as readonly unknown[]).includes(core.core))
    throw new DesignError(`design '${id}': ionCore.core must be one of ${CORES.join(', ')}`);
  return {
    ...(core.core !== undefined ? { core: core.core as (typeof CORES)[number] } : {}),
    // B13; `beginIgnoresKmapErrorB13` is the option's name before issue 15
    ...(core.beginIgnoresKmapError === true || core.beginIgnoresKmapErrorB13 === true
      ? { beginIgnoresKmapError: true }
      : {}),
  };
}

/** The ION core options a design asked for: the known flags, booleans as given, nothing else. */
function ionCoreOf(core: Record<string, unknown>): IonCoreOptions {
  const flags = [
    'kmapPutUnguarded',
    'closeDoublePut',
    'shareWithoutRef',
    'attachWithoutFileRef',
    'munmapWithoutPut',
    'handleDestroyKeepsKmaps',
    'detachWithoutPut',
  ] as const;
  const out: Record<string, unknown> = {
    leakOnPageArrayFailure: core.leakOnPageArrayFailure,
    // `freeRaceB3` is the option's name before issue 13
    freeDropsLock: core.freeDropsLock === true || core.freeRaceB3 === true,
  };
  for (const f of flags) if (core[f] === true) out[f] = true;
  const bits = core.handleKrefBits;
  if (typeof bits === 'number' && Number.isInteger(bits) && bits >= 1 && bits <= 32)
    out.handleKrefBits = bits;
  return out as unknown as IonCoreOptions;
}

/** Check what a design's heaps() returned; a plugin returning garbage is its own failure. */
export function checkHeaps(d: Design, heaps: unknown): IonHeap[] {
  if (!Array.isArray(heaps)) throw new DesignError(`design '${d.id}': heaps() did not return an array`);
  const seen = new Set<string>();
  for (const h of heaps) {
    const ok =
      typeof h === 'object' &&
      h !== null &&
      typeof h.name === 'string' &&
      typeof h.id === 'number' &&
      [
        'allocate',
        'free',
        'mapDma',
        'mapKernel',
        'unmapKernel',
        'mapUser',
        'shrink',
        'shrinkCount',
        'clone',
        'area',
        'alignPages',
      ].every((f) => typeof h[f] === 'function');
    if (!ok) throw new DesignError(`design '${d.id}': heaps() returned something that is not an ION heap`);
    if (seen.has(h.name)) throw new DesignError(`design '${d.id}': two heaps named '${h.name}'`);
    seen.add(h.name);
  }
  return heaps as IonHeap[];
}

export const carveoutPages = (mm: Mm) =>
  mm.layout.carveout
    ? {
        start: (mm.layout.carveout.base - mm.layout.ramBase) / PAGE_SIZE,
        pageCount: mm.layout.carveout.size / PAGE_SIZE,
      }
    : null;
