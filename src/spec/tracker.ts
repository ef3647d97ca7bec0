/**
 * Persistent "currently bad" sets for incremental checkers. An incremental checker re-evaluates
 * only what the op touched, but its verdict must equal the full scan's on every step, so it keeps
 * the set of keys (pages, buffers, attachments) that are bad now, per kernel. The memo belongs to
 * the spec, not to the model; if a step was skipped (or the kernel is a clone) it is rebuilt by a
 * full evaluation.
 */
import type { Kernel } from '../model/kernel.ts';

interface Memo {
  at: number;
  bad: Set<number>;
}

export class BadSet {
  private readonly memos = new WeakMap<Kernel, Memo>();

  /**
   * Bring the set up to date after the op just applied: `rebuild` lists every bad key from scratch
   * (used when the memo is missing or stale); `update` re-evaluates the keys the op touched.
   */
  current(k: Kernel, rebuild: () => Iterable<number>, update: (bad: Set<number>) => void): Set<number> {
    const m = this.memos.get(k) ?? this.fromSource(k);
    if (m && m.at === k.opsApplied) return m.bad;
    if (m && m.at === k.opsApplied - 1) {
      update(m.bad);
      m.at = k.opsApplied;
      return m.bad;
    }
    const fresh = { at: k.opsApplied, bad: new Set(rebuild()) };
    this.memos.set(k, fresh);
    return fresh.bad;
  }

  /** A clone starts from its source's memo when the source has not moved since the clone. */
  fromSource(k: Kernel): Memo | undefined {
    const src = k.clonedFrom;
    const parent = src?.kernel;
    if (!src || !parent || parent.opsApplied !== src.at) return undefined;
    const pm = this.memos.get(parent);
    if (!pm || pm.at !== src.at) return undefined;
    const m = { at: pm.at, bad: new Set(pm.bad) };
    this.memos.set(k, m);
    return m;
  }
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

  get(k: Kernel, key: number, stale: boolean, build: () => V): V {
    const m = this.memos.get(k);
    if (m && m.key === key && !stale) return m.value;
    const value = build();
    this.memos.set(k, { key, value });
    return value;
  }
}

/**
 * A per-page invariant's incremental form: the set of bad pages kept up to date from the pages
 * the op touched (rebuilt by `scan` when there is no memo), and the report of the smallest one,
 * rebuilt only when that page changed. Returns null when no page is bad.
 */
export class BadPages<V> {
  private readonly bad = new BadSet();
  private readonly reports = new ReportCache<V>();

  /**
   * @param extra pages to re-evaluate besides the touched ones: those whose verdict the op changed
   *   without writing them (a buffer destroyed while its pages stayed where they were)
   */
  constructor(
    private readonly isBad: (k: Kernel, p: number) => boolean,
    private readonly scan: (k: Kernel) => Iterable<number>,
    private readonly report: (k: Kernel, p: number) => V,
    private readonly extra: (k: Kernel) => readonly Int32Array[] = () => [],
  ) {}

  incremental(k: Kernel): V | null {
    const extra = this.extra(k);
    const set = this.bad.current(
      k,
      () => this.scan(k),
      (s) => {
        const touched = k.mm.pages.touched();
        for (let i = 0; i < touched.length; i++) {
          const p = touched[i]!;
          if (this.isBad(k, p)) s.add(p);
          else if (s.size > 0) s.delete(p);
        }
        for (const pages of extra)
          for (let i = 0; i < pages.length; i++) {
            const p = pages[i]!;
            if (this.isBad(k, p)) s.add(p);
            else if (s.size > 0) s.delete(p);
          }
      },
    );
    if (set.size === 0) return null;
    const p = minOf(set);
    const stale = k.mm.pages.isTouched(p) || extra.some((pages) => pages.includes(p));
    return this.reports.get(k, p, stale, () => this.report(k, p));
  }

  /** The full scan's verdict: the smallest bad page's report. */
  full(k: Kernel): V | null {
    for (const p of this.scan(k)) return this.report(k, p);
    return null;
  }
}

/** Every page p with isBad(k, p), in order (a full scan). */
export function* scanPages(k: Kernel, isBad: (k: Kernel, p: number) => boolean): Generator<number> {
  const n = k.mm.pages.nPages;
  for (let p = 0; p < n; p++) if (isBad(k, p)) yield p;
}
