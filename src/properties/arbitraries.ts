/**
 * fast-check arbitraries over the op vocabulary (docs/architecture.md sections 5 and 6). An arbitrary makes
 * an *action*: an op whose ids are picks ("the n-th live handle", "a stale fd") rather than
 * numbers, resolved against the command model when the command runs (commands.ts). So generated
 * ops mostly hit live objects, and some hit stale or never-existing ids on purpose.
 *
 * Weights aim at deep states: many CMA allocations (uncached mostly, 4 KiB..4 MiB, 1 MiB often,
 * now and then a large one), kmap/kunmap, share/import/mmap/write, dma-map, another driver's
 * vmaps of 64..4096 pages (sometimes far more), client exit with live mappings, and occasionally
 * purge and shrink.
 */
import fc from 'fast-check';
import { HEAP_NAMES, type HeapName } from '../model/ion/heap.ts';
import { DRIVER_VMAP_PAGES_MAX } from '../model/kernel.ts';
import type { OpKind } from '../model/ops.ts';
import { PAGE_SIZE, SZ_1M } from '../model/types.ts';

/**
 * How an action names an existing object: a live one, the newest live one (programs release what
 * they used last, so a buffer's mapping, fd and handle go in turn and the buffer is destroyed),
 * one that is gone, or one never made.
 */
export type PickMode = 'live' | 'last' | 'stale' | 'wild';
export interface Pick {
  readonly mode: PickMode;
  /** Index into the candidates (taken modulo their count). */
  readonly n: number;
}

export type Action =
  | {
      readonly kind: 'alloc';
      readonly client: number;
      readonly heap: HeapName;
      readonly len: number;
      readonly align?: number;
      readonly cached?: boolean;
      /** Ask for the size of the buffer released last (its pages are free again), when there is one. */
      readonly reuse?: boolean;
    }
  | {
      readonly kind: 'free' | 'share' | 'kmap' | 'kunmap';
      readonly handle: Pick;
      /** Issue the ioctl from a client that does not own the handle (ION-7: -EINVAL). */
      readonly wrongClient: boolean;
      /** free only: an interleaving point, a FREE racing the FREE that destroyed the handle (B3). */
      readonly race?: boolean;
    }
  | { readonly kind: 'import'; readonly client: number; readonly fd: Pick }
  | { readonly kind: 'close'; readonly fd: Pick }
  | {
      readonly kind: 'mmap';
      readonly fd: Pick;
      /** A partial mapping: offsets into the buffer, resolved modulo its size; or the whole. */
      readonly window: {
        readonly pgoff: number;
        readonly pages: number;
        readonly past: boolean;
        readonly straddle?: boolean;
      } | null;
    }
  | { readonly kind: 'munmap' | 'write'; readonly vma: Pick }
  | { readonly kind: 'dma-map'; readonly fd: Pick; readonly device: string }
  | { readonly kind: 'dma-unmap'; readonly attachment: Pick; readonly device: string }
  | {
      readonly kind: 'driver-vmap';
      readonly pages: number;
      /**
       * A vmap sized at the window's edge: the largest free range less its guard page and `edge`
       * pages, resolved against the kernel when the command runs (commands.ts).
       */
      readonly edge?: number;
    }
  | { readonly kind: 'driver-vunmap'; readonly area: Pick }
  | { readonly kind: 'client-exit'; readonly client: Pick }
  | { readonly kind: 'purge' }
  | { readonly kind: 'shrink' }
  /**
   * The next step of a program using its newest buffer: share it, mmap the fd, write through the
   * mapping (so its pages carry its user's data).
   */
  | { readonly kind: 'use' }
  /**
   * The next step of a program letting its newest used buffer go: dma-unmap, munmap, close, then
   * FREE, so the buffer is destroyed and its pages are handed out again.
   */
  | { readonly kind: 'release' };

/** Action kinds: the op kinds, alloc from the other heaps, and the program steps use and release. */
export type ActionKind = OpKind | 'alloc-other' | 'use' | 'release';

/** Clients are small integers (docs/architecture.md section 5). */
export const CLIENTS_MAX = 4;
export const DEVICES: readonly string[] = ['gpu', 'display', 'camera', 'venc'];

const KiB = 1024;
const MiB = SZ_1M;

export const clientArb = fc.nat({ max: CLIENTS_MAX - 1 });

export const everydayPickArb: fc.Arbitrary<Pick> = fc.record({
  mode: fc.oneof(
    { weight: 65, arbitrary: fc.constant<PickMode>('live') },
    { weight: 25, arbitrary: fc.constant<PickMode>('last') },
    { weight: 7, arbitrary: fc.constant<PickMode>('stale') },
    { weight: 3, arbitrary: fc.constant<PickMode>('wild') },
  ),
  n: fc.nat({ max: 1023 }),
});

const pagesArb = (min: number, max: number) => fc.integer({ min, max }).map((p) => p * PAGE_SIZE);

/**
 * Boundary sizes in pages: 1, 2, 3 and 2^k - 1, 2^k, 2^k + 1 for 2^k up to 4096 pages (16 MiB),
 * where order, alignment, batch and size-class arithmetic turns over.
 */
export const BOUNDARY_PAGES: readonly number[] = [
  ...new Set([1, 2, 3, ...Array.from({ length: 11 }, (_, i) => 4 << i).flatMap((n) => [n - 1, n, n + 1])]),
];
export const boundaryLenArb: fc.Arbitrary<number> = fc
  .constantFrom(...BOUNDARY_PAGES)
  .map((p) => p * PAGE_SIZE);

/** CMA buffer sizes: 1 MiB most often, then 4 KiB..4 MiB, boundary sizes, odd lengths, a few large ones. */
export const cmaLenArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 35, arbitrary: fc.constant(MiB) },
  { weight: 25, arbitrary: pagesArb(1, 1024) },
  { weight: 15, arbitrary: fc.constantFrom(4 * KiB, 64 * KiB, 256 * KiB, 512 * KiB, 2 * MiB, 4 * MiB) },
  { weight: 20, arbitrary: boundaryLenArb },
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 4 * MiB }) },
  { weight: 8, arbitrary: fc.integer({ min: 2, max: 16 }).map((m) => m * 4 * MiB) },
);

const otherLenArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 40, arbitrary: pagesArb(1, 64) },
  { weight: 30, arbitrary: fc.constantFrom(4 * KiB, 64 * KiB, 1 * MiB) },
  { weight: 20, arbitrary: pagesArb(1, 512) },
  { weight: 15, arbitrary: boundaryLenArb.filter((b) => b <= 2 * MiB) },
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 2 * MiB }) },
);

const alignArb = fc.constantFrom(4 * KiB, 64 * KiB, 1 * MiB, 4 * MiB);

/**
 * How allocations choose, each a share of 100: cached, the size just released, and an explicit
 * alignment (which the 3.18 system and carveout heaps refuse above PAGE_SIZE with -EINVAL).
 */
export interface AllocBias {
  readonly cached: number;
  readonly reuse: number;
  readonly align: number;
}

function allocArb(
  heap: HeapName,
  len: fc.Arbitrary<number>,
  bias: AllocBias,
  clients: fc.Arbitrary<number>,
): fc.Arbitrary<Action> {
  return fc
    .record({
      client: clients,
      len,
      align: fc.oneof(
        { weight: 100 - bias.align, arbitrary: fc.constant<number | null>(null) },
        { weight: bias.align, arbitrary: alignArb },
      ),
      cached: fc.oneof(
        { weight: 100 - bias.cached, arbitrary: fc.constant<boolean | null>(null) },
        { weight: bias.cached, arbitrary: fc.constant<boolean | null>(true) },
        { weight: 3, arbitrary: fc.constant<boolean | null>(false) },
      ),
      reuse: bias.reuse > 0 ? fc.nat({ max: 99 }).map((d) => d < bias.reuse) : fc.constant(false),
    })
    .map(({ client, len, align, cached, reuse }) => ({
      kind: 'alloc' as const,
      client,
      heap,
      len,
      ...(align !== null ? { align } : {}),
      ...(cached !== null ? { cached } : {}),
      ...(reuse ? { reuse: true } : {}),
    }));
}

/**
 * Allocation bias of the everyday mix: CMA 12% cached and 25% aligned (cma_alloc honours it), the
 * other heaps 30% cached and 12% aligned; nothing reused.
 */
export const EVERYDAY_CMA_BIAS: AllocBias = { cached: 12, reuse: 0, align: 25 };
export const EVERYDAY_OTHER_BIAS: AllocBias = { cached: 30, reuse: 0, align: 12 };

/**
 * Picks that name the newest live object almost always (a swarm that works on one buffer, one fd:
 * the same fd imported over and over, B4), and a gone one now and then.
 */
export const newestPickArb: fc.Arbitrary<Pick> = fc.record({
  mode: fc.oneof(
    { weight: 90, arbitrary: fc.constant<PickMode>('last') },
    { weight: 10, arbitrary: fc.constant<PickMode>('stale') },
  ),
  n: fc.nat({ max: 1023 }),
});

/** Ops on a handle; one in 40 is issued from a client that does not own it (ION-7: -EINVAL). */
const handleAction = (kind: 'free' | 'share' | 'kmap' | 'kunmap', pickArb: fc.Arbitrary<Pick>) =>
  fc
    .record({ handle: pickArb, wrong: fc.nat({ max: 39 }) })
    .map((a): Action => ({ kind, handle: a.handle, wrongClient: a.wrong === 0 && a.handle.mode === 'live' }));

/**
 * FREE, and one in 8 a FREE racing the one that destroyed a handle (B3's interleaving point): it
 * names a gone handle and carries `race`; where ION holds the lock across lookup and put it is an
 * ordinary -EINVAL.
 */
const freeAction = (pickArb: fc.Arbitrary<Pick>) =>
  fc.oneof(
    { weight: 7, arbitrary: handleAction('free', pickArb) },
    {
      weight: 1,
      arbitrary: fc
        .nat({ max: 1023 })
        .map((n): Action => ({ kind: 'free', handle: { mode: 'stale', n }, wrongClient: false, race: true })),
    },
  );

/**
 * Driver vmaps at the window's edge: 0..32 pages short of filling the largest free range, none or
 * one most often (where the next request's guard page no longer fits).
 */
const driverEdgeArb: fc.Arbitrary<Action> = fc
  .constantFrom(0, 0, 0, 1, 1, 2, 3, 4, 8, 16, 32)
  .map((edge): Action => ({ kind: 'driver-vmap', pages: 1, edge }));

/** Driver vmaps: 64..4096 pages mostly (the seed's product), sometimes up to 16 Ki pages, rarely over. */
export const driverPagesArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 70, arbitrary: fc.integer({ min: 64, max: 4096 }) },
  { weight: 15, arbitrary: fc.integer({ min: 4097, max: 16384 }) },
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 63 }) },
  { weight: 3, arbitrary: fc.integer({ min: 16385, max: DRIVER_VMAP_PAGES_MAX }) },
  { weight: 2, arbitrary: fc.constant(0) },
);

export type ActionWeights = Readonly<Record<ActionKind, number>>;

/** Relative weight of each action kind: the everyday mix. */
export const ACTION_WEIGHTS: ActionWeights = {
  alloc: 22,
  'alloc-other': 8,
  free: 8,
  share: 8,
  import: 6,
  close: 4,
  kmap: 10,
  kunmap: 6,
  mmap: 8,
  munmap: 3,
  write: 5,
  'dma-map': 5,
  'dma-unmap': 2,
  'driver-vmap': 6,
  'driver-vunmap': 2,
  'client-exit': 3,
  purge: 1,
  shrink: 1,
  use: 2,
  release: 2,
};

/**
 * The "fill" mix: CMA allocations of larger sizes that are seldom freed, and large vmaps, so a
 * run of a hundred ops can fill the CMA area and the vmalloc window (and fragment them).
 */
export const FILL_WEIGHTS: ActionWeights = {
  ...ACTION_WEIGHTS,
  alloc: 70,
  // the other heaps allocate under the same pressure: a full window fails their page arrays (B10)
  'alloc-other': 12,
  free: 4,
  share: 3,
  import: 2,
  close: 2,
  kmap: 6,
  kunmap: 2,
  mmap: 3,
  munmap: 1,
  write: 1,
  'dma-map': 2,
  'dma-unmap': 1,
  'driver-vmap': 8,
  'driver-vunmap': 1,
  'client-exit': 1,
};

/**
 * The "lifecycle" mix: buffers go through their whole life (allocated, shared, mapped, written by
 * user space, unmapped, closed, freed), so their pages are handed out again while other buffers
 * live: what zeroing on allocation and freeing at free are about.
 */
export const LIFECYCLE_WEIGHTS: ActionWeights = {
  ...ACTION_WEIGHTS,
  alloc: 14,
  'alloc-other': 6,
  free: 12,
  share: 12,
  import: 2,
  close: 12,
  kmap: 3,
  kunmap: 3,
  mmap: 12,
  munmap: 12,
  write: 12,
  'dma-map': 2,
  'dma-unmap': 2,
  'driver-vmap': 1,
  'driver-vunmap': 1,
  'client-exit': 1,
  use: 6,
  release: 6,
};

/**
 * The "recycle" mix: programs that allocate, use (share, mmap, write) and release (munmap, close,
 * free) their newest buffer in turn, and allocate again, often the size just released: written
 * pages go straight back out, cached or not, which is where a skipped zeroing shows (ION-15,
 * HEAP-CMA-4).
 */
export const RECYCLE_WEIGHTS: ActionWeights = {
  ...Object.fromEntries(Object.keys(ACTION_WEIGHTS).map((k) => [k, 0])),
  alloc: 10,
  'alloc-other': 4,
  use: 12,
  release: 10,
  kmap: 1,
  kunmap: 1,
  'dma-map': 1,
  import: 3,
  'driver-vmap': 1,
} as ActionWeights;

/** CMA sizes of the fill mix: 1 MiB, odd sizes that leave aligned holes, 4..16 and 16..64 MiB. */
export const fillCmaLenArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 20, arbitrary: fc.constant(MiB) },
  { weight: 25, arbitrary: pagesArb(1, 1024) },
  { weight: 20, arbitrary: fc.integer({ min: 1, max: 16 }).map((m) => m * MiB + 256 * KiB) },
  { weight: 20, arbitrary: fc.integer({ min: 1, max: 4 }).map((m) => m * 4 * MiB) },
  { weight: 15, arbitrary: fc.integer({ min: 1, max: 4 }).map((m) => m * 16 * MiB) },
);

/** What a mix draws from besides its weights (every field has the everyday default). */
export interface MixOptions {
  readonly cmaLen?: fc.Arbitrary<number>;
  readonly otherLen?: fc.Arbitrary<number>;
  /** Allocations only from these heaps. */
  readonly heaps?: readonly HeapName[];
  /** Clients that act. */
  readonly clients?: fc.Arbitrary<number>;
  readonly cmaBias?: AllocBias;
  readonly otherBias?: AllocBias;
  /** How actions name existing objects. */
  readonly picks?: fc.Arbitrary<Pick>;
}

/** mmap of a picked fd: whole, a window, or (1 in 30 each) past the end or straddling it. */
const mmapAction = (pickArb: fc.Arbitrary<Pick>): fc.Arbitrary<Action> =>
  fc
    .record({
      fd: pickArb,
      window: fc.option(
        fc.record({ pgoff: fc.nat({ max: 4095 }), pages: fc.nat({ max: 4095 }), past: fc.constant(false) }),
        { freq: 4 },
      ),
      past: fc.nat({ max: 29 }),
    })
    .map(
      ({ fd, window, past }): Action => ({
        kind: 'mmap',
        fd,
        // past 0: pgoff at the end (refused); past 1: a window across the end, as mmap and a
        // growing mremap give (DMABUF-CMA-3, B14)
        window:
          past === 0
            ? { pgoff: 0, pages: 1, past: true }
            : past === 1
              ? { pgoff: 0, pages: 2, past: false, straddle: true }
              : window,
      }),
    );

/** A driver's vmap: a drawn size two times in three, sized at the window's edge otherwise. */
const driverVmapAction: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: driverPagesArb.map((pages): Action => ({ kind: 'driver-vmap', pages })) },
  { weight: 1, arbitrary: driverEdgeArb },
);

/** ALLOC on the CMA heap and on the other heaps (system 4 : system-contig 2 : carveout 2). */
function allocActions(mix: MixOptions, clients: fc.Arbitrary<number>) {
  const heaps = mix.heaps ?? HEAP_NAMES;
  const others = (
    [
      ['system', 4],
      ['system-contig', 2],
      ['carveout', 2],
    ] as const
  )
    .filter(([h]) => heaps.includes(h))
    .map(([h, weight]) => ({
      weight,
      arbitrary: allocArb(h, mix.otherLen ?? otherLenArb, mix.otherBias ?? EVERYDAY_OTHER_BIAS, clients),
    }));
  return {
    cma: heaps.includes('cma')
      ? allocArb('cma', mix.cmaLen ?? cmaLenArb, mix.cmaBias ?? EVERYDAY_CMA_BIAS, clients)
      : null,
    others: others.length > 0 ? fc.oneof(...others) : null,
  };
}

/** Ops on existing objects (handles, fds, mappings, attachments, areas, clients), by kind. */
function objectActions(
  pickArb: fc.Arbitrary<Pick>,
  clients: fc.Arbitrary<number>,
): Record<Exclude<ActionKind, 'alloc' | 'alloc-other'>, fc.Arbitrary<Action>> {
  const device = fc.constantFrom(...DEVICES);
  return {
    free: freeAction(pickArb),
    share: handleAction('share', pickArb),
    import: fc.record({ client: clients, fd: pickArb }).map((a): Action => ({ kind: 'import', ...a })),
    close: pickArb.map((fd): Action => ({ kind: 'close', fd })),
    kmap: handleAction('kmap', pickArb),
    kunmap: handleAction('kunmap', pickArb),
    mmap: mmapAction(pickArb),
    munmap: pickArb.map((vma): Action => ({ kind: 'munmap', vma })),
    write: pickArb.map((vma): Action => ({ kind: 'write', vma })),
    'dma-map': fc.record({ fd: pickArb, device }).map((a): Action => ({ kind: 'dma-map', ...a })),
    'dma-unmap': fc.record({ attachment: pickArb, device }).map((a): Action => ({ kind: 'dma-unmap', ...a })),
    'driver-vmap': driverVmapAction,
    'driver-vunmap': pickArb.map((area): Action => ({ kind: 'driver-vunmap', area })),
    'client-exit': pickArb.map((client): Action => ({ kind: 'client-exit', client })),
    purge: fc.constant<Action>({ kind: 'purge' }),
    shrink: fc.constant<Action>({ kind: 'shrink' }),
    use: fc.constant<Action>({ kind: 'use' }),
    release: fc.constant<Action>({ kind: 'release' }),
  };
}

/** The order actions are offered to fc.oneof (part of what a seed means: keep it). */
const OBJECT_ACTION_ORDER = [
  'free',
  'share',
  'import',
  'close',
  'kmap',
  'kunmap',
  'mmap',
  'munmap',
  'write',
  'dma-map',
  'dma-unmap',
  'driver-vmap',
  'driver-vunmap',
  'client-exit',
  'purge',
  'shrink',
  'use',
  'release',
] as const;

/** One action of any kind, weighted. */
export function actionArb(
  weights: ActionWeights = ACTION_WEIGHTS,
  mix: MixOptions = {},
): fc.Arbitrary<Action> {
  const clients = mix.clients ?? clientArb;
  const alloc = allocActions(mix, clients);
  const objects = objectActions(mix.picks ?? everydayPickArb, clients);
  const arbs = [
    ...(alloc.cma ? [{ weight: weights.alloc, arbitrary: alloc.cma }] : []),
    ...(alloc.others ? [{ weight: weights['alloc-other'], arbitrary: alloc.others }] : []),
    ...OBJECT_ACTION_ORDER.map((k) => ({ weight: weights[k], arbitrary: objects[k] })),
  ].filter((x) => x.weight > 0);
  return fc.oneof(...arbs);
}
