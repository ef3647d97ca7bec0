/** The incremental memo: bad sets rebuilt or updated per op, clones, cached reports, touched pages. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/model/kernel.ts';
import {
  BadPages,
  BadSet,
  minOf,
  quietOp,
  ReportCache,
  scanPages,
  skipQuietOp,
} from '../../../src/spec/tracker.ts';
import { boot } from '../../helpers/kernel.ts';

/** A booted kernel and a step that changes no page (a purge with nothing lazy on cma-direct-remap). */
function kernel(): { k: Kernel; step: () => void } {
  const k = boot('tiny', 'cma-direct-remap');
  const step = () => {
    k.apply({ op: 'purge' });
    expect(k.mm.pages.touched().length).toBe(0);
  };
  return { k, step };
}

/**
 * A BadSet used the way the checkers use it (memo, else reset), with counted rebuilds and updates;
 * a rebuild lists `keys`, an update adds `next`.
 */
function counted(keys: number[], next = 100) {
  const calls = { rebuild: 0, update: 0 };
  const bad = new BadSet();
  const current = (k: Kernel) => {
    const m = bad.memo(k);
    if (!m) {
      calls.rebuild++;
      return bad.reset(k, keys);
    }
    if (m.at !== k.opsApplied) {
      calls.update++;
      m.bad.add(next);
      m.at = k.opsApplied;
    }
    return m.bad;
  };
  return { bad, calls, current };
}

describe('minOf', () => {
  it('the smallest element, +Infinity for none', () => {
    expect(minOf(new Set([5, 2, 9]))).toBe(2);
    expect(minOf(new Set([7]))).toBe(7);
    expect(minOf(new Set())).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('BadSet', () => {
  it('skipQuietOp brings a memo one op behind up to date as it is, and leaves older ones to a rebuild', () => {
    const { k, step } = kernel();
    const { bad, calls, current } = counted([3, 1]);
    current(k);
    step();
    expect(quietOp(k)).toBe(true);
    skipQuietOp(k);
    expect(bad.memo(k)?.at).toBe(k.opsApplied);
    expect([...current(k)]).toEqual([3, 1]);
    expect(calls).toEqual({ rebuild: 1, update: 0 });
    step();
    step();
    skipQuietOp(k);
    expect(bad.memo(k)).toBeNull();
  });

  it('rebuilds on first use, reuses within a step, updates after one op, rebuilds after a skipped op', () => {
    const { k, step } = kernel();
    const { calls, current } = counted([3, 1]);
    const first = current(k);
    expect([...first]).toEqual([3, 1]);
    expect(calls).toEqual({ rebuild: 1, update: 0 });
    expect(current(k)).toBe(first);
    expect(calls).toEqual({ rebuild: 1, update: 0 });
    step();
    expect([...current(k)].sort((a, b) => a - b)).toEqual([1, 3, 100]);
    expect(calls).toEqual({ rebuild: 1, update: 1 });
    step();
    step();
    expect([...current(k)]).toEqual([3, 1]);
    expect(calls).toEqual({ rebuild: 2, update: 1 });
  });

  it('keeps one memo per kernel', () => {
    const a = kernel();
    const b = kernel();
    const { calls, current } = counted([4]);
    current(a.k);
    current(b.k);
    expect(calls.rebuild).toBe(2);
    a.step();
    current(a.k);
    current(b.k);
    expect(calls).toEqual({ rebuild: 2, update: 1 });
  });

  it("a clone starts from a copy of its unmoved source's memo", () => {
    const { k } = kernel();
    const { calls, current } = counted([4]);
    const parent = current(k);
    const c = k.clone();
    c.apply({ op: 'purge' });
    const child = current(c);
    expect(calls).toEqual({ rebuild: 1, update: 1 });
    expect([...child].sort((x, y) => x - y)).toEqual([4, 100]);
    expect([...parent]).toEqual([4]);
    expect(child).not.toBe(parent);
  });

  it("the explorer's pattern: siblings that take each other's storage over all start from the parent's memo", () => {
    const { k } = kernel();
    const { calls, current } = counted([4]);
    current(k);
    let spare: Kernel | null = null;
    const children: Set<number>[] = [];
    for (let i = 0; i < 4; i++) {
      // each child retires the one before (Kernel.clone(reuse)); the parent is asked about only first
      const c: Kernel = spare ? k.clone(spare) : k.clone();
      c.apply({ op: 'purge' });
      children.push(current(c));
      spare = c;
    }
    expect(calls).toEqual({ rebuild: 1, update: 4 });
    expect(children.map((s) => [...s].sort((x, y) => x - y))).toEqual(Array(4).fill([4, 100]));
    // a kernel asked about again after another one keeps its memo (the last child is not retired)
    const other = kernel().k;
    current(other);
    current(spare!);
    expect(calls).toEqual({ rebuild: 2, update: 4 });
  });

  it('a clone rebuilds when its source moved on or has no memo at the clone point', () => {
    const { k, step } = kernel();
    const { calls, current } = counted([4]);
    current(k);
    const moved = k.clone();
    step();
    moved.apply({ op: 'purge' });
    current(moved);
    expect(calls).toEqual({ rebuild: 2, update: 0 });
    const unmemoed = k.clone();
    unmemoed.apply({ op: 'purge' });
    current(unmemoed);
    expect(calls).toEqual({ rebuild: 3, update: 0 });
  });
});

describe('ReportCache', () => {
  it('builds again only for a new key, a stale report, or another kernel', () => {
    const a = kernel().k;
    const b = kernel().k;
    const cache = new ReportCache<{ n: number }>();
    let n = 0;
    const build = () => ({ n: ++n });
    const r1 = cache.get(a, 5, false, build);
    expect(cache.get(a, 5, false, build)).toBe(r1);
    expect(cache.get(a, 5, true, build)).toEqual({ n: 2 });
    expect(cache.get(a, 6, false, build)).toEqual({ n: 3 });
    expect(cache.get(b, 6, false, build)).toEqual({ n: 4 });
    expect(cache.get(a, 6, false, build)).toEqual({ n: 3 });
  });
});

describe('BadPages and scanPages', () => {
  /** A PageCheck's verdicts from a predicate. */
  const judged = (isBad: (p: number) => boolean) => ({
    verdicts(_k: Kernel, list: Int32Array, out: Uint8Array) {
      let n = 0;
      for (let i = 0; i < list.length; i++) {
        out[i] = isBad(list[i]!) ? 1 : 0;
        n += out[i]!;
      }
      return n;
    },
  });

  /** Pages are bad when listed in `bad`; reports count their builds. */
  function tracked(extra: number[] = []) {
    const bad = new Set<number>();
    let built = 0;
    const pages = new BadPages({
      ...judged((p) => bad.has(p)),
      report: (_k, p) => ({ p, build: ++built }),
      extra: () => (extra.length ? [Int32Array.from(extra)] : []),
    });
    return { bad, pages, builds: () => built };
  }

  it('scanPages yields every bad page in ascending order', () => {
    const { k } = kernel();
    const odd = new Set([4000, 7, 300]);
    expect([
      ...scanPages(
        k,
        judged((p) => odd.has(p)),
      ),
    ]).toEqual([7, 300, 4000]);
  });

  it('scanPages judges RAM in chunks: pages on both sides of a chunk edge and in a short last chunk', () => {
    const fake = { mm: { pages: { nPages: 9000 } } } as unknown as Kernel;
    const want = [0, 4095, 4096, 8191, 8192, 8999];
    const seen: number[] = [];
    const got = [
      ...scanPages(fake, {
        verdicts(_k, list, out) {
          seen.push(list.length);
          let n = 0;
          for (let i = 0; i < list.length; i++) {
            out[i] = want.includes(list[i]!) ? 1 : 0;
            n += out[i]!;
          }
          return n;
        },
      }),
    ];
    expect(got).toEqual(want);
    expect(seen).toEqual([4096, 4096, 808]);
  });

  it('keeps the smallest bad page as pages turn bad and good at both ends of the set (plain and mayTurnBad forms)', () => {
    // a step: pages (spread over RAM) that turn bad or good, each touched, as the op would
    const steps = fc.array(fc.array(fc.tuple(fc.nat(63), fc.boolean()), { maxLength: 12 }), {
      minLength: 1,
      maxLength: 30,
    });
    fc.assert(
      fc.property(steps, fc.boolean(), (ops, viaMayTurnBad) => {
        const { k, step } = kernel();
        const truth = new Set<number>();
        let turned: number[] = [];
        const pages = new BadPages({
          ...judged((p) => truth.has(p)),
          report: (_k, p) => ({ p }),
          ...(viaMayTurnBad ? { mayTurnBad: () => [Int32Array.from(turned)] } : {}),
        });
        expect(pages.incremental(k)).toBeNull();
        for (const changes of ops) {
          step();
          turned = [];
          for (const [i, isBad] of changes) {
            const p = i * 37;
            if (isBad && !truth.has(p)) turned.push(p);
            if (isBad) truth.add(p);
            else truth.delete(p);
            k.mm.pages.touch(p);
          }
          expect(pages.incremental(k)?.p ?? null).toBe(truth.size > 0 ? Math.min(...truth) : null);
        }
      }),
      { seed: 4, numRuns: 300 },
    );
  });

  it('the incremental form sees a page only once an op touches it; the full scan sees it at once', () => {
    const { k, step } = kernel();
    const { bad, pages } = tracked();
    expect(pages.incremental(k)).toBeNull();
    step();
    bad.add(50);
    expect(pages.full(k)).toMatchObject({ p: 50 });
    expect(pages.incremental(k)).toBeNull();
    step();
    expect(pages.incremental(k)).toBeNull();
    step();
    k.mm.pages.touch(50);
    expect(pages.incremental(k)).toMatchObject({ p: 50 });
  });

  it('reports the smallest bad page, rebuilding its report only when that page is touched or changes', () => {
    const { k, step } = kernel();
    const { bad, pages, builds } = tracked();
    bad.add(50);
    bad.add(60);
    const r = pages.incremental(k);
    expect(r).toEqual({ p: 50, build: 1 });
    step();
    expect(pages.incremental(k)).toBe(r);
    step();
    k.mm.pages.touch(50);
    expect(pages.incremental(k)).toEqual({ p: 50, build: 2 });
    step();
    bad.add(20);
    k.mm.pages.touch(20);
    expect(pages.incremental(k)).toEqual({ p: 20, build: 3 });
    step();
    bad.delete(20);
    k.mm.pages.touch(20);
    expect(pages.incremental(k)).toEqual({ p: 50, build: 4 });
    step();
    bad.clear();
    k.mm.pages.touch(50);
    k.mm.pages.touch(60);
    expect(pages.incremental(k)).toBeNull();
    expect(pages.full(k)).toBeNull();
    expect(builds()).toBe(4);
  });

  it('a page that turns good leaves the set wherever it lies in it (its ends and inside), others stay', () => {
    const { k, step } = kernel();
    const { bad, pages } = tracked();
    for (const p of [10, 20, 30, 40]) bad.add(p);
    expect(pages.incremental(k)).toMatchObject({ p: 10 });
    step();
    for (const p of [10, 30, 40, 5, 45]) {
      bad.delete(p);
      k.mm.pages.touch(p);
    }
    expect(pages.incremental(k)).toMatchObject({ p: 20 });
    step();
    bad.delete(20);
    bad.add(45);
    k.mm.pages.touch(20);
    k.mm.pages.touch(45);
    expect(pages.incremental(k)).toMatchObject({ p: 45 });
    step();
    bad.delete(45);
    k.mm.pages.touch(45);
    expect(pages.incremental(k)).toBeNull();
  });

  it('extra pages are re-evaluated as if touched (a destroyed buffer whose pages the op did not write)', () => {
    const { k, step } = kernel();
    const { bad, pages } = tracked([70]);
    expect(pages.incremental(k)).toBeNull();
    step();
    bad.add(70);
    expect(pages.incremental(k)).toMatchObject({ p: 70 });
  });
});
