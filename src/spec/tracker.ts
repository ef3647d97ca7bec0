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
    const m = this.memos.get(k);
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
}

/** Smallest element of a small set (violations are few): the one both checkers report. */
export function minOf(s: Set<number>): number {
  let best = Number.POSITIVE_INFINITY;
  for (const x of s) if (x < best) best = x;
  return best;
}
