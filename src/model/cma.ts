/**
 * struct cma (mm/cma.c, 3.18): one contiguous area and its allocation bitmap. A pure data
 * structure over page indices; page ownership is the caller's (kernel.ts) bookkeeping.
 */

import { DirtyChunks } from './dirty.ts';

export interface CmaAllocResult {
  /** First page index of the allocation, or -1 (the kernel returns NULL: no errno, CMA-4). */
  readonly page: number;
}

export class Cma {
  /** One byte per bit (order_per_bit pages each); 1 = allocated. */
  private readonly bitmap: Uint8Array;
  /** Number of set bits, for O(1) usage figures. */
  private used = 0;
  /** Bits written since this area was cloned (restores, issue 14). */
  private readonly dirty: DirtyChunks;

  /**
   * @param basePage page index of base_pfn
   * @param count pages in the area (0 = not activated, CMA-6)
   * @param orderPerBit pages per bit = 2^orderPerBit (0 for the default area, CMA-7)
   * @param maskFn the aligned-mask computation (CMA-1; the zoo's B5 mutant swaps it)
   */
  constructor(
    readonly name: string,
    readonly basePage: number,
    readonly count: number,
    readonly orderPerBit = 0,
    private readonly maskFn: (alignOrder: number, orderPerBit: number) => number = cmaBitmapAlignedMask,
    bitmap?: Uint8Array,
    used?: number,
  ) {
    this.bitmap = bitmap ?? new Uint8Array(this.maxno);
    if (bitmap && used === undefined) for (let i = 0; i < bitmap.length; i++) this.used += bitmap[i]!;
    else this.used = used ?? 0;
    this.dirty = new DirtyChunks(this.bitmap.length, 6);
  }

  /** CMA-1 cma_bitmap_maxno(). */
  get maxno(): number {
    return this.count >> this.orderPerBit;
  }

  /** CMA-1 cma_bitmap_pages_to_bits(). */
  pagesToBits(pages: number): number {
    const per = 1 << this.orderPerBit;
    return Math.ceil(pages / per);
  }

  /**
   * CMA-4 cma_alloc(): first run of bits(count) clear bits at an index that is a multiple of
   * mask + 1, from index 0 every call; sets them. No zeroing, no errno. alloc_contig_range is the
   * caller's (nothing borrows CMA pages in the model, CMA-10, so it cannot fail -EBUSY), reported back via `undo`.
   * Cost: O(maxno) worst case, like bitmap_find_next_zero_area (the area's size, not RAM's).
   */
  cmaAlloc(count: number, alignOrder: number): CmaAllocResult & { index: number } {
    if (this.count === 0 || count === 0) return { page: -1, index: -1 };
    const mask = this.maskFn(alignOrder, this.orderPerBit);
    const step = mask + 1;
    const nrBits = this.pagesToBits(count);
    const maxno = this.maxno;
    const bm = this.bitmap;
    let index = 0;
    // CMA-4 bitmap_find_next_zero_area(): skip past each set bit to the next aligned index
    while (index + nrBits <= maxno) {
      let j = index;
      const end = index + nrBits;
      while (j < end && bm[j] === 0) j++;
      if (j === end) {
        this.dirty.markRange(index, end);
        bm.fill(1, index, end);
        this.used += nrBits;
        return { page: this.basePage + (index << this.orderPerBit), index };
      }
      // bm[j] is set: the next candidate is the first aligned index past it
      index = Math.ceil((j + 1) / step) * step;
    }
    return { page: -1, index: -1 };
  }

  /**
   * CMA-5 cma_release(): false if the first page is outside the area; else clears bits(count)
   * bits from its index whether or not they were set (no ownership check, exactly as 3.18).
   * Returns the number of bits that were already clear, so the caller can see a double release.
   * Cost: O(count).
   */
  cmaRelease(page: number, count: number): { released: boolean; alreadyClear: number } {
    if (page < this.basePage || page >= this.basePage + this.count)
      return { released: false, alreadyClear: 0 };
    const start = (page - this.basePage) >> this.orderPerBit;
    const end = Math.min(this.maxno, start + this.pagesToBits(count));
    let alreadyClear = 0;
    this.dirty.markRange(start, end);
    for (let i = start; i < end; i++) {
      if (this.bitmap[i] === 0) alreadyClear++;
      else {
        this.bitmap[i] = 0;
        this.used--;
      }
    }
    return { released: true, alreadyClear };
  }

  contains(page: number): boolean {
    return page >= this.basePage && page < this.basePage + this.count;
  }

  isSet(bit: number): boolean {
    return this.bitmap[bit] === 1;
  }

  get usedPages(): number {
    return this.used << this.orderPerBit;
  }

  /** Largest run of clear bits, in pages (fragmentation figure). Cost O(maxno): reports only. */
  largestFreeRunPages(): number {
    let best = 0;
    let run = 0;
    for (let i = 0; i < this.maxno; i++) {
      if (this.bitmap[i] === 0) {
        run++;
        if (run > best) best = run;
      } else run = 0;
    }
    return best << this.orderPerBit;
  }

  /** The same area and bitmap with another aligned-mask computation (the zoo's B5). */
  withMask(maskFn: (alignOrder: number, orderPerBit: number) => number): Cma {
    return new Cma(this.name, this.basePage, this.count, this.orderPerBit, maskFn, this.bitmap.slice());
  }

  /**
   * A copy; with `reuse` (an earlier clone of this area, which has not changed since) the bitmap of
   * `reuse` with only the bits it wrote copied back (O(bits written)). `whole`: `reuse` is a copy of
   * another state of this area, so every bit is copied back.
   */
  clone(reuse?: Cma, whole = false): Cma {
    if (reuse) {
      reuse.dirty.restore([reuse.bitmap], [this.bitmap], whole);
      reuse.used = this.used;
      return reuse;
    }
    const c = new Cma(
      this.name,
      this.basePage,
      this.count,
      this.orderPerBit,
      this.maskFn,
      this.bitmap.slice(),
      this.used,
    );
    return c;
  }

  /** Whether a bit was written since this copy was made (`used` moves only with the bits). O(1). */
  get changed(): boolean {
    return this.dirty.count > 0;
  }

  /** The bitmap itself, read-only, for hashing and full-scan checkers. */
  get bits(): Readonly<Uint8Array> {
    return this.bitmap;
  }
}

/** CMA-1 cma_bitmap_aligned_mask() (3.18, after Weijie Yang's fix). */
export function cmaBitmapAlignedMask(alignOrder: number, orderPerBit: number): number {
  if (alignOrder <= orderPerBit) return 0;
  return (1 << (alignOrder - orderPerBit)) - 1;
}

/** B5: the 3.16/3.17 form, 2^(order >> order_per_bit) - 1, planted by the zoo. */
export function cmaBitmapAlignedMaskShiftsOrder(alignOrder: number, orderPerBit: number): number {
  return (1 << (alignOrder >> orderPerBit)) - 1;
}
