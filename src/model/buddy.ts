/**
 * The zone page allocator of mm/page_alloc.c (3.18) for ONE zone, as a pure data structure over
 * absolute page indices [startIdx, endIdx). Who owns an allocated page is the caller's business:
 * this file only knows which pages are free and how the free ones are grouped into buddy blocks.
 *
 * Modelled faithfully: __rmqueue_smallest() (smallest order first, HEAD of the list), expand()
 * (upper halves to the HEAD of the lower lists), __free_one_page() (merge while the buddy is a free
 * block of the same order, then list_add(), or list_add_tail() when the buddy of the merged block
 * at the next order is free: the 3.18 "coalesce soon" hint), and the boot free
 * __free_pages_memory() (largest naturally aligned blocks, in ascending order).
 *
 * Not modelled [A]: migrate types (one free list per order, as if every pageblock had one type),
 * per-CPU page lists (order-0 frees and allocations go straight to the buddy lists, as
 * free_pcppages_bulk() would eventually do with a pcp high mark of 0), watermarks (the caller's
 * policy), guard pages (DEBUG_PAGEALLOC) and page isolation.
 *
 * Buddies are computed relative to startIdx (the kernel uses pfn & (MAX_ORDER_NR_PAGES - 1); both
 * agree when the zone starts on a MAX_ORDER boundary), and a block never leaves the zone: a buddy
 * outside [startIdx, endIdx) is never free here, as page_is_buddy()'s zone check makes it in the
 * kernel.
 *
 * Bad frees (double free, out of zone, misaligned) are refused with a FreeResult and leave the
 * structure untouched; the kernel would corrupt its lists or BUG, the model reports instead.
 */
import { DirtyChunks, type Restorable } from './dirty.ts';
import { ModelBug } from './types.ts';

/** Chunks of 64 pages: block fills mark one chunk per 64 pages. */
const DIRTY_SHIFT = 6;

/** Why a free was refused; `page` is the first offending absolute page index. */
export type FreeFailure = 'double-free' | 'out-of-zone' | 'misaligned';
export type FreeResult = { ok: true } | { ok: false; reason: FreeFailure; page: number };
/** The one success value (a free is per page on hot paths: no object per call). */
const FREED: FreeResult = Object.freeze({ ok: true });

export interface BuddyOptions {
  /**
   * 3.18 __free_one_page() puts a merged block at the TAIL of its list when the buddy of the
   * merged block at the next order is free (order < MAX_ORDER - 2). Default true (the kernel);
   * false = always list_add() at the head (kernels before 2.6.34 / the simplified policy).
   */
  readonly tailHint?: boolean;
}

/** A free block: absolute index of its first page and its order. */
export interface FreeBlock {
  readonly idx: number;
  readonly order: number;
}

const NONE = -1;

/** Number of trailing zero bits of a positive integer below 2^31 (__ffs()). */
const ctz = (x: number): number => 31 - Math.clz32(x & -x);

export class BuddyZone {
  readonly name: string;
  readonly startIdx: number;
  readonly endIdx: number;
  /** MAX_ORDER: blocks have orders 0 .. maxOrder - 1. */
  readonly maxOrder: number;
  readonly tailHint: boolean;
  /** Number of pages in the zone (spanned = present here). */
  readonly size: number;

  /** Per page (relative index): order of the free block starting here (PageBuddy + page_order), else -1. */
  private readonly freeOrder: Int8Array;
  /** Per page: 1 iff the page lies inside some free block (set on free, cleared on alloc only). */
  private readonly isFree: Uint8Array;
  /** free_area[order].free_list as doubly linked lists of absolute block indices, -1 terminated. */
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;
  /** free_area[order].nr_free. */
  private readonly nrFree: Int32Array;
  private nrFreePages = 0;
  /** Per-page array entries written since this zone was cloned (restores, issue 14). */
  private readonly dirty: DirtyChunks;

  /** O(endIdx - startIdx): allocates the per-page arrays. The zone starts EMPTY (all pages in use). */
  constructor(name: string, startIdx: number, endIdx: number, maxOrder = 11, opts: BuddyOptions = {}) {
    if (!Number.isSafeInteger(startIdx) || !Number.isSafeInteger(endIdx) || startIdx < 0 || endIdx < startIdx)
      throw new ModelBug(`BuddyZone ${name}: bad range [${startIdx}, ${endIdx})`);
    if (endIdx - startIdx > 2 ** 30) throw new ModelBug(`BuddyZone ${name}: zone too large`);
    if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 30)
      throw new ModelBug(`BuddyZone ${name}: bad maxOrder ${maxOrder}`);
    this.name = name;
    this.startIdx = startIdx;
    this.endIdx = endIdx;
    this.maxOrder = maxOrder;
    this.tailHint = opts.tailHint ?? true;
    this.size = endIdx - startIdx;
    this.freeOrder = new Int8Array(this.size).fill(NONE);
    this.isFree = new Uint8Array(this.size);
    this.next = new Int32Array(this.size).fill(NONE);
    this.prev = new Int32Array(this.size).fill(NONE);
    this.heads = new Int32Array(maxOrder).fill(NONE);
    this.tails = new Int32Array(maxOrder).fill(NONE);
    this.nrFree = new Int32Array(maxOrder);
    this.dirty = new DirtyChunks(this.size, DIRTY_SHIFT);
  }

  // ---------------------------------------------------------------------------------------------
  // Counters

  /** nr_free_pages (NR_FREE_PAGES of the zone). O(1). */
  get freePagesCount(): number {
    return this.nrFreePages;
  }

  /** free_area[order].nr_free: number of free blocks of that order. O(1). */
  freeCount(order: number): number {
    this.checkOrder(order);
    return this.nrFree[order]!;
  }

  /** Highest order with a free block, -1 if the zone has no free page. O(maxOrder). */
  largestFreeOrder(): number {
    for (let o = this.maxOrder - 1; o >= 0; o--) if (this.nrFree[o]! > 0) return o;
    return -1;
  }

  /** Whether idx is a free page of this zone (false outside the zone). O(1). */
  isPageFree(idx: number): boolean {
    return this.inZone(idx) && this.isFree[idx - this.startIdx] === 1;
  }

  /** Whether idx lies in [startIdx, endIdx). O(1). */
  inZone(idx: number): boolean {
    return Number.isInteger(idx) && idx >= this.startIdx && idx < this.endIdx;
  }

  // ---------------------------------------------------------------------------------------------
  // Allocation

  /**
   * __rmqueue_smallest(): the HEAD block of the smallest order >= `order` with a free block, split
   * by expand(). Returns its first absolute page index, or -1 if no block is large enough (also for
   * order >= maxOrder, as __alloc_pages_slowpath() returns NULL). Watermarks are the caller's.
   * O(maxOrder) for the search and the split + O(2^order) to mark the allocated pages not free.
   */
  allocPages(order: number): number {
    if (!Number.isInteger(order) || order < 0) throw new ModelBug(`allocPages: bad order ${order}`);
    for (let cur = order; cur < this.maxOrder; cur++) {
      const idx = this.heads[cur]!;
      if (idx === NONE) continue;
      const rel = idx - this.startIdx;
      this.listDel(idx, cur);
      this.nrFree[cur]!--;
      this.freeOrder[rel] = NONE; // rmv_page_order()
      this.expand(rel, order, cur);
      const n = 1 << order;
      this.dirty.markRange(rel, rel + n);
      this.isFree.fill(0, rel, rel + n);
      this.nrFreePages -= n;
      return idx;
    }
    return NONE;
  }

  /**
   * `to - from` calls of allocPages(0), the pages written to out[from, to) in the order they come.
   * Stops early when the zone runs out; returns how many were allocated. While the smallest free
   * block is of order k > 0 and at least 2^k pages are still wanted, the next 2^k calls take
   * exactly that block, in ascending order, and leave the lists below k empty again (expand()
   * hands out the lower half and queues the upper halves smallest first), so the whole block is
   * taken at once: O(blocks + pages) instead of O(pages · maxOrder).
   */
  allocOrder0Bulk(out: Int32Array, from: number, to: number): number {
    let i = from;
    while (i < to) {
      let cur = 0;
      while (cur < this.maxOrder && this.heads[cur] === NONE) cur++;
      if (cur === this.maxOrder) break;
      const n = 1 << cur;
      if (cur === 0 || to - i < n) {
        out[i++] = this.allocPages(0);
        continue;
      }
      const idx = this.heads[cur]!;
      const rel = idx - this.startIdx;
      this.listDel(idx, cur);
      this.nrFree[cur]!--;
      this.dirty.markRange(rel, rel + n);
      this.freeOrder[rel] = NONE;
      this.isFree.fill(0, rel, rel + n);
      this.nrFreePages -= n;
      for (let k = 0; k < n; k++) out[i++] = idx + k;
    }
    return i - from;
  }

  /**
   * expand(): split a 2^high block at `rel` down to 2^low, putting each upper half at the HEAD of
   * the next lower order's list (those lists are empty, high being the smallest non-empty order,
   * so head and tail are the same here). O(high - low).
   */
  private expand(rel: number, low: number, high: number): void {
    let size = 1 << high;
    while (high > low) {
      high--;
      size >>= 1;
      this.listAdd(this.startIdx + rel + size, high);
      this.nrFree[high]!++;
      this.dirty.mark(rel + size);
      this.freeOrder[rel + size] = high; // set_page_order()
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Freeing

  /**
   * __free_pages() → __free_one_page(): return the 2^order block at idx, merging with its buddy
   * while the buddy is a free block of the same order. Refused, with no change, if the block leaves
   * the zone, is not aligned to 2^order (relative to startIdx) or contains an already free page.
   * O(2^order) for the checks and the free marks + O(maxOrder) for the merge.
   */
  freePages(idx: number, order: number): FreeResult {
    this.checkOrder(order);
    const bad = this.validate(idx, 1 << order, order);
    if (bad) return bad;
    const rel = idx - this.startIdx;
    const n = 1 << order;
    this.dirty.markRange(rel, rel + n);
    this.isFree.fill(1, rel, rel + n);
    this.nrFreePages += n;
    this.freeOneBlock(rel, order);
    return FREED;
  }

  /**
   * __free_pages_memory() / __free_pages_bootmem(): boot free of [start, start + count) as the
   * largest naturally aligned blocks (alignment relative to startIdx, capped at maxOrder - 1), in
   * ascending order, each through __free_one_page(). The result, list order included, equals that
   * of freePages(p, 0) for each page in ascending order (free_contig_range(), the kernel's
   * per-page loops): every block those frees build inside one aligned block is merged away before
   * the next page outside it is freed, so only each aligned block's final insertion is left, and
   * it is the same (buddy.test.ts checks it). Refused, with no change, if the range leaves the
   * zone or contains a free page. count 0 is a no-op.
   * O(count) for the checks and marks + O(maxOrder) per block (O(count / 2^(maxOrder-1) + maxOrder)
   * blocks).
   */
  freeRange(start: number, count: number): FreeResult {
    if (!Number.isInteger(count) || count < 0) throw new ModelBug(`freeRange: bad count ${count}`);
    if (count === 0) return FREED;
    const bad = this.validate(start, count, 0);
    if (bad) return bad;
    let rel = start - this.startIdx;
    const endRel = rel + count;
    this.dirty.markRange(rel, endRel);
    this.isFree.fill(1, rel, endRel);
    this.nrFreePages += count;
    while (rel < endRel) {
      let order = rel === 0 ? this.maxOrder - 1 : Math.min(this.maxOrder - 1, ctz(rel));
      while (rel + (1 << order) > endRel) order--;
      this.freeOneBlock(rel, order);
      rel += 1 << order;
    }
    return FREED;
  }

  /**
   * split_page() + __free_page() of the tail (__dma_alloc_buffer(), DMA318-7;
   * ion_system_contig_heap_allocate(), HEAP-CONTIG-1): the allocated 2^order block at idx keeps its
   * first `keep` pages (now independent order-0 pages, each freeable with freePages(p, 0)) and
   * pages keep .. 2^order - 1 are freed one by one, ascending, as order-0 frees. Refused, with no
   * change, on the same grounds as freePages(idx, order). O(2^order · maxOrder).
   */
  splitAllocated(idx: number, order: number, keep: number): FreeResult {
    this.checkOrder(order);
    const n = 1 << order;
    if (!Number.isInteger(keep) || keep < 0 || keep > n)
      throw new ModelBug(`splitAllocated: keep ${keep} outside [0, ${n}]`);
    const bad = this.validate(idx, n, order);
    if (bad) return bad;
    const rel = idx - this.startIdx;
    for (let r = rel + keep; r < rel + n; r++) {
      this.dirty.mark(r);
      this.isFree[r] = 1;
      this.nrFreePages++;
      this.freeOneBlock(r, 0);
    }
    return FREED;
  }

  /**
   * __free_one_page(): insert the free block (rel, order), whose pages are already marked free.
   * O(maxOrder).
   */
  private freeOneBlock(rel: number, order: number): void {
    let buddy = NONE;
    while (order < this.maxOrder - 1) {
      buddy = rel ^ (1 << order); // __find_buddy_index()
      if (!this.pageIsBuddy(buddy, order)) break;
      this.listDel(this.startIdx + buddy, order);
      this.nrFree[order]!--;
      this.dirty.mark(buddy);
      this.freeOrder[buddy] = NONE; // rmv_page_order()
      rel &= buddy; // combined_idx = buddy_idx & page_idx
      order++;
    }
    this.dirty.mark(rel);
    this.freeOrder[rel] = order; // set_page_order()
    // 3.18: "pages are being freed that will coalesce soon": list_add_tail() if the buddy of the
    // combined block at order + 1 is free. buddy is the last (failed) buddy, set whenever
    // order < maxOrder - 2.
    if (this.tailHint && order < this.maxOrder - 2 && buddy !== NONE) {
      const combined = buddy & rel;
      const higherBuddy = combined ^ (1 << (order + 1));
      if (this.pageIsBuddy(higherBuddy, order + 1)) {
        this.listAddTail(this.startIdx + rel, order);
        this.nrFree[order]!++;
        return;
      }
    }
    this.listAdd(this.startIdx + rel, order);
    this.nrFree[order]!++;
  }

  /** page_is_buddy(): rel starts a free block of exactly `order` inside this zone. O(1). */
  private pageIsBuddy(rel: number, order: number): boolean {
    return rel >= 0 && rel < this.size && this.freeOrder[rel] === order;
  }

  /**
   * Checks of a free of `count` pages at idx that must be aligned to 2^alignOrder. Returns the
   * refusal or null. O(count).
   */
  private validate(idx: number, count: number, alignOrder: number): FreeResult | null {
    if (!Number.isInteger(idx)) throw new ModelBug(`${this.name}: bad page index ${idx}`);
    if (idx < this.startIdx || idx >= this.endIdx) return { ok: false, reason: 'out-of-zone', page: idx };
    if (idx + count > this.endIdx) return { ok: false, reason: 'out-of-zone', page: this.endIdx };
    const rel = idx - this.startIdx;
    if ((rel & ((1 << alignOrder) - 1)) !== 0) return { ok: false, reason: 'misaligned', page: idx };
    for (let r = rel; r < rel + count; r++)
      if (this.isFree[r] === 1) return { ok: false, reason: 'double-free', page: this.startIdx + r };
    return null;
  }

  private checkOrder(order: number): void {
    if (!Number.isInteger(order) || order < 0 || order >= this.maxOrder)
      throw new ModelBug(`${this.name}: bad order ${order} (maxOrder ${this.maxOrder})`);
  }

  // ---------------------------------------------------------------------------------------------
  // Free lists (list_add / list_add_tail / list_del on free_area[order].free_list). O(1) each.

  private listAdd(idx: number, order: number): void {
    const rel = idx - this.startIdx;
    const head = this.heads[order]!;
    this.dirty.mark(rel);
    this.prev[rel] = NONE;
    this.next[rel] = head;
    if (head === NONE) this.tails[order] = idx;
    else this.setPrev(head - this.startIdx, idx);
    this.heads[order] = idx;
  }

  private listAddTail(idx: number, order: number): void {
    const rel = idx - this.startIdx;
    const tail = this.tails[order]!;
    this.dirty.mark(rel);
    this.next[rel] = NONE;
    this.prev[rel] = tail;
    if (tail === NONE) this.heads[order] = idx;
    else this.setNext(tail - this.startIdx, idx);
    this.tails[order] = idx;
  }

  private listDel(idx: number, order: number): void {
    const rel = idx - this.startIdx;
    const p = this.prev[rel]!;
    const n = this.next[rel]!;
    if (p === NONE) this.heads[order] = n;
    else this.setNext(p - this.startIdx, n);
    if (n === NONE) this.tails[order] = p;
    else this.setPrev(n - this.startIdx, p);
    this.dirty.mark(rel);
    this.prev[rel] = NONE;
    this.next[rel] = NONE;
  }

  private setNext(rel: number, idx: number): void {
    this.dirty.mark(rel);
    this.next[rel] = idx;
  }

  private setPrev(rel: number, idx: number): void {
    this.dirty.mark(rel);
    this.prev[rel] = idx;
  }

  // ---------------------------------------------------------------------------------------------
  // Inspection

  /** Free list of `order`, head first (absolute block indices). O(length). */
  freeList(order: number): number[] {
    this.checkOrder(order);
    const out: number[] = [];
    for (let i = this.heads[order]!; i !== NONE; i = this.next[i - this.startIdx]!) out.push(i);
    return out;
  }

  /** All free blocks sorted by index. O(B log B) for B free blocks. */
  freeBlocks(): FreeBlock[] {
    const out: FreeBlock[] = [];
    for (let o = 0; o < this.maxOrder; o++) for (const idx of this.freeList(o)) out.push({ idx, order: o });
    return out.sort((a, b) => a.idx - b.idx);
  }

  /**
   * Canonical description: zone, free page count and the sorted free blocks `idx:order`. Two zones
   * with the same free pages have the same snapshot (the buddy decomposition is unique) but may
   * still differ in list order, hence in future allocations: hash stateKey() to tell states apart.
   * O(B log B).
   */
  snapshot(): string {
    const blocks = this.freeBlocks()
      .map((b) => `${b.idx}:${b.order}`)
      .join(' ');
    return `${this.name}[${this.startIdx},${this.endIdx}) free=${this.nrFreePages} {${blocks}}`;
  }

  /** Exact state: snapshot() plus every free list in order, head first. O(B log B). */
  stateKey(): string {
    const lists: string[] = [];
    for (let o = 0; o < this.maxOrder; o++) lists.push(this.freeList(o).join(','));
    return `${this.snapshot()} lists=${lists.join('|')}`;
  }

  /**
   * Deep copy. O(size), or, with `reuse` (an earlier clone of this zone, which has not changed
   * since), the storage of `reuse` with only the entries it wrote copied back: O(entries written).
   * `whole`: `reuse` is a copy of another state of this zone, so every entry is copied back.
   */
  clone(reuse?: BuddyZone, whole = false): BuddyZone {
    if (reuse) {
      reuse.dirty.restore(reuse.perPage(), this.perPage(), whole);
      reuse.copySmall(this);
      return reuse;
    }
    const c = new BuddyZone(this.name, this.startIdx, this.endIdx, this.maxOrder, {
      tailHint: this.tailHint,
    });
    c.freeOrder.set(this.freeOrder);
    c.isFree.set(this.isFree);
    c.next.set(this.next);
    c.prev.set(this.prev);
    c.copySmall(this);
    return c;
  }

  /**
   * Whether the zone changed since this copy was made: every list or count change writes a
   * per-page entry, and each of those marks its chunk. O(1).
   */
  get changed(): boolean {
    return this.dirty.count > 0;
  }

  private perPage(): Restorable[] {
    return [this.freeOrder, this.isFree, this.next, this.prev];
  }

  private copySmall(from: BuddyZone): void {
    this.heads.set(from.heads);
    this.tails.set(from.tails);
    this.nrFree.set(from.nrFree);
    this.nrFreePages = from.nrFreePages;
  }

  /**
   * Full consistency check (tests, debugging): well-formed lists, nr_free, aligned in-zone
   * disjoint blocks, isFree exactly the pages of free blocks, nr_free_pages, and no two free
   * buddies of the same order below maxOrder - 1. Throws ModelBug. O(size + B).
   */
  checkInvariants(): void {
    const bug = (msg: string): never => {
      throw new ModelBug(`${this.name}: ${msg}`);
    };
    const covered = new Uint8Array(this.size);
    let pages = 0;
    let starts = 0;
    for (let o = 0; o < this.maxOrder; o++) {
      let count = 0;
      let prev = NONE;
      for (let i = this.heads[o]!; i !== NONE; i = this.next[i - this.startIdx]!) {
        if (!this.inZone(i)) bug(`list ${o} holds ${i} outside the zone`);
        const rel = i - this.startIdx;
        if (this.prev[rel] !== prev) bug(`list ${o}: bad prev at ${i}`);
        if (this.freeOrder[rel] !== o) bug(`list ${o}: ${i} has order ${this.freeOrder[rel]}`);
        if ((rel & ((1 << o) - 1)) !== 0) bug(`list ${o}: ${i} misaligned`);
        if (rel + (1 << o) > this.size) bug(`list ${o}: ${i} leaves the zone`);
        for (let r = rel; r < rel + (1 << o); r++) {
          if (covered[r]) bug(`page ${this.startIdx + r} in two free blocks`);
          covered[r] = 1;
        }
        if (o < this.maxOrder - 1 && this.pageIsBuddy(rel ^ (1 << o), o)) bug(`unmerged buddies at ${i}`);
        pages += 1 << o;
        prev = i;
        if (++count > this.size) bug(`list ${o} loops`);
      }
      if (this.tails[o] !== prev) bug(`list ${o}: bad tail`);
      if (this.nrFree[o] !== count) bug(`nr_free[${o}] ${this.nrFree[o]} != ${count}`);
      starts += count;
    }
    for (let r = 0; r < this.size; r++) {
      if (this.isFree[r] !== covered[r]) bug(`isFree[${this.startIdx + r}] wrong`);
      if (this.freeOrder[r] !== NONE) starts--;
    }
    if (starts !== 0) bug('stray free-block orders');
    if (pages !== this.nrFreePages) bug(`nr_free_pages ${this.nrFreePages} != ${pages}`);
  }
}
