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
import {
  CLASS_MASK,
  MULTI_SHIFT,
  NO_LINEAR,
  Owner,
  type PageState,
  type TouchedRuns,
} from '../model/pages.ts';
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
  /** owned by an ION buffer no longer held: neither in the device nor queued for its deferred free */
  BUFFER_GONE: 64,
} as const;

/** Is buffer `id` still held: in the device, or queued for its deferred free (a short list)? */
export function isHeld(k: Kernel, id: number): boolean {
  if (k.ion.buffers.has(id)) return true;
  const queued = k.ion.freeList;
  for (let i = 0; i < queued.length; i++) if (queued[i]!.id === id) return true;
  return false;
}

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
const BUFFER_GONE = Fact.BUFFER_GONE;
const LIVE_AND_MULTI = CLASS_MASK | (CLASS_MASK << MULTI_SHIFT);

/**
 * out[i] = the facts of page pages[i]; returns the union of all of them. The list is read as
 * runs of consecutive pages (`runs`: PageState.touchedRuns keeps them for the touched list; else
 * found here), and a run's quads are compared word by word without reading the list again.
 */
export function factsOf(k: Kernel, pages: Int32Array, out: Uint8Array, runs?: Readonly<TouchedRuns>): number {
  const ps = k.mm.pages;
  gone.id = -1;
  const r = runs ?? runsOf(pages);
  // runs given for another list would fill `out` wrongly without a word: their pages are counted
  let n = 0;
  for (let i = 0; i < r.count; i++) n += r.length[i]!;
  if (n !== pages.length) throw new Error(`page facts: runs of ${n} pages for a list of ${pages.length}`);
  return runFacts(k, ps, wordsOf(ps), r, out, k.mm.lowmemPages);
}

/** A page list as runs of consecutive pages, in its order (what PageState.touchedRuns keeps of its list). */
export function runsOf(pages: Int32Array): TouchedRuns {
  const start = new Int32Array(pages.length);
  const length = new Int32Array(pages.length);
  let count = 0;
  for (let i = 0; i < pages.length; i++) {
    if (count > 0 && pages[i] === start[count - 1]! + length[count - 1]!) length[count - 1]!++;
    else {
      start[count] = pages[i]!;
      length[count++] = 1;
    }
  }
  return { start, length, count };
}

/** factsOf over the runs of the list: each run's pages at the list positions after the run before. */
function runFacts(
  k: Kernel,
  ps: PageState,
  w: Words,
  runs: Readonly<TouchedRuns>,
  out: Uint8Array,
  low: number,
) {
  let any = 0;
  let i = 0;
  for (let r = 0; r < runs.count; r++) {
    let p = runs.start[r]!;
    const end = p + runs.length[r]!;
    while (p < end) {
      if ((p & 3) === 0 && p + 3 < end) {
        const f = quadFacts(k, w, ps, p, low);
        if (f >= 0) {
          const q = runQuadsEnd(w, ps.writer, ps.ownerId, p, end, low);
          out.fill(f, i, i + q - p);
          any |= f;
          i += q - p;
          p = q;
          continue;
        }
      }
      const f = pageFacts(k, ps, p, low);
      out[i++] = f;
      any |= f;
      p++;
    }
  }
  return any;
}

/** The last buffer asked about in one factsOf call and its BUFFER_GONE bit (a buffer's pages come in runs). */
const gone = { id: -1, bit: 0 };
function goneBit(k: Kernel, id: number): number {
  if (id !== gone.id) {
    gone.id = id;
    gone.bit = isHeld(k, id) ? 0 : BUFFER_GONE;
  }
  return gone.bit;
}

/** The facts of page p, judged alone. */
function pageFacts(k: Kernel, ps: PageState, p: number, low: number): number {
  let f = 0;
  // both rare: one test for the two
  if ((ps.doubleFrees[p]! | (ps.claims[p]! >> 1)) !== 0) {
    if (ps.doubleFrees[p] !== 0) f |= Fact.DOUBLE_FREED;
    if (ps.claims[p]! > 1) f |= Fact.MULTI_CLAIMED;
  }
  const kind = ps.ownerKind[p]!;
  const lt = ps.linearType[p]!;
  // the classes mapping the page (PageState.classes), one load for the eight counters
  const c = ps.classes[p]!;
  switch (kind) {
    case BUFFER: {
      f |= Fact.BUFFER;
      const id = ps.ownerId[p]!;
      const wr = ps.writer[p]!;
      if (wr !== 0 && wr !== id + 1) f |= Fact.FOREIGN_DATA;
      f |= goneBit(k, id);
      break;
    }
    case FREE:
    case CMA_FREE:
    case CARVEOUT_FREE:
      if (!isCleanFree(lt, c)) f |= Fact.FREE_MAPPED;
      break;
  }
  if (lt !== NONE && (lt > 3 || p >= low || ((c >> lt) & 1) === 0)) f |= Fact.LINEAR_BROKEN;
  return f;
}

/**
 * Is a free page with linear PTE type `lt` and classes `c` (PageState.classes) mapped as a free
 * page should be: by one WB mapping, its linear PTE (lowmem), or by nothing at all (highmem)?
 */
export function isCleanFree(lt: number, c: number): boolean {
  return lt === WB ? (c & LIVE_AND_MULTI) === WB_ONLY : lt === NONE && (c & CLASS_MASK) === 0;
}

/**
 * The first page past the run of quads from p0 (a quad quadFacts judged), within a run of
 * consecutive pages ending before `end`, whose words equal p0's quad's, so whose facts are its
 * facts: a comparison per word, four pages a step, instead of judging each quad.
 */
function runQuadsEnd(
  w: Words,
  writer: Int32Array,
  ownerId: Int32Array,
  p0: number,
  end: number,
  low: number,
) {
  const { linearType, ownerKind, classes, doubleFrees, claims } = w;
  const lt = linearType[p0 >> 2]!;
  const kinds = ownerKind[p0 >> 2]!;
  const c01 = classes[p0 >> 1]!;
  const c23 = classes[(p0 >> 1) + 1]!;
  const buffer = kinds === BUFFER4;
  const id = ownerId[p0]!;
  // a WB linear PTE is good on lowmem only: the run stops at the boundary
  const stop = lt === WB4 && low < end ? low : end;
  let p = p0 + 4;
  for (; p + 3 < stop; p += 4) {
    const g = p >> 2;
    const h = p >> 1;
    if (linearType[g] !== lt || ownerKind[g] !== kinds || classes[h] !== c01 || classes[h + 1] !== c23) break;
    if ((doubleFrees[g]! | (claims[g]! & 0xfefefefe)) !== 0) break;
    if (buffer && !zeroedOf(writer, ownerId, p, id)) break;
  }
  return p;
}

/** Are pages p..p+3 all zeroed (no writer) and all owned by buffer id? */
function zeroedOf(writer: Int32Array, ownerId: Int32Array, p: number, id: number): boolean {
  return (
    (writer[p]! | writer[p + 1]! | writer[p + 2]! | writer[p + 3]!) === 0 &&
    ownerId[p] === id &&
    ownerId[p + 1] === id &&
    ownerId[p + 2] === id &&
    ownerId[p + 3] === id
  );
}

/** Four copies of a byte value in one 32-bit word. */
const X4 = 0x01010101;
const BUFFER4 = BUFFER * X4;
const FREE4 = FREE * X4;
const CMA_FREE4 = CMA_FREE * X4;
const CARVEOUT_FREE4 = CARVEOUT_FREE * X4;
const WB4 = WB * X4;
const NONE4 = NONE * X4;
/** Two pages' classes in one word: the WB bit of each; each one clean (WB_ONLY); no live class. */
const WB2 = WB_ONLY * 0x10001;
const LIVE_AND_MULTI2 = LIVE_AND_MULTI * 0x10001;
const LIVE2 = CLASS_MASK * 0x10001;

/**
 * The facts of pages p..p+3 (p a multiple of four) when all four have the same ones, from one
 * 32-bit load per byte array (two for the classes), or -1 (then each is judged alone). Covers
 * the common runs: four pages of one owner kind, none freed twice or claimed twice, all mapped by
 * a counted WB linear PTE (lowmem) or none (highmem), a buffer's all of one buffer and zeroed,
 * free ones clean.
 */
function quadFacts(k: Kernel, w: Words, ps: PageState, p: number, low: number): number {
  const g = p >> 2;
  const lt = w.linearType[g]!;
  if ((w.doubleFrees[g]! | (w.claims[g]! & 0xfefefefe)) !== 0) return -1;
  const c01 = w.classes[p >> 1]!;
  const c23 = w.classes[(p >> 1) + 1]!;
  if (lt === WB4) {
    if (p + 3 >= low || (c01 & c23 & WB2) !== WB2) return -1;
  } else if (lt !== NONE4) return -1;
  const kinds = w.ownerKind[g]!;
  switch (kinds) {
    case BUFFER4: {
      // one buffer's, all zeroed: a buffer's page, and whether that buffer is gone
      const { writer, ownerId } = ps;
      const id = ownerId[p]!;
      if (!zeroedOf(writer, ownerId, p, id)) return -1;
      return Fact.BUFFER | goneBit(k, id);
    }
    case FREE4:
    case CMA_FREE4:
    case CARVEOUT_FREE4:
      if (lt === WB4) return (c01 & LIVE_AND_MULTI2) === WB2 && (c23 & LIVE_AND_MULTI2) === WB2 ? 0 : -1;
      return ((c01 | c23) & LIVE2) === 0 ? 0 : -1;
  }
  // any other owner, the same for all four: no fact of its own
  return (kinds & 0xff) * X4 === kinds ? 0 : -1;
}

/** 32-bit views of the page arrays factsOf reads four pages at a time. */
interface Words {
  readonly of: Uint8Array;
  readonly doubleFrees: Uint32Array;
  readonly claims: Uint32Array;
  readonly ownerKind: Uint32Array;
  readonly linearType: Uint32Array;
  readonly classes: Uint32Array;
}

/** The views of the last page arrays asked about (a run checks one kernel, op after op). */
let words: Words | null = null;
function wordsOf(ps: PageState): Words {
  if (words?.of === ps.ownerKind) return words;
  const view = (a: Uint8Array | Uint16Array) =>
    new Uint32Array(a.buffer, a.byteOffset, (a.length * a.BYTES_PER_ELEMENT) >> 2);
  words = {
    of: ps.ownerKind,
    doubleFrees: view(ps.doubleFrees),
    claims: view(ps.claims),
    ownerKind: view(ps.ownerKind),
    linearType: view(ps.linearType),
    classes: view(ps.classes),
  };
  return words;
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
const memo: { k: Kernel | null; at: number; len: number; tf: TouchedFacts } = {
  k: null,
  at: -1,
  len: 0,
  tf: NO_FACTS,
};
let buf = new Uint8Array(1024);

/** The facts of the pages the op just applied touched (computed at the first call after the op). */
export function touchedFacts(k: Kernel): TouchedFacts {
  const pages = k.mm.pages.touched();
  // most ops touch no page (a share, a failed alloc): nothing to compute or keep
  if (pages.length === 0) return NO_FACTS;
  if (memo.k === k && memo.at === k.opsApplied && memo.len === pages.length) return memo.tf;
  if (buf.length < pages.length) buf = new Uint8Array(Math.max(pages.length, buf.length * 2));
  const facts = buf.subarray(0, pages.length);
  const any = factsOf(k, pages, facts, k.mm.pages.touchedRuns());
  // kept in place: one object per op's facts, none for the memo
  memo.k = k;
  memo.at = k.opsApplied;
  memo.len = pages.length;
  memo.tf = { pages, facts, any };
  return memo.tf;
}
