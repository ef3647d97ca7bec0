/**
 * Dirty tracking for copy-back restores (issue 14: per-run cost near zero). A structure over large
 * typed arrays (per page, per vmalloc tree node) marks every index it writes; a clone that reuses
 * the storage of an earlier clone of the same, unchanged source then copies back only the chunks
 * written since, so restoring a 1 GiB machine costs what the last run touched, not its RAM.
 */
import { grown } from './types.ts';

/** The typed arrays a restore copies (one element type per array). */
export type Restorable = Int8Array | Uint8Array | Uint16Array | Int32Array;

/** Runs shorter than this are copied element by element (a subarray costs more than the copy). */
const SHORT_RUN = 32;

function copyShort(d: Restorable, s: Restorable, lo: number, hi: number): void {
  for (let i = lo; i < hi; i++) d[i] = s[i]!;
}

/** The list of a tracker that has marked nothing yet (most fresh clones of small structures). */
const EMPTY = new Int32Array(0);

export class DirtyChunks {
  private readonly flag: Uint8Array;
  private list: Int32Array;
  private len = 0;

  /**
   * @param length elements in each tracked array
   * @param shift log2 of the chunk size: 0 tracks single elements (sparse writes), larger shifts
   *   suit range writes (fills) where one mark covers many elements
   */
  constructor(
    readonly length: number,
    readonly shift: number,
  ) {
    this.flag = new Uint8Array((length >>> shift) + 1);
    this.list = EMPTY;
  }

  /** Element i was (or is about to be) written. */
  mark(i: number): void {
    const c = i >>> this.shift;
    if (this.flag[c] === 1) return;
    this.flag[c] = 1;
    if (this.len === this.list.length) this.list = grown(this.list, 64);
    this.list[this.len++] = c;
  }

  /** Elements [lo, hi) were written. */
  markRange(lo: number, hi: number): void {
    if (hi <= lo) return;
    const last = (hi - 1) >>> this.shift;
    for (let c = lo >>> this.shift; c <= last; c++) this.mark(c << this.shift);
  }

  /** Chunks written since the last clear. */
  get count(): number {
    return this.len;
  }

  /**
   * Copy the written chunks of each `src[j]` into `dst[j]` (same lengths), then forget them.
   * `whole`: `dst` is a copy of another state (Kernel.cloneOver), so all of `src` is copied.
   */
  restore(dst: readonly Restorable[], src: readonly Restorable[], whole = false): void {
    if (whole) {
      for (let j = 0; j < dst.length; j++) dst[j]!.set(src[j]!);
      this.clear();
      return;
    }
    const { shift, length } = this;
    const chunks = this.list.subarray(0, this.len).sort();
    // consecutive chunks coalesce into one run: a large op's pages copy at memcpy speed
    let k = 0;
    while (k < chunks.length) {
      let end = k + 1;
      while (end < chunks.length && chunks[end] === chunks[end - 1]! + 1) end++;
      const lo = chunks[k]! << shift;
      const hi = Math.min(length, (chunks[end - 1]! + 1) << shift);
      if (hi - lo >= SHORT_RUN)
        for (let j = 0; j < dst.length; j++) dst[j]!.set(src[j]!.subarray(lo, hi), lo);
      else for (let j = 0; j < dst.length; j++) copyShort(dst[j]!, src[j]!, lo, hi);
      k = end;
    }
    this.clear();
  }

  clear(): void {
    for (let k = 0; k < this.len; k++) this.flag[this.list[k]!] = 0;
    this.len = 0;
  }
}

/**
 * Where a kernel was cloned from: the source's serial and its op count then. A clone may reuse the
 * storage of an earlier clone only when both name the same, unchanged source (Kernel.clone).
 */
export interface Origin {
  readonly serial: number;
  readonly at: number;
}
