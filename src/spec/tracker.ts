/**
 * Persistent "currently bad" sets for incremental checkers. An incremental checker re-evaluates
 * only what the op touched, but its verdict must equal the full scan's on every step, so it keeps
 * the set of keys (pages, buffers, attachments) that are bad now, per kernel. The memo belongs to
 * the spec, not to the model; if a step was skipped (or the kernel is a clone) it is rebuilt by a
 * full evaluation.
 */
import type { Kernel } from '../model/kernel.ts';
import { touchedFacts } from './page-facts.ts';

/** A kernel's bad set and the op count it is up to date with. */
export interface Memo {
  at: number;
  bad: Set<number>;
  /**
   * BadPages: the smallest and largest bad page when `bounded` (kept as pages are added, dropped
   * when one of them is deleted, found again by a walk of the set only then).
   */
  lo: number;
  hi: number;
  bounded: boolean;
}

/** A memo of `bad` as of op `at`, its bounds not known yet. */
const memoOf = (at: number, bad: Set<number>): Memo => ({ at, bad, lo: 0, hi: -1, bounded: false });

/** Every BadSet made, for skipQuietOp (a check's sets are made once, at module load). */
const ALL_SETS: BadSet[] = [];

/**
 * A bad set whose keys are judged from the op's effects alone (the touched pages, the mappings
 * made, ION's per-op lists: quietOp), so an op without effects leaves it as it is.
 */
export class BadSet {
  private readonly memos = new WeakMap<Kernel, Memo>();
  /** The last kernel asked about and its memo (a run asks about one kernel op after op). */
  private lastK: Kernel | null = null;
  private lastM: Memo | undefined;

  constructor() {
    ALL_SETS.push(this);
  }

  /**
   * k's memo when it is up to date or one op behind: then the caller re-evaluates the keys the op
   * touched in `bad` and sets `at` to k.opsApplied. Null when the memo is missing or stale: the
   * caller lists every bad key from scratch (`reset`). (No closures: checkers run after every op.)
   */
  memo(k: Kernel): Memo | null {
    // a memo made from the source's is kept only in lastM until another kernel is asked about
    const m = this.lastK === k ? this.lastM : (this.memos.get(k) ?? this.fromSource(k));
    if (!m || (m.at !== k.opsApplied && m.at !== k.opsApplied - 1)) return null;
    return this.remember(k, m);
  }

  /** After a quiet op (quietOp): k's memo, one op behind, is up to date as it is. */
  skip(k: Kernel): void {
    // the kernel asked about last (a run's): its memo at hand, no lookup
    const m = this.lastK === k ? (this.lastM ?? null) : this.memo(k);
    if (m !== null && m.at === k.opsApplied - 1) m.at = k.opsApplied;
  }

  /** Start k's set afresh from every bad key (a full evaluation). */
  reset(k: Kernel, keys: Iterable<number>): Set<number> {
    const fresh = memoOf(k.opsApplied, new Set(keys));
    this.memos.set(k, fresh);
    return this.remember(k, fresh).bad;
  }

  private remember(k: Kernel, m: Memo): Memo {
    const prev = this.lastK;
    // the kernel asked about before is kept in the map unless its storage was taken over (the
    // explorer's previous child): one map entry per state kept, not one per transition
    if (prev !== null && prev !== k && !prev.isRetired) this.memos.set(prev, this.lastM!);
    this.lastK = k;
    this.lastM = m;
    return m;
  }

  /** A clone starts from its source's memo when the source has not moved since the clone. */
  fromSource(k: Kernel): Memo | undefined {
    const src = k.clonedFrom;
    const parent = src?.kernel;
    if (!src || !parent || parent.opsApplied !== src.at) return undefined;
    const pm = this.lastK === parent ? this.lastM : this.memos.get(parent);
    if (!pm || pm.at !== src.at) return undefined;
    return memoOf(pm.at, new Set(pm.bad));
  }
}

/**
 * Did the op just applied change nothing the incremental checks read: no page touched, no mapping
 * made, no ION buffer made, destroyed or re-referenced, no attachment or VMA made? (Most ops fail
 * with an errno or share a buffer: one test for all checks instead of one each.)
 */
export function quietOp(k: Kernel): boolean {
  const ion = k.ion;
  return (
    k.mm.pages.touched().length === 0 &&
    k.mm.mmu.creations.length === 0 &&
    ion.touchedBuffers.size === 0 &&
    ion.createdThisOp.length === 0 &&
    ion.destroyedThisOp.length === 0 &&
    ion.attachedThisOp.length === 0 &&
    ion.mappedThisOp.length === 0
  );
}

/** Bring every bad set of k up to date after a quiet op, without judging anything. */
export function skipQuietOp(k: Kernel): void {
  for (let i = 0; i < ALL_SETS.length; i++) ALL_SETS[i]!.skip(k);
}

/** Smallest element of a small set (violations are few): the one both checkers report. */
export function minOf(s: Set<number>): number {
  let best = Number.POSITIVE_INFINITY;
  for (const x of s) if (x < best) best = x;
  return best;
}

/**
 * The report of a persisting violation, rebuilt only when its key changed or was touched by the
 * op (building one scans the mappings of a page, which is not O(touched)).
 */
export class ReportCache<V> {
  private readonly memos = new WeakMap<Kernel, { key: number; value: V }>();
  private lastK: Kernel | null = null;
  private last: { key: number; value: V } | undefined;

  /** The report of `key`, by `build(k, key)` when none is kept (a plain function: no closure per op). */
  get(k: Kernel, key: number, stale: boolean, build: (k: Kernel, key: number) => V): V {
    const m = this.lastK === k ? this.last : this.memos.get(k);
    if (m && m.key === key && !stale) {
      this.remember(k, m);
      return m.value;
    }
    const fresh = { key, value: build(k, key) };
    this.remember(k, fresh);
    return fresh.value;
  }

  /**
   * Keep k's report at hand; the kernel asked about before goes into the map (a run asks about one
   * kernel op after op: no map write per report), unless its storage was taken over (BadSet).
   */
  private remember(k: Kernel, m: { key: number; value: V }): void {
    const prev = this.lastK;
    if (prev !== null && prev !== k && !prev.isRetired) this.memos.set(prev, this.last!);
    this.lastK = k;
    this.last = m;
  }
}

/**
 * A per-page invariant, in the form BadPages needs. `verdicts` judges a list of pages in one call,
 * as a loop over typed arrays in the invariant's own module: the predicate inlines there (a shared
 * loop calling several invariants' predicates is a polymorphic call per page, which V8 does not
 * inline), and the full scan runs the same code over every page, so both forms judge alike.
 */
export interface PageCheck<V> {
  /** out[i] = 1 if page pages[i] is bad now, else 0; returns how many are bad. */
  verdicts(k: Kernel, pages: Int32Array, out: Uint8Array): number;
  /** The report of bad page p. */
  report(k: Kernel, p: number): V;
  /**
   * Pages to re-evaluate besides the touched ones: those whose verdict the op changed without
   * writing them (a buffer destroyed while its pages stayed where they were).
   */
  extra?(k: Kernel): readonly Int32Array[];
  /**
   * The pages the op may have turned bad, when the invariant can tell them from fewer loads than
   * judging every touched page: any other page kept its verdict or turned good, and a page that
   * turned good was touched. Then only these pages and the touched bad ones are judged.
   */
  mayTurnBad?(k: Kernel): readonly Int32Array[];
  /**
   * `verdicts` from the pages' facts (page-facts.ts), for a check that decides from them: the
   * op's touched pages are then judged from facts computed once for every check, and not at all
   * when none of them has a fact in `suspect` and nothing was bad.
   */
  fromFacts?(k: Kernel, pages: Int32Array, facts: Uint8Array, out: Uint8Array): number;
  /** The facts that make a page worth judging (with fromFacts). */
  readonly suspect?: number;
}

/**
 * A per-page invariant's incremental form: the set of bad pages kept up to date from the pages
 * the op touched (rebuilt by a full scan when there is no memo), and the report of the smallest
 * one, rebuilt only when that page changed. Returns null when no page is bad.
 */
export class BadPages<V> {
  private readonly bad = new BadSet();
  private readonly reports = new ReportCache<V>();

  constructor(private readonly check: PageCheck<V>) {}

  incremental(k: Kernel): V | null {
    const c = this.check;
    const extra = c.extra ? c.extra(k) : NO_PAGES;
    let m = this.bad.memo(k);
    if (m === null) {
      this.bad.reset(k, scanPages(k, c));
      m = this.bad.memo(k)!;
    } else if (m.at !== k.opsApplied) {
      this.update(k, m, extra);
      m.at = k.opsApplied;
    }
    if (m.bad.size === 0) return null;
    const p = boundsOf(m).lo;
    let stale = k.mm.pages.isTouched(p);
    for (let i = 0; i < extra.length && !stale; i++) stale = extra[i]!.includes(p);
    return this.reports.get(k, p, stale, c.report);
  }

  /** Re-judge what the op may have changed into the bad set of `m`. */
  private update(k: Kernel, m: Memo, extra: readonly Int32Array[]): void {
    const c = this.check;
    if (c.mayTurnBad) {
      if (m.bad.size > 0) judge(k, c, touchedOf(k, m), m);
      const more = c.mayTurnBad(k);
      for (let i = 0; i < more.length; i++) judge(k, c, more[i]!, m);
    } else if (c.fromFacts) {
      const tf = touchedFacts(k);
      if ((tf.any & (c.suspect ?? 0xff)) !== 0 || m.bad.size > 0) {
        const out = verdictsFor(tf.pages.length);
        mark(tf.pages, out, c.fromFacts(k, tf.pages, tf.facts, out), m);
      }
    } else judge(k, c, k.mm.pages.touched(), m);
    // the touched pages among the extra ones were just judged, from the same state
    for (let i = 0; i < extra.length; i++) judge(k, c, untouched(k, extra[i]!), m);
  }

  /** The full scan's verdict: the smallest bad page's report. */
  full(k: Kernel): V | null {
    for (const p of scanPages(k, this.check)) return this.check.report(k, p);
    return null;
  }
}

const NO_PAGES: readonly Int32Array[] = [];
const NO_PAGE = new Int32Array(0);

/** Verdict bytes for one judging of a page list (grown on demand; judging never re-enters). */
let verdictBuf = new Uint8Array(4096);
function verdictsFor(n: number): Uint8Array {
  if (verdictBuf.length < n) verdictBuf = new Uint8Array(Math.max(n, verdictBuf.length * 2));
  return verdictBuf;
}

/**
 * The members of a bad set the op touched, by a walk of the shorter of the two lists (a view of a
 * reused buffer, valid until the next call).
 */
let touchedBuf = new Int32Array(64);
function touchedOf(k: Kernel, m: Memo): Int32Array {
  const ps = k.mm.pages;
  const touched = ps.touched();
  const bad = m.bad;
  const most = Math.min(bad.size, touched.length);
  if (touchedBuf.length < most) touchedBuf = new Int32Array(Math.max(most, touchedBuf.length * 2));
  let n = 0;
  if (touched.length < bad.size) {
    const { lo, hi } = boundsOf(m);
    for (let i = 0; i < touched.length; i++) {
      const p = touched[i]!;
      if (p >= lo && p <= hi && bad.has(p)) touchedBuf[n++] = p;
    }
  } else for (const p of bad) if (ps.isTouched(p)) touchedBuf[n++] = p;
  return n === 0 ? NO_PAGE : touchedBuf.subarray(0, n);
}

/** The pages of a list the op did not touch (a view of a reused buffer, valid until the next call). */
let untouchedBuf = new Int32Array(1024);
function untouched(k: Kernel, pages: Int32Array): Int32Array {
  const ps = k.mm.pages;
  if (untouchedBuf.length < pages.length)
    untouchedBuf = new Int32Array(Math.max(pages.length, untouchedBuf.length * 2));
  let n = 0;
  for (let i = 0; i < pages.length; i++) if (!ps.isTouched(pages[i]!)) untouchedBuf[n++] = pages[i]!;
  // none (a destroyed buffer's pages are freed, so touched): no view made
  return n === 0 ? NO_PAGE : untouchedBuf.subarray(0, n);
}

/** Re-judge `pages` into the bad set: add the bad ones, delete the good ones. */
function judge<V>(k: Kernel, c: PageCheck<V>, pages: Int32Array, m: Memo): void {
  if (pages.length === 0) return;
  const out = verdictsFor(pages.length);
  mark(pages, out, c.verdicts(k, pages, out), m);
}

/** The memo with its bounds known (a walk of the bad set when they were dropped). */
function boundsOf(m: Memo): Memo {
  if (m.bounded) return m;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const q of m.bad) {
    if (q < lo) lo = q;
    if (q > hi) hi = q;
  }
  m.lo = lo;
  m.hi = hi;
  m.bounded = true;
  return m;
}

/** Apply verdicts (out[i] for pages[i], n of them bad) to the bad set of `m`, keeping its bounds. */
function mark(pages: Int32Array, out: Uint8Array, n: number, m: Memo): void {
  const bad = m.bad;
  // nothing bad before or now (the common case): nothing to do
  if (n === 0 && bad.size === 0) return;
  // a good page can only be deleted if it lies within the bad set's span (bad sets are few pages)
  const { lo: lo0, hi: hi0 } = boundsOf(m);
  let lo = lo0;
  let hi = hi0;
  let dropped = false;
  for (let i = 0; i < pages.length; i++) {
    const p = pages[i]!;
    if (out[i] === 1) {
      bad.add(p);
      if (p < lo) lo = p;
      if (p > hi) hi = p;
    } else if (p >= lo0 && p <= hi0 && bad.delete(p) && (p === lo0 || p === hi0)) dropped = true;
  }
  m.lo = lo;
  m.hi = hi;
  // a bound deleted: found again when next needed
  if (dropped) m.bounded = false;
}

/** Every bad page, in order (a full scan, judged in chunks by the same `verdicts`). */
export function* scanPages<V>(k: Kernel, c: Pick<PageCheck<V>, 'verdicts'>): Generator<number> {
  const n = k.mm.pages.nPages;
  const CHUNK = 4096;
  const pages = new Int32Array(CHUNK);
  const out = new Uint8Array(CHUNK);
  for (let base = 0; base < n; base += CHUNK) {
    const len = Math.min(CHUNK, n - base);
    const list = len === CHUNK ? pages : pages.subarray(0, len);
    for (let i = 0; i < len; i++) list[i] = base + i;
    if (c.verdicts(k, list, out) === 0) continue;
    for (let i = 0; i < len; i++) if (out[i] === 1) yield base + i;
  }
}
