/**
 * Per-page state (the model's struct page), in typed arrays indexed by PageIdx = pfn - RAM base
 * pfn. Every mutation goes through a method that also records the page as touched, so
 * incremental checkers look only at the pages an op changed (O(touched), never O(RAM)).
 */
import { DirtyChunks, type Restorable } from './dirty.ts';
import { asPfn, grown, MemType, ModelBug, type Pfn } from './types.ts';

/** Chunks of 64 pages: a restore copies runs of chunks at memcpy speed, with no per-page sort. */
const DIRTY_SHIFT = 6;

export const Zone = { NORMAL: 0, HIGHMEM: 1 } as const;
export type Zone = (typeof Zone)[keyof typeof Zone];

/** Who holds a page. Kinds with an id use `ownerId` (buffer id, driver area id, ...). */
export const Owner = {
  /** in the buddy allocator */
  FREE: 0,
  /** in a CMA area, bit clear (no movable allocation borrows it, CMA-10) */
  CMA_FREE: 1,
  /** memblock-reserved at boot, never allocatable (kernel image, carveout range when unused...) */
  RESERVED: 2,
  /** an ion_buffer (ownerId = buffer id) */
  BUFFER: 3,
  /** the ARM atomic pool (DMA318-9) */
  ATOMIC_POOL: 4,
  /** an ION page pool (HEAP-POOL-1), kept for reuse */
  ION_POOL: 5,
  /** free in the carveout genpool (HEAP-CARVEOUT-1) */
  CARVEOUT_FREE: 6,
  /** another driver's page (the seed's discontiguous vmaps; ownerId = driver area id) */
  DRIVER: 7,
  /** a kernel allocation made by the model on the way to a buffer (not yet handed over) */
  KERNEL: 8,
} as const;
export type Owner = (typeof Owner)[keyof typeof Owner];
export const OWNER_NAMES = [
  'free',
  'cma-free',
  'reserved',
  'buffer',
  'atomic-pool',
  'ion-pool',
  'carveout-free',
  'driver',
  'kernel',
] as const;

/** Linear-map PTE type of a page with no linear mapping (highmem). */
export const NO_LINEAR = 255;
/** Writer tag of a page whose content is zero (or never written). */
export const CLEAN = 0;

/** Runs of consecutive touched pages (PageState.touchedRuns). */
export interface TouchedRuns {
  start: Int32Array;
  length: Int32Array;
  count: number;
}

/** touched() of an op that touched no page (read only, like every touched list). */
const NOTHING_TOUCHED = new Int32Array(0);

export class PageState {
  readonly zone: Uint8Array;
  readonly ownerKind: Uint8Array;
  readonly ownerId: Int32Array;
  /** Number of live owners claiming the page; more than one is an exclusive-ownership finding. */
  readonly claims: Uint8Array;
  /** Who last wrote the page's data (CLEAN = zeroed). */
  readonly writer: Int32Array;
  /** Current linear-map PTE type (MemType) or NO_LINEAR. */
  readonly linearType: Uint8Array;
  /** Live mappings per MemType, the linear map included: live[type][page]. */
  readonly live: readonly Int32Array[];
  /** Lazily unmapped, unpurged mappings per MemType (ARCH-4 stale TLB entries). */
  readonly stale: readonly Int32Array[];
  /**
   * The classes mapping each page, kept with the counters (addLive/addStale): bit t = a live
   * mapping of MemType t, bit 4+t = a stale one, bit 8+t = more than one live one. The checks read
   * this one array instead of eight counters per page.
   */
  readonly classes: Uint16Array;
  /** Times a free page was freed again (B15): freed-completely reads it. */
  readonly doubleFrees: Uint8Array;
  /** Times the linear-map PTE type of the page changed (for the `sometimes` goal). */
  readonly typeChanges: Uint16Array;
  /**
   * Pages whose type changed twice or more (typeChanges >= 2): while there are none, the goal that
   * looks for one among the touched pages knows without reading them.
   */
  get pagesTypeChangedTwice(): number {
    return this.changedTwice;
  }
  private changedTwice = 0;

  private readonly touchedFlag: Uint8Array;
  private touchedList: Int32Array;
  private touchedLen = 0;
  /** The touched list as runs of consecutive pages (touchedRuns). */
  private readonly runs: TouchedRuns = { start: new Int32Array(64), length: new Int32Array(64), count: 0 };
  /** Pages written since this state was cloned (or booted): what a reusing clone copies back. */
  private readonly dirty: DirtyChunks;

  /** @param from the state to copy */
  constructor(
    readonly basePfn: number,
    readonly nPages: number,
    from?: PageState,
  ) {
    const n = nPages;
    this.zone = from ? from.zone.slice() : new Uint8Array(n);
    this.ownerKind = from ? from.ownerKind.slice() : new Uint8Array(n);
    this.ownerId = from ? from.ownerId.slice() : new Int32Array(n);
    this.claims = from ? from.claims.slice() : new Uint8Array(n);
    this.writer = from ? from.writer.slice() : new Int32Array(n);
    this.linearType = from ? from.linearType.slice() : new Uint8Array(n).fill(NO_LINEAR);
    this.live = from ? from.live.map((a) => a.slice()) : [0, 1, 2, 3].map(() => new Int32Array(n));
    this.stale = from ? from.stale.map((a) => a.slice()) : [0, 1, 2, 3].map(() => new Int32Array(n));
    this.classes = from ? from.classes.slice() : new Uint16Array(n);
    this.doubleFrees = from ? from.doubleFrees.slice() : new Uint8Array(n);
    this.typeChanges = from ? from.typeChanges.slice() : new Uint16Array(n);
    this.changedTwice = from ? from.changedTwice : 0;
    this.touchedFlag = new Uint8Array(n);
    this.touchedList = new Int32Array(1024);
    this.dirty = new DirtyChunks(n, DIRTY_SHIFT);
  }

  /** Every per-page array, in one fixed order (restores); built once per storage. */
  private arrays(): Restorable[] {
    if (this.arraysMemo) return this.arraysMemo;
    this.arraysMemo = [
      this.zone,
      this.ownerKind,
      this.ownerId,
      this.claims,
      this.writer,
      this.linearType,
      ...this.live,
      ...this.stale,
      this.classes,
      this.doubleFrees,
      this.typeChanges,
    ];
    return this.arraysMemo;
  }
  private arraysMemo: Restorable[] | null = null;

  /**
   * A copy; with `reuse` (an earlier clone of this state, which has not changed since) `reuse`
   * itself, with only the pages it wrote copied back from this one (O(pages written), not O(RAM)).
   * `whole`: `reuse` is any state of this size (a copy of another state): every page is copied
   * back, at memcpy speed and without allocating.
   */
  clone(reuse?: PageState, whole = false): PageState {
    if (!reuse) return new PageState(this.basePfn, this.nPages, this);
    reuse.clearTouched();
    reuse.dirty.restore(reuse.arrays(), this.arrays(), whole);
    reuse.changedTwice = this.changedTwice;
    return reuse;
  }

  // --- touched-page tracking -------------------------------------------------------------

  touch(p: number): void {
    if (this.touchedFlag[p] === 1) return;
    this.touchedFlag[p] = 1;
    this.dirty.mark(p);
    if (this.touchedLen === this.touchedList.length) this.touchedList = grown(this.touchedList);
    this.touchedList[this.touchedLen++] = p;
    // the page after the last run's: the run grows (an op writes its pages in ascending runs)
    const r = this.runs;
    const last = r.count - 1;
    if (last >= 0 && r.start[last]! + r.length[last]! === p) r.length[last]!++;
    else {
      if (r.count === r.start.length) {
        r.start = grown(r.start);
        r.length = grown(r.length);
      }
      r.start[r.count] = p;
      r.length[r.count++] = 1;
    }
  }

  /**
   * The touched list (touched()) as runs of consecutive pages, in its order: run i is the pages
   * start[i] .. start[i] + length[i] - 1, at the list positions after run i - 1's. Read only; valid
   * until the next touch. Lets a check judge a run by its words (page-facts.ts) without reading
   * the list page by page.
   */
  touchedRuns(): Readonly<TouchedRuns> {
    return this.runs;
  }

  isTouched(p: number): boolean {
    return this.touchedFlag[p] === 1;
  }

  /** Pages touched since the last `clearTouched` (the current op). */
  touched(): Int32Array {
    // most ops touch nothing (an errno, a share): one empty list for all of them
    if (this.touchedLen === 0) return NOTHING_TOUCHED;
    // one view per list and length: checkers ask several times per op, a view is an allocation
    const v = this.touchedView;
    if (v.length === this.touchedLen && this.touchedViewOf === this.touchedList) return v;
    this.touchedViewOf = this.touchedList;
    this.touchedView = this.touchedList.subarray(0, this.touchedLen);
    return this.touchedView;
  }
  private touchedView: Int32Array = new Int32Array(0);
  private touchedViewOf: Int32Array | null = null;

  clearTouched(): void {
    for (let i = 0; i < this.touchedLen; i++) this.touchedFlag[this.touchedList[i]!] = 0;
    this.touchedLen = 0;
    this.runs.count = 0;
  }

  // --- ownership ---------------------------------------------------------------------------

  /** Hand [p, p+n) to an owner. A page already claimed by a live owner gains a second claim. */
  claim(p: number, n: number, kind: Owner, id: number): void {
    for (let i = p; i < p + n; i++) {
      const prev = this.ownerKind[i]!;
      if (isLiveOwner(prev)) this.claims[i] = this.claims[i]! + 1;
      else this.claims[i] = 1;
      this.ownerKind[i] = kind;
      this.ownerId[i] = id;
      this.touch(i);
    }
  }

  /**
   * Return [p, p+n) to a free state (FREE, CMA_FREE, ION_POOL, CARVEOUT_FREE). Freeing a page that
   * is already free counts a double free (B15) instead of corrupting anything.
   */
  release(p: number, n: number, kind: Owner): void {
    for (let i = p; i < p + n; i++) {
      if (isFreeKind(this.ownerKind[i]!)) this.doubleFrees[i] = Math.min(255, this.doubleFrees[i]! + 1);
      const c = this.claims[i]!;
      this.claims[i] = c > 0 ? c - 1 : 0;
      if (c <= 1) {
        this.ownerKind[i] = kind;
        this.ownerId[i] = 0;
      }
      this.touch(i);
    }
  }

  noteDoubleFree(p: number): void {
    this.doubleFrees[p] = Math.min(255, this.doubleFrees[p]! + 1);
    this.touch(p);
  }

  setWriter(p: number, tag: number): void {
    this.writer[p] = tag;
    this.touch(p);
  }

  // --- mapping counters (only mmu.ts calls these) --------------------------------------------

  addLive(p: number, t: MemType, d: number): void {
    const a = this.live[t]!;
    const v = a[p]! + d;
    a[p] = v;
    if (v < 0) throw new ModelBug(`live mapping count of page ${p} went negative`);
    const bit = 1 << t;
    const c = this.classes[p]! & ~(bit | (bit << MULTI_SHIFT));
    this.classes[p] = c | (v > 0 ? bit : 0) | (v > 1 ? bit << MULTI_SHIFT : 0);
    this.touch(p);
  }

  addStale(p: number, t: MemType, d: number): void {
    const a = this.stale[t]!;
    const v = a[p]! + d;
    a[p] = v;
    if (v < 0) throw new ModelBug(`stale mapping count of page ${p} went negative`);
    const bit = 1 << (t + STALE_SHIFT);
    this.classes[p] = v > 0 ? this.classes[p]! | bit : this.classes[p]! & ~bit;
    this.touch(p);
  }

  setLinearType(p: number, t: number): void {
    const old = this.linearType[p]!;
    if (old === t) return;
    if (old !== NO_LINEAR) this.addLive(p, old as MemType, -1);
    if (t !== NO_LINEAR) this.addLive(p, t as MemType, 1);
    this.linearType[p] = t;
    if (old !== NO_LINEAR && t !== NO_LINEAR) {
      const n = this.typeChanges[p]!;
      if (n === 1) this.changedTwice++;
      this.typeChanges[p] = Math.min(65535, n + 1);
    }
    this.touch(p);
  }

  /** Every page's type-change count back to 0 (boot: the linear map as set up is no change). */
  resetTypeChanges(): void {
    this.typeChanges.fill(0);
    this.changedTwice = 0;
  }

  pfnOf(p: number): Pfn {
    return asPfn(this.basePfn + p);
  }

  /** Bit mask of MemTypes with a live (or, with staleTlb, stale) mapping of page p. */
  typeMask(p: number, withStale: boolean): number {
    const c = this.classes[p]!;
    return (withStale ? c | (c >> STALE_SHIFT) : c) & CLASS_MASK;
  }

  /** Bit mask of MemTypes with a stale (lazily unmapped, unpurged) mapping of page p. */
  staleMask(p: number): number {
    return (this.classes[p]! >> STALE_SHIFT) & CLASS_MASK;
  }
}

/** PageState.classes: the four MemType bits of one kind (live, stale, more than one live). */
export const CLASS_MASK = 0xf;
/** PageState.classes: where the stale bits start. */
export const STALE_SHIFT = 4;
/** PageState.classes: where the "more than one live mapping" bits start. */
export const MULTI_SHIFT = 8;

/** Owners that hold a page for a user (a buffer, a driver, a pool in use). */
export function isLiveOwner(k: Owner | number): boolean {
  return k === Owner.BUFFER || k === Owner.DRIVER || k === Owner.ATOMIC_POOL || k === Owner.KERNEL;
}

export function isFreeKind(k: Owner | number): boolean {
  return k === Owner.FREE || k === Owner.CMA_FREE || k === Owner.CARVEOUT_FREE || k === Owner.ION_POOL;
}

export const WB_BIT = 1 << MemType.WB;
