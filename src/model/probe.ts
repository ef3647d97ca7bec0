/**
 * The model's twin of the oracle's dmaprobe module (docs/oracle.md): on a booted machine, call the
 * kernel= rule set's DMA layer, dma_alloc_attrs(), for a non-coherent device with the default CMA
 * area until it fails (one size), or once per size and hold them (several sizes: mode=small). It
 * reports what dmaprobe prints, and for the first buffer the linear-map memory type of its first
 * and last page before, while held and after free (what ptprobe reads).
 */
import { type LinearMemType, linearMemTypeOf } from './arm-pte.ts';
import {
  ArmDma318,
  type DmaAllocation,
  type DmaAttrs,
  type DmaDevice,
  type DmaLayer,
} from './dma/arm-3.18.ts';
import { ArmDma61 } from './dma/arm-6.1.ts';
import type { Kernel } from './kernel.ts';
import { rulesOf } from './kernel-rules.ts';
import { Errno, PAGE_SIZE } from './types.ts';

export interface ProbeOptions {
  /** One size: allocate until failure (mode=count); several: one each, held (mode=small). */
  readonly sizes: readonly number[];
  readonly noKernelMapping: boolean;
  /** Most allocations in count mode (dmaprobe's max=). */
  readonly max: number;
  /** VMALLOC-5 purge_vmap_area_lazy() first: the state after an earlier run ended in a vmap failure. */
  readonly purgeFirst: boolean;
}

export type Where = 'vmalloc' | 'linear' | 'cookie';

export interface ProbeBuffer {
  readonly index: number;
  readonly size: number;
  /** CPU address; 0 when the layer returned a struct page cookie (NO_KERNEL_MAPPING). */
  readonly cpuAddr: number;
  /** The bus handle: the first page's physical address. */
  readonly handle: number;
  readonly where: Where;
  /** Bytes of the vmalloc area (size + guard page, VMALLOC-1) or null without one. */
  readonly areaBytes: number | null;
}

export interface LinearTypes {
  readonly first: LinearMemType;
  readonly last: LinearMemType;
}

export interface ProbeFailure {
  /** The kernel function that failed and the errno it returned (dma_alloc_attrs itself returns NULL). */
  readonly function: 'alloc_vmap_area' | 'cma_alloc' | 'alloc_pages';
  readonly errno: number;
  readonly messages: readonly string[];
}

export interface ProbeResult {
  readonly kernel: string;
  readonly dmaLayer: string;
  /** False when the layer ignores DMA_ATTR_NO_KERNEL_MAPPING (3.18, DMA318-12) and it was asked. */
  readonly noKernelMappingHonoured: boolean;
  readonly mode: 'count' | 'small';
  readonly succeeded: number;
  readonly failure: ProbeFailure | null;
  readonly where: Readonly<Record<Where, number>>;
  readonly first: ProbeBuffer | null;
  readonly last: ProbeBuffer | null;
  /** mode=small: every buffer; count mode: first and last only (as dmaprobe prints). */
  readonly buffers: readonly ProbeBuffer[];
  /** The first buffer's first and last page in the linear map (ptprobe). */
  readonly linearMap: {
    readonly firstPagePhys: number;
    readonly lastPagePhys: number;
    readonly before: LinearTypes;
    readonly held: LinearTypes;
    readonly afterFree: LinearTypes;
  } | null;
}

/** The DMA layer of the profile's kernel= rule set (kernel-rules.ts). */
function dmaLayerOf(k: Kernel): DmaLayer {
  const bufferable = k.profile.dmaBufferable;
  return rulesOf(k.profile.kernel).dmaLayer === 'arm-6.1'
    ? new ArmDma61(bufferable)
    : new ArmDma318(bufferable);
}

/** dmaprobe's platform device: non-coherent, 32-bit mask, the default CMA area (CMA-8). */
const probeDevice = (k: Kernel): DmaDevice => ({
  name: 'dmaprobe',
  coherent: false,
  hasCma: k.mm.cma !== null,
});

function bufferOf(k: Kernel, a: DmaAllocation, index: number, size: number): ProbeBuffer {
  const { mm } = k;
  const where: Where = a.cpuAddr === 0 ? 'cookie' : a.remap ? 'vmalloc' : 'linear';
  const area = a.remap ? mm.vmalloc.find(a.cpuAddr / PAGE_SIZE) : undefined;
  return {
    index,
    size,
    cpuAddr: a.cpuAddr,
    handle: mm.layout.ramBase + a.page * PAGE_SIZE,
    where,
    areaBytes: area ? area.pages * PAGE_SIZE : null,
  };
}

const typesAt = (k: Kernel, first: number, last: number, from?: Uint8Array): LinearTypes => {
  const t = from ?? k.mm.pages.linearType;
  return { first: linearMemTypeOf(t[first]!), last: linearMemTypeOf(t[last]!) };
};

/** Why the failing call failed: the model's log and call path of that call. */
function failureOf(log: readonly string[], path: readonly string[]): ProbeFailure {
  if (log.some((l) => l.startsWith('vmap allocation')))
    return { function: 'alloc_vmap_area', errno: Errno.EBUSY, messages: log };
  // dma-direct's fallback (6.1 NO_KERNEL_MAPPING) ends in the buddy allocator
  if (path.includes('allocPages')) return { function: 'alloc_pages', errno: Errno.ENOMEM, messages: log };
  return { function: 'cma_alloc', errno: Errno.ENOMEM, messages: log };
}

/** Run the probe on a booted kernel (which it changes). */
export function runProbe(k: Kernel, o: ProbeOptions): ProbeResult {
  const dma = dmaLayerOf(k);
  const dev = probeDevice(k);
  const attrs: DmaAttrs = o.noKernelMapping ? { noKernelMapping: true } : {};
  const { mm } = k;
  const rules = rulesOf(k.profile.kernel);
  mm.beginOp();
  if (o.purgeFirst) mm.purgeVmapAreaLazy();
  const boot = mm.pages.linearType.slice();
  const mode = o.sizes.length === 1 ? 'count' : 'small';
  const held: { a: DmaAllocation; b: ProbeBuffer }[] = [];
  let failure: ProbeFailure | null = null;
  let heldTypes: LinearTypes | null = null;
  const wanted = mode === 'count' ? o.max : o.sizes.length;
  for (let i = 0; i < wanted; i++) {
    const size = mode === 'count' ? o.sizes[0]! : o.sizes[i]!;
    mm.beginOp();
    const a = dma.dmaAllocAttrs(mm, dev, size, true, attrs, i);
    if (!a) {
      failure = failureOf([...mm.trace.log], [...mm.trace.path]);
      break;
    }
    held.push({ a, b: bufferOf(k, a, i, size) });
    if (i === 0) heldTypes = typesAt(k, a.page, a.page + a.count - 1);
  }
  const where: Record<Where, number> = { vmalloc: 0, linear: 0, cookie: 0 };
  for (const h of held) where[h.b.where]++;
  const first = held[0]?.b ?? null;
  const last = held.at(-1)?.b ?? null;
  const firstAlloc = held[0]?.a;
  // dmaprobe frees everything (hold=0); ptprobe reads the PTEs after dma_free_coherent
  for (const h of held) dma.dmaFreeAttrs(mm, dev, h.a);
  const linearMap =
    firstAlloc && heldTypes
      ? {
          firstPagePhys: mm.layout.ramBase + firstAlloc.page * PAGE_SIZE,
          lastPagePhys: mm.layout.ramBase + (firstAlloc.page + firstAlloc.count - 1) * PAGE_SIZE,
          before: typesAt(k, firstAlloc.page, firstAlloc.page + firstAlloc.count - 1, boot),
          held: heldTypes,
          afterFree: typesAt(k, firstAlloc.page, firstAlloc.page + firstAlloc.count - 1),
        }
      : null;
  return {
    kernel: k.profile.kernel,
    dmaLayer: dma.version,
    noKernelMappingHonoured: !o.noKernelMapping || rules.dmaLayer !== 'arm-3.18',
    mode,
    succeeded: held.length,
    failure,
    where,
    first,
    last,
    buffers:
      mode === 'small' ? held.map((h) => h.b) : [first, last].filter((b): b is ProbeBuffer => b !== null),
    linearMap,
  };
}
