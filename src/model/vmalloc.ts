/**
 * The 3.18 vmap-area allocator (mm/vmalloc.c) as a pure data structure over virtual PAGE numbers
 * (vaddr >> 12). It places, lazily frees and purges ranges of the vmalloc window, and carves
 * vm_map_ram blocks; it keeps no page tables. Whatever a purge releases is returned as
 * `PurgedArea`s so that the caller can drop the stale mappings (TLB entries) it tracks there.
 *
 * Rules: docs/model.md 2.2 (VMALLOC-3, -4, -5, -7), mm/vmalloc.c 3.18. Guard pages (VMALLOC-1) are the
 * caller's: get_vm_area asks for size + 1 pages, vm_map_ram for exactly its count.
 *
 * Free space is a segment tree over the window's pages (FreeRunTree), so first fit is a descent,
 * O(log W) for W window pages, independent of how many areas exist.
 */
import { DirtyChunks, type Restorable } from './dirty.ts';
import { fls, hex, ModelBug } from './types.ts';

/** VMALLOC-7 VMAP_MAX_ALLOC = BITS_PER_LONG on ARM32: larger vm_map_ram requests get their own area. */
export const VMAP_MAX_ALLOC = 32;
/** Tag of the area that backs a vm_map_ram block (the block owns it, not any one caller). */
export const VMAP_BLOCK_TAG = -1;

/** VMALLOC-5 lazy_max_pages() = fls(num_online_cpus()) × 32 MiB / PAGE_SIZE. 4 CPUs → 24,576 (GOLD-18). */
export const lazyMaxPagesOf = (onlineCpus: number): number => fls(onlineCpus) * 8192;

/**
 * VMALLOC-7 VMAP_BBMAP_BITS = min(1024, max(64, VMALLOC_PAGES / roundup_pow_of_two(NR_CPUS) / 16))
 * with VMALLOC_PAGES = 128 MiB / 4 KiB on 32-bit [M]. NR_CPUS 4 → 512 (GOLD-17).
 */
export function vmapBlockPagesOf(nrCpus: number): number {
  const cpusPow2 = 2 ** Math.ceil(Math.log2(Math.max(1, nrCpus)));
  return Math.min(1024, Math.max(64, Math.floor(32768 / cpusPow2 / 16)));
}

/** live: allocated; lazy: freed (VM_LAZY_FREE), still occupying the window until a purge. */
export type AreaState = 'live' | 'lazy';
/** area: alloc_vmap_area() caller; ram: vm_map_ram() > VMAP_MAX_ALLOC; block: a vm_map_ram block. */
export type AreaKind = 'area' | 'ram' | 'block';
/** The kinds in a fixed order (digest). */
const AREA_KINDS: readonly AreaKind[] = ['area', 'ram', 'block'];

/** A vmap_area: [start, start + pages) in page numbers. Immutable; replaced on a state change. */
export interface VmapArea {
  readonly start: number;
  readonly pages: number;
  readonly tag: number;
  readonly state: AreaState;
  readonly kind: AreaKind;
}
export type Area = VmapArea;

/**
 * A range whose stale TLB entries a purge flushed: a released lazy area ('area', for a block its
 * whole range with VMAP_BLOCK_TAG), or one unmapped vm_map_ram chunk of a block that stays
 * ('block-dirty', from vm_unmap_aliases only).
 */
export interface PurgedArea {
  start: number;
  pages: number;
  tag: number;
  kind: 'area' | 'block-dirty';
}

export type AllocResult =
  | { ok: true; start: number; purged: PurgedArea[] }
  | { ok: false; purged: PurgedArea[] };

/**
 * Why a free was refused (the kernel WARNs or BUGs; the model changes nothing and the caller decides).
 * no-area: no area starts there; already-lazy: freed twice; block-area: a vm_map_ram block's area
 * (only vb_free releases it); not-handed-out: vm_unmap_ram of an address vm_map_ram did not return;
 * already-unmapped: vm_unmap_ram twice; size-mismatch: count differs from the vm_map_ram call.
 */
export type VmapFailReason =
  | 'no-area'
  | 'already-lazy'
  | 'block-area'
  | 'not-handed-out'
  | 'already-unmapped'
  | 'size-mismatch';

export type FreeResult = { ok: true; purged: PurgedArea[] } | { ok: false; reason: VmapFailReason };

/** One vm_map_ram chunk: 2^order pages at an offset of its block. */
export interface VmapChunkInfo {
  readonly start: number;
  readonly order: number;
  readonly tag: number;
  readonly dirty: boolean;
}

/** Read-only view of a vmap_block. */
export interface VmapBlockInfo {
  readonly start: number;
  /** Pages not yet handed out (handed out sequentially from the block's start). */
  readonly free: number;
  /** Pages handed out and since unmapped. */
  readonly dirty: number;
  readonly onFreeList: boolean;
  readonly chunks: readonly VmapChunkInfo[];
}

interface Chunk {
  readonly order: number;
  readonly tag: number;
  dirty: boolean;
}

interface Block {
  readonly start: number;
  free: number;
  dirty: number;
  /** Chunks by offset in the block. */
  readonly chunks: Map<number, Chunk>;
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0 && n <= 2 ** 30;
const alignUp = (v: number, a: number): number => v + ((a - (v % a)) % a);
/** get_order() in pages: smallest order with 2^order ≥ pages. */
const orderOf = (pages: number): number => (pages <= 1 ? 0 : fls(pages - 1));
const byStart = (a: { start: number }, b: { start: number }): number => a.start - b.start;

/** purge_fragmented_blocks(): every handed-out chunk unmapped, and not the whole block dirty. */
const isFragmented = (b: Block, blockPages: number): boolean =>
  b.free + b.dirty === blockPages && b.dirty !== blockPages;

const FREE = 1;
const USED = 2;

/**
 * Segment tree over positions [0, pages) of the window; each node holds its longest free prefix,
 * suffix and run, with lazy range assignment. Leaves past `pages` (padding to a power of two) are
 * permanently used. Every operation is O(log W).
 */
class FreeRunTree {
  private carry = 0;
  private found = -1;
  /** Nodes written since this tree was cloned (restores, issue 14). */
  private readonly dirty: DirtyChunks;

  private constructor(
    readonly pages: number,
    readonly leaves: number,
    private readonly pre: Int32Array,
    private readonly suf: Int32Array,
    private readonly max: Int32Array,
    private readonly tag: Int8Array,
  ) {
    this.dirty = new DirtyChunks(2 * leaves, 4);
  }

  /** All of [0, pages) free. O(W). */
  static create(pages: number): FreeRunTree {
    let leaves = 1;
    while (leaves < pages) leaves *= 2;
    const t = new FreeRunTree(
      pages,
      leaves,
      new Int32Array(2 * leaves),
      new Int32Array(2 * leaves),
      new Int32Array(2 * leaves),
      new Int8Array(2 * leaves),
    );
    for (let i = 0; i < leaves; i++) {
      const v = i < pages ? 1 : 0;
      t.pre[leaves + i] = v;
      t.suf[leaves + i] = v;
      t.max[leaves + i] = v;
    }
    for (let first = leaves >> 1, len = 2; first >= 1; first >>= 1, len *= 2) {
      for (let i = first; i < 2 * first; i++) t.pull(i, len);
    }
    return t;
  }

  /**
   * O(W) copy, or, with `reuse` (an earlier clone of this tree, which has not changed since), the
   * storage of `reuse` with only the nodes it wrote copied back: O(nodes written). `whole`: `reuse` is
   * a copy of another state of this tree, so every node is copied back.
   */
  clone(reuse?: FreeRunTree, whole = false): FreeRunTree {
    if (reuse) {
      reuse.dirty.restore(reuse.arrays(), this.arrays(), whole);
      return reuse;
    }
    return new FreeRunTree(
      this.pages,
      this.leaves,
      this.pre.slice(),
      this.suf.slice(),
      this.max.slice(),
      this.tag.slice(),
    );
  }

  private arrays(): Restorable[] {
    return [this.pre, this.suf, this.max, this.tag];
  }

  /** Longest free run. O(1). */
  largest(): number {
    return this.max[1]!;
  }

  /** Mark [l, r) used (used = true) or free. O(log W). */
  assign(l: number, r: number, used: boolean): void {
    this.assignRec(1, 0, this.leaves, l, r, used ? USED : FREE);
  }

  /** Leftmost x ≥ from with [x, x + n) free, or -1. O(log W). */
  firstFit(from: number, n: number): number {
    if (n > this.max[1]!) return -1;
    this.carry = 0;
    this.found = -1;
    this.fit(1, 0, this.leaves, from, n);
    return this.found;
  }

  /** Leftmost used position ≥ from (padding counts: at most `leaves`). O(log W). */
  firstUsed(from: number): number {
    const p = this.used(1, 0, this.leaves, from);
    return p < 0 ? this.leaves : p;
  }

  /** Rightmost used position < before, or -1. O(log W). */
  lastUsedBefore(before: number): number {
    return this.usedBefore(1, 0, this.leaves, before);
  }

  private pull(i: number, len: number): void {
    const { pre, suf, max } = this;
    const l = 2 * i;
    const r = l + 1;
    const half = len >> 1;
    this.dirty.mark(i);
    const pl = pre[l]!;
    const sr = suf[r]!;
    pre[i] = pl === half ? half + pre[r]! : pl;
    suf[i] = sr === half ? half + suf[l]! : sr;
    max[i] = Math.max(max[l]!, max[r]!, suf[l]! + pre[r]!);
  }

  private setAll(i: number, len: number, v: number): void {
    const run = v === FREE ? len : 0;
    this.dirty.mark(i);
    this.pre[i] = run;
    this.suf[i] = run;
    this.max[i] = run;
    if (i < this.leaves) this.tag[i] = v;
  }

  private push(i: number, len: number): void {
    const v = this.tag[i]!;
    if (v === 0) return;
    this.setAll(2 * i, len >> 1, v);
    this.setAll(2 * i + 1, len >> 1, v);
    this.dirty.mark(i);
    this.tag[i] = 0;
  }

  private assignRec(i: number, lo: number, hi: number, l: number, r: number, v: number): void {
    if (r <= lo || hi <= l) return;
    const len = hi - lo;
    if (l <= lo && hi <= r) {
      this.setAll(i, len, v);
      return;
    }
    this.push(i, len);
    const mid = (lo + hi) >> 1;
    this.assignRec(2 * i, lo, mid, l, r, v);
    this.assignRec(2 * i + 1, mid, hi, l, r, v);
    this.pull(i, len);
  }

  /**
   * In-order walk of the nodes covering [from, leaves) with `carry` = free run ending just before
   * the node (positions before `from` count as used). A node that fully answers or fully fails is
   * settled in O(1); only the left boundary path and one node with max ≥ n are descended.
   */
  private fit(i: number, lo: number, hi: number, from: number, n: number): boolean {
    if (hi <= from) return false;
    const len = hi - lo;
    if (lo >= from) {
      if (this.carry + this.pre[i]! >= n) {
        this.found = lo - this.carry;
        return true;
      }
      if (this.max[i]! < n) {
        this.carry = this.pre[i] === len ? this.carry + len : this.suf[i]!;
        return false;
      }
    }
    this.push(i, len);
    const mid = (lo + hi) >> 1;
    if (this.fit(2 * i, lo, mid, from, n)) return true;
    return this.fit(2 * i + 1, mid, hi, from, n);
  }

  private used(i: number, lo: number, hi: number, from: number): number {
    const len = hi - lo;
    if (hi <= from || this.pre[i] === len) return -1;
    if (lo >= from && this.max[i] === 0) return lo;
    this.push(i, len);
    const mid = (lo + hi) >> 1;
    const p = this.used(2 * i, lo, mid, from);
    return p >= 0 ? p : this.used(2 * i + 1, mid, hi, from);
  }

  /** `used` mirrored: the rightmost used position in [lo, hi) before `before`, or -1. */
  private usedBefore(i: number, lo: number, hi: number, before: number): number {
    const len = hi - lo;
    if (lo >= before || this.pre[i] === len) return -1;
    if (hi <= before && this.max[i] === 0) return hi - 1;
    this.push(i, len);
    const mid = (lo + hi) >> 1;
    const p = this.usedBefore(2 * i + 1, mid, hi, before);
    return p >= 0 ? p : this.usedBefore(2 * i, lo, mid, before);
  }
}

/**
 * The vmap allocator of one window [startPage, endPage), single CPU for the vm_map_ram blocks [A].
 * The kernel's free_vmap_cache (resume point) is not modelled [A] (VMALLOC-3, docs/model.md §6.2):
 * placement is always the lowest fit.
 */
export class VmapAllocator {
  readonly windowPages: number;
  private tree: FreeRunTree;
  private areaMap: Map<number, VmapArea>;
  /** Starts of the lazy areas (VM_LAZY_FREE). */
  private lazySet: Set<number>;
  private live = 0;
  private lazy = 0;
  /** vmap_block_tree: blocks by start (blocks are aligned to blockPages, so start = addr - addr mod blockPages). */
  private blockMap: Map<number, Block>;
  /** vmap_block_queue.free: starts of blocks with free space, head first (new blocks go to the head). */
  private freeList: number[];
  /**
   * Set by every mutating call since this copy was made (refused ones too): a reusing clone keeps
   * an unchanged allocator as it is, and the explorer reuses its parent's fingerprint part.
   */
  private written = false;

  /**
   * @param startPage first page of the window (VMALLOC_START >> 12)
   * @param endPage page after the window (VMALLOC_END >> 12)
   * @param lazyMaxPages lazy_max_pages(): purge when vmap_lazy_nr exceeds it
   * @param blockPages VMAP_BBMAP_BITS: pages per vm_map_ram block, a power of two ≥ VMAP_MAX_ALLOC
   * Complexity: O(W).
   */
  constructor(
    readonly startPage: number,
    readonly endPage: number,
    readonly lazyMaxPages: number,
    readonly blockPages: number,
  ) {
    if (!Number.isInteger(startPage) || !Number.isInteger(endPage) || startPage < 0 || endPage <= startPage) {
      throw new ModelBug(`vmap window [${startPage}, ${endPage}) is empty or not in whole pages`);
    }
    if (!Number.isInteger(lazyMaxPages) || lazyMaxPages < 0) {
      throw new ModelBug(`lazyMaxPages ${lazyMaxPages} is not a page count`);
    }
    if (!isPow2(blockPages) || blockPages < VMAP_MAX_ALLOC) {
      throw new ModelBug(`blockPages ${blockPages}: want a power of two ≥ ${VMAP_MAX_ALLOC}`);
    }
    this.windowPages = endPage - startPage;
    this.tree = FreeRunTree.create(this.windowPages);
    this.areaMap = new Map();
    this.lazySet = new Set();
    this.blockMap = new Map();
    this.freeList = [];
  }

  /** Pages of live areas (including blocks' areas). O(1). */
  get livePages(): number {
    return this.live;
  }
  /** vmap_lazy_nr: pages of lazy areas. O(1). */
  get lazyPages(): number {
    return this.lazy;
  }
  /** Live + lazy pages: what the window has lost. O(1). */
  get usedPages(): number {
    return this.live + this.lazy;
  }
  /** O(1). */
  get freePages(): number {
    return this.windowPages - this.live - this.lazy;
  }
  /** Longest run of free pages (the largest request with alignment 1 that fits without a purge). O(1). */
  largestFreeRun(): number {
    return this.tree.largest();
  }

  /**
   * The longest free run purge() would leave, without purging: every lazy area and every
   * fragmented free-list block (as purgeSync() picks them) counted free, each joined with the free
   * pages on either side and with the next such range where they meet. A driver sizes a vmap at
   * the window's edge by it (commands.ts); copying the window to purge a copy cost O(W). The
   * allocator's state is unchanged, but, as every tree query does, the walk may push lazy tags
   * down: the same state in other words, which a reusing clone's restore need not see.
   * Complexity: O((L + B) log W + (L + B) log(L + B)).
   */
  largestFreeRunAfterPurge(): number {
    // the ranges a purge frees, as window offsets
    const freed: { start: number; pages: number }[] = [];
    for (const s of this.lazySet)
      freed.push({ start: s - this.startPage, pages: this.areaMap.get(s)!.pages });
    for (const bs of this.freeList)
      if (isFragmented(this.blockMap.get(bs)!, this.blockPages))
        freed.push({ start: bs - this.startPage, pages: this.blockPages });
    freed.sort(byStart);
    let best = this.tree.largest();
    for (let k = 0; k < freed.length; ) {
      const left = this.tree.lastUsedBefore(freed[k]!.start) + 1;
      let end = freed[k]!.start + freed[k]!.pages;
      k++;
      // the free pages after a range, and the next range when it starts where they end (padding
      // past the window counts as used: a run never ends past windowPages)
      let next = this.tree.firstUsed(end);
      while (k < freed.length && freed[k]!.start === next) {
        end = next + freed[k]!.pages;
        k++;
        next = this.tree.firstUsed(end);
      }
      best = Math.max(best, next - left);
    }
    return best;
  }

  /**
   * Whether some block has unmapped (dirty) chunks whose TLB entries may be stale: the cue for a
   * vm_unmap_aliases(). True also for full blocks, which vm_unmap_aliases() does not flush in 3.18.
   * O(B).
   */
  hasDirtyBlocks(): boolean {
    for (const b of this.blockMap.values()) if (b.dirty > 0) return true;
    return false;
  }

  /** find_vmap_area(): the area starting at `start`, live or lazy. O(1). */
  find(start: number): VmapArea | undefined {
    // VMALLOC-3 find_vmap_area(): exact start lookup
    return this.areaMap.get(start);
  }

  /** All areas sorted by start. O(n log n). */
  *areas(): IterableIterator<VmapArea> {
    yield* [...this.areaMap.values()].sort(byStart);
  }

  /** All vm_map_ram blocks sorted by start, with their chunks. O(B log B + chunks). */
  blocks(): VmapBlockInfo[] {
    const onList = new Set(this.freeList);
    return [...this.blockMap.values()].sort(byStart).map((b) => ({
      start: b.start,
      free: b.free,
      dirty: b.dirty,
      onFreeList: onList.has(b.start),
      chunks: [...b.chunks.entries()]
        .sort((x, y) => x[0] - y[0])
        .map(([off, c]) => ({ start: b.start + off, order: c.order, tag: c.tag, dirty: c.dirty })),
    }));
  }

  /**
   * alloc_vmap_area(): the lowest start a, a multiple of alignPages in absolute pages, with
   * [a, a + pages) inside the window and free (live and lazy areas both occupy). If none: purge
   * once (purge_vmap_area_lazy, which also frees fully-unmapped blocks) and retry; still none → fail.
   * Complexity: O((1 + k) log W) where k = free runs of length ≥ pages skipped because their first
   * aligned start does not fit (k = 0 for alignPages 1; each skipped run is shorter than
   * pages + alignPages − 1); plus O(L log L + B) when it purges (L lazy areas, B blocks).
   */
  allocVmapArea(pages: number, alignPages: number, tag: number): AllocResult {
    this.written = true;
    // VMALLOC-3 alloc_vmap_area(): first fit from VMALLOC_START at aligned addresses
    return this.allocArea(pages, alignPages, tag, 'area');
  }

  /**
   * A live area at a fixed start (boot-time areas read from a real /proc/vmallocinfo): refused
   * (false) unless [start, start + pages) lies in the window and is free. O(log W).
   */
  reserveAt(start: number, pages: number, tag: number): boolean {
    this.written = true;
    checkPages(pages);
    const x = start - this.startPage;
    if (x < 0 || x + pages > this.windowPages) return false;
    if (this.tree.firstUsed(x) < x + pages) return false;
    this.tree.assign(x, x + pages, true);
    this.areaMap.set(start, { start, pages, tag, state: 'live', kind: 'area' });
    this.live += pages;
    return true;
  }

  /**
   * free_unmap_vmap_area(): the area becomes lazy (vmap_lazy_nr += pages); if vmap_lazy_nr then
   * exceeds lazyMaxPages, every lazy area is purged (the try-lock purge, which does not touch
   * blocks) and returned. Refused without change: unknown start, already lazy, a block's area.
   * Complexity: O(1), or O(L log L + L log W) when it purges.
   */
  freeVmapAreaLazy(start: number): FreeResult {
    this.written = true;
    // VMALLOC-5 free_unmap_vmap_area(): PTEs go now, the range stays until a purge
    const area = this.areaMap.get(start);
    if (area === undefined) return { ok: false, reason: 'no-area' };
    if (area.state === 'lazy') return { ok: false, reason: 'already-lazy' };
    if (area.kind === 'block') return { ok: false, reason: 'block-area' };
    return { ok: true, purged: this.freeNoflush(area) };
  }

  /**
   * purge_vmap_area_lazy(): the synchronous purge. First purge_fragmented_blocks_allcpus() frees
   * every block on the free list whose handed-out space is all unmapped (free + dirty = block,
   * dirty < block); then every lazy area is released, in address order, and returned.
   * Complexity: O(B + L log L + L log W).
   */
  purge(): PurgedArea[] {
    this.written = true;
    // VMALLOC-5 purge_vmap_area_lazy(): sync purge, fragmented blocks first
    return this.purgeSync();
  }

  /**
   * vm_map_ram() address space: more than VMAP_MAX_ALLOC pages → its own area (alignment 1, no
   * guard); else vb_alloc(): 2^order pages from the first block on the free list (head first) with
   * at least that much unhanded space, handed out sequentially; none → a new block (an area of
   * blockPages aligned to blockPages, put at the head of the list) serves it.
   * Complexity: O(B) list walk + as allocVmapArea when a block or area is allocated.
   */
  vmMapRam(pages: number, tag: number): AllocResult {
    this.written = true;
    // VMALLOC-7 vm_map_ram(): per-CPU block for ≤ VMAP_MAX_ALLOC pages, else own area
    checkPages(pages);
    if (pages > VMAP_MAX_ALLOC) return this.allocArea(pages, 1, tag, 'ram');
    return this.vbAlloc(pages, tag);
  }

  /**
   * vm_unmap_ram(): more than VMAP_MAX_ALLOC pages → its area becomes lazy (as freeVmapAreaLazy);
   * else vb_free(): the chunk's 2^order pages become dirty; a block whose space is all dirty is
   * freed lazily (free_vmap_block), which may trigger the threshold purge. Refused without change
   * for an address vm_map_ram did not hand out, a second unmap or a different order.
   * Complexity: O(1), or O(L log L + L log W) when it purges.
   */
  vmUnmapRam(start: number, pages: number): FreeResult {
    this.written = true;
    // VMALLOC-7 vm_unmap_ram(): vb_free() for ≤ VMAP_MAX_ALLOC pages, else free_unmap_vmap_area_addr()
    checkPages(pages);
    if (pages > VMAP_MAX_ALLOC) {
      const area = this.areaMap.get(start);
      if (area === undefined || area.kind !== 'ram') return { ok: false, reason: 'not-handed-out' };
      if (area.state === 'lazy') return { ok: false, reason: 'already-unmapped' };
      if (area.pages !== pages) return { ok: false, reason: 'size-mismatch' };
      return { ok: true, purged: this.freeNoflush(area) };
    }
    return this.vbFree(start, pages);
  }

  /**
   * vm_unmap_aliases(): collects the dirty ranges of the blocks on the free list, then runs the
   * synchronous purge (purge()). Returns the purged areas plus one 'block-dirty' entry per unmapped
   * chunk of each free-list block that survives the purge, all sorted by start.
   * 3.18 walks only the free list: a full block (no free space left) with unmapped chunks is not
   * flushed, so their stale entries stay (fixed upstream much later [M]). The kernel flushes one
   * range [lowest, highest) covering everything, which may also flush other stale ranges lying in
   * between; the model reports only the exact ranges [A].
   * Complexity: O(B + chunks + L log L + L log W).
   */
  vmUnmapAliases(): PurgedArea[] {
    this.written = true;
    // VMALLOC-5 vm_unmap_aliases(): flush dirty block ranges and purge all lazy areas
    const dirty: { block: number; entry: PurgedArea }[] = [];
    for (const bs of this.freeList) {
      const b = this.blockMap.get(bs)!;
      for (const [off, c] of b.chunks) {
        if (c.dirty)
          dirty.push({
            block: bs,
            entry: { start: bs + off, pages: 2 ** c.order, tag: c.tag, kind: 'block-dirty' },
          });
      }
    }
    const purged = this.purgeSync();
    for (const d of dirty) if (this.blockMap.has(d.block)) purged.push(d.entry);
    return purged.sort(byStart);
  }

  /** Canonical text of window, counters, areas, blocks and the free list. O(n log n + chunks). */
  snapshot(): string {
    const lines = [
      `vmap [${hex(this.startPage)},${hex(this.endPage)}) lazyMax=${this.lazyMaxPages} blockPages=${this.blockPages}`,
      `pages live=${this.live} lazy=${this.lazy} used=${this.usedPages} free=${this.freePages} largestFree=${this.largestFreeRun()}`,
    ];
    for (const a of this.areas())
      lines.push(`area ${hex(a.start)} +${a.pages} ${a.state} ${a.kind} tag=${a.tag}`);
    for (const b of this.blocks()) {
      lines.push(`block ${hex(b.start)} free=${b.free} dirty=${b.dirty} onFreeList=${b.onFreeList}`);
      for (const c of b.chunks) {
        lines.push(`  chunk ${hex(c.start)} order=${c.order} tag=${c.tag} ${c.dirty ? 'dirty' : 'mapped'}`);
      }
    }
    lines.push(`freeList ${this.freeList.map(hex).join(' ')}`.trimEnd());
    return lines.join('\n');
  }

  /** Whether a mutating call was made since this allocator was copied (or booted). */
  get changed(): boolean {
    return this.written;
  }

  /**
   * The information of snapshot(), as numbers in the same order, handed to `put` one by one: the
   * explorer's fingerprint without building the text. O(n log n + chunks).
   */
  digest(put: (x: number) => void): void {
    put(this.startPage);
    put(this.endPage);
    put(this.lazyMaxPages);
    put(this.blockPages);
    put(this.live);
    put(this.lazy);
    put(this.largestFreeRun());
    const areas = [...this.areaMap.values()].sort(byStart);
    for (const a of areas) {
      put(a.start);
      put(a.pages);
      put((a.state === 'live' ? 0 : 1) | (AREA_KINDS.indexOf(a.kind) << 1));
      put(a.tag);
    }
    put(-1 - areas.length);
    const onList = this.freeList;
    const blocks = [...this.blockMap.values()].sort(byStart);
    for (const b of blocks) {
      put(b.start);
      put(b.free);
      put(b.dirty);
      put(onList.includes(b.start) ? 1 : 0);
      const offs = [...b.chunks.keys()].sort((x, y) => x - y);
      for (const off of offs) {
        const c = b.chunks.get(off)!;
        put(b.start + off);
        put(c.order);
        put(c.tag);
        put(c.dirty ? 1 : 0);
      }
      put(-1 - offs.length);
    }
    put(-1 - blocks.length);
    for (const bs of onList) put(bs);
    put(-1 - onList.length);
  }

  /**
   * Deep copy. O(W + n + chunks) (the tree's typed arrays are copied; areas are immutable and
   * shared). With `reuse` (an earlier clone of this allocator, which has not changed since)
   * `reuse` itself: its tree restored (O(nodes written)), its maps kept when it made no call
   * since, else copied (O(n + chunks)). `whole`: `reuse` is a copy of another state of this
   * window: everything is copied (O(W + n + chunks), no allocation for the tree).
   */
  clone(reuse?: VmapAllocator, whole = false): VmapAllocator {
    if (reuse) {
      this.tree.clone(reuse.tree, whole);
      if (reuse.written || whole) reuse.copySmall(this);
      return reuse;
    }
    const c = Object.create(VmapAllocator.prototype) as VmapAllocator;
    Object.assign(c, {
      startPage: this.startPage,
      endPage: this.endPage,
      lazyMaxPages: this.lazyMaxPages,
      blockPages: this.blockPages,
      windowPages: this.windowPages,
      tree: this.tree.clone(),
    });
    c.copySmall(this);
    return c;
  }

  /** Everything but the window and the tree, from `from`; the copy starts unchanged. */
  private copySmall(from: VmapAllocator): void {
    this.areaMap = new Map(from.areaMap);
    this.lazySet = new Set(from.lazySet);
    this.live = from.live;
    this.lazy = from.lazy;
    this.blockMap = new Map();
    for (const [s, b] of from.blockMap) {
      const chunks = new Map<number, Chunk>();
      for (const [o, ch] of b.chunks) chunks.set(o, { order: ch.order, tag: ch.tag, dirty: ch.dirty });
      this.blockMap.set(s, { start: b.start, free: b.free, dirty: b.dirty, chunks });
    }
    this.freeList = [...from.freeList];
    this.written = false;
  }

  // ---- internals ----

  /** Lowest aligned fit as a window offset, or -1. O((1 + k) log W), see allocVmapArea. */
  private firstFit(pages: number, align: number): number {
    let from = 0;
    for (;;) {
      const x = this.tree.firstFit(from, pages);
      if (x < 0) return -1;
      if (align === 1) return x;
      // x starts a free run (from is 0 or just past a used page); the run ends at the next used page.
      const end = this.tree.firstUsed(x + pages);
      const a = alignUp(this.startPage + x, align) - this.startPage;
      if (a + pages <= end) return a;
      from = end + 1;
    }
  }

  /** alloc_vmap_area() for every caller (area, ram, block). Complexity as allocVmapArea. */
  private allocArea(pages: number, align: number, tag: number, kind: AreaKind): AllocResult {
    // VMALLOC-4 alloc_vmap_area(): purge once and retry before failing
    checkPages(pages);
    if (!isPow2(align)) throw new ModelBug(`alloc_vmap_area alignment ${align} is not a power of two pages`);
    let purged: PurgedArea[] = [];
    let x = this.firstFit(pages, align);
    if (x < 0) {
      purged = this.purgeSync();
      x = this.firstFit(pages, align);
      if (x < 0) return { ok: false, purged };
    }
    const start = this.startPage + x;
    this.tree.assign(x, x + pages, true);
    this.areaMap.set(start, { start, pages, tag, state: 'live', kind });
    this.live += pages;
    return { ok: true, start, purged };
  }

  /** free_vmap_area_noflush(): mark lazy; the try-lock purge past the threshold. O(1), or as purgeLazy. */
  private freeNoflush(area: VmapArea): PurgedArea[] {
    // VMALLOC-5 free_vmap_area_noflush(): vmap_lazy_nr > lazy_max_pages() → try_purge_vmap_area_lazy()
    this.markLazy(area);
    return this.lazy > this.lazyMaxPages ? this.purgeLazy() : [];
  }

  private markLazy(area: VmapArea): void {
    this.areaMap.set(area.start, { ...area, state: 'lazy' });
    this.lazySet.add(area.start);
    this.live -= area.pages;
    this.lazy += area.pages;
  }

  /** __purge_vmap_area_lazy(): release every lazy area, address order. O(L log L + L log W). */
  private purgeLazy(): PurgedArea[] {
    // VMALLOC-5 __purge_vmap_area_lazy(): flush and release all VM_LAZY_FREE areas
    const starts = [...this.lazySet].sort((a, b) => a - b);
    const purged: PurgedArea[] = [];
    for (const s of starts) {
      const a = this.areaMap.get(s)!;
      this.tree.assign(s - this.startPage, s - this.startPage + a.pages, false);
      this.areaMap.delete(s);
      this.lazy -= a.pages;
      purged.push({ start: s, pages: a.pages, tag: a.tag, kind: 'area' });
    }
    this.lazySet.clear();
    return purged;
  }

  /**
   * purge_vmap_area_lazy() = __purge_vmap_area_lazy(sync = 1): fragmented blocks, then all lazy
   * areas. O(B² worst for the list splices, B blocks on the free list) + as purgeLazy.
   */
  private purgeSync(): PurgedArea[] {
    // VMALLOC-7 purge_fragmented_blocks_allcpus(): free-list blocks with no mapped chunk left go lazy
    for (const bs of [...this.freeList]) {
      const b = this.blockMap.get(bs)!;
      if (isFragmented(b, this.blockPages)) {
        this.freeList.splice(this.freeList.indexOf(bs), 1);
        this.blockMap.delete(bs);
        this.markLazy(this.areaMap.get(bs)!);
      }
    }
    return this.purgeLazy();
  }

  /** vb_alloc(). O(B) list walk, + allocArea when a new block is needed. */
  private vbAlloc(pages: number, tag: number): AllocResult {
    // VMALLOC-7 vb_alloc(): first free-list block with ≥ 2^order unhanded pages, else new_vmap_block()
    const order = orderOf(pages);
    const need = 2 ** order;
    let purged: PurgedArea[] = [];
    let block: Block | undefined;
    for (const bs of this.freeList) {
      const b = this.blockMap.get(bs)!;
      if (b.free >= need) {
        block = b;
        break;
      }
    }
    if (block === undefined) {
      // VMALLOC-7 new_vmap_block(): an area of VMAP_BLOCK_SIZE aligned to its size, at the list head
      const r = this.allocArea(this.blockPages, this.blockPages, VMAP_BLOCK_TAG, 'block');
      if (!r.ok) return r;
      purged = r.purged;
      block = { start: r.start, free: this.blockPages, dirty: 0, chunks: new Map() };
      this.blockMap.set(r.start, block);
      this.freeList.unshift(r.start);
    }
    const off = this.blockPages - block.free;
    block.free -= need;
    block.chunks.set(off, { order, tag, dirty: false });
    if (block.free === 0) this.freeList.splice(this.freeList.indexOf(block.start), 1);
    return { ok: true, start: block.start + off, purged };
  }

  /** vb_free(). O(1) + the threshold purge. */
  private vbFree(start: number, pages: number): FreeResult {
    // VMALLOC-7 vb_free(): mark dirty; a fully dirty block is freed lazily (free_vmap_block())
    const bs = start - (((start % this.blockPages) + this.blockPages) % this.blockPages);
    const block = this.blockMap.get(bs);
    const chunk = block?.chunks.get(start - bs);
    if (block === undefined || chunk === undefined) return { ok: false, reason: 'not-handed-out' };
    if (chunk.dirty) return { ok: false, reason: 'already-unmapped' };
    if (chunk.order !== orderOf(pages)) return { ok: false, reason: 'size-mismatch' };
    chunk.dirty = true;
    block.dirty += 2 ** chunk.order;
    if (block.dirty < this.blockPages) return { ok: true, purged: [] };
    // VMALLOC-7 free_vmap_block(): off the block tree, its area lazy (free_vmap_area_noflush())
    this.blockMap.delete(bs);
    return { ok: true, purged: this.freeNoflush(this.areaMap.get(bs)!) };
  }
}

function checkPages(pages: number): void {
  if (!Number.isInteger(pages) || pages < 1) {
    throw new ModelBug(`vmap request of ${pages} pages (the kernel BUGs on 0 or unaligned sizes)`);
  }
}
