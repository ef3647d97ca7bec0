/**
 * What the per-page checks read of a page, as one byte of facts, computed for the op's touched
 * pages in one pass over the page arrays and shared by every check (four checks walking the
 * touched pages each would load the same arrays four times). Each fact is a plain statement about
 * the page; each check decides from the facts it cares about, and judges from the page itself only
 * the few pages they flag. The full scans judge every page directly (`PageCheck.verdicts`), so the
 * cross-checks compare these facts with an independent reading of the same arrays.
 *
 * Checks run between ops: the facts of an op are computed once, at the first check after it.
 */
import type { Kernel } from '../model/kernel.ts';
import { CLASS_MASK, MULTI_SHIFT, NO_LINEAR, Owner } from '../model/pages.ts';
import { MemType } from '../model/types.ts';

export const Fact = {
  /** freed while already free (B15) */
  DOUBLE_FREED: 1,
  /** claimed by more than one live owner */
  MULTI_CLAIMED: 2,
  /** owned by an ION buffer */
  BUFFER: 4,
  /** a buffer's page whose writer tag is neither zero nor its owner's */
  FOREIGN_DATA: 8,
  /** in an allocator's free state (not an ION pool) with more than a WB linear PTE mapping it */
  FREE_MAPPED: 16,
  /** its linear PTE type is no class, or on highmem, or not counted among its live mappings */
  LINEAR_BROKEN: 32,
} as const;

// local copies for the page loop: under ESM, reading the imports there instead measured 5-20%
// slower per page (Node 20; `Owner.X` the most: a property of an imported object)
const BUFFER = Owner.BUFFER;
const FREE = Owner.FREE;
const CMA_FREE = Owner.CMA_FREE;
const CARVEOUT_FREE = Owner.CARVEOUT_FREE;
const WB = MemType.WB;
const NONE = NO_LINEAR;
/** A page mapped by its WB linear PTE alone: the WB live bit, and no other class or second WB. */
const WB_ONLY = 1 << WB;
const LIVE_AND_MULTI = CLASS_MASK | (CLASS_MASK << MULTI_SHIFT);

/** out[i] = the facts of page pages[i]; returns the union of all of them. */
export function factsOf(k: Kernel, pages: Int32Array, out: Uint8Array): number {
  const ps = k.mm.pages;
  const { doubleFrees, claims, ownerKind, ownerId, writer, linearType, classes } = ps;
  const low = k.mm.lowmemPages;
  let any = 0;
  for (let i = 0; i < pages.length; i++) {
    const p = pages[i]!;
    let f = 0;
    // both rare: one test for the two
    if ((doubleFrees[p]! | (claims[p]! >> 1)) !== 0) {
      if (doubleFrees[p] !== 0) f |= Fact.DOUBLE_FREED;
      if (claims[p]! > 1) f |= Fact.MULTI_CLAIMED;
    }
    const kind = ownerKind[p]!;
    const lt = linearType[p]!;
    // the classes mapping the page (PageState.classes), one load for the eight counters
    const c = classes[p]!;
    switch (kind) {
      case BUFFER: {
        f |= Fact.BUFFER;
        const w = writer[p]!;
        if (w !== 0 && w !== ownerId[p]! + 1) f |= Fact.FOREIGN_DATA;
        break;
      }
      case FREE:
      case CMA_FREE:
      case CARVEOUT_FREE:
        // clean: one WB mapping, its linear PTE (lowmem), or no mapping at all (highmem)
        if (!(lt === WB ? (c & LIVE_AND_MULTI) === WB_ONLY : lt === NONE && (c & CLASS_MASK) === 0))
          f |= Fact.FREE_MAPPED;
        break;
    }
    if (lt !== NONE && (lt > 3 || p >= low || ((c >> lt) & 1) === 0)) f |= Fact.LINEAR_BROKEN;
    out[i] = f;
    any |= f;
  }
  return any;
}

export interface TouchedFacts {
  /** The op's touched pages and their facts, index for index. */
  readonly pages: Int32Array;
  readonly facts: Uint8Array;
  /** The union of their facts. */
  readonly any: number;
}

const NO_FACTS: TouchedFacts = { pages: new Int32Array(0), facts: new Uint8Array(0), any: 0 };

/** The facts of the last kernel's touched pages: one kernel and op kept, its buffer reused. */
let memo: { k: Kernel; at: number; len: number; tf: TouchedFacts } | null = null;
let buf = new Uint8Array(1024);

/** The facts of the pages the op just applied touched (computed at the first call after the op). */
export function touchedFacts(k: Kernel): TouchedFacts {
  const pages = k.mm.pages.touched();
  // most ops touch no page (a share, a failed alloc): nothing to compute or keep
  if (pages.length === 0) return NO_FACTS;
  if (memo && memo.k === k && memo.at === k.opsApplied && memo.len === pages.length) return memo.tf;
  if (buf.length < pages.length) buf = new Uint8Array(Math.max(pages.length, buf.length * 2));
  const facts = buf.subarray(0, pages.length);
  const any = factsOf(k, pages, facts);
  memo = { k, at: k.opsApplied, len: pages.length, tf: { pages, facts, any } };
  return memo.tf;
}
