import { describe, expect, it } from 'vitest';
import { buildAlphabet } from '../../../src/explore/alphabet.ts';
import { certify } from '../../../src/explore/certify.ts';
import { explore } from '../../../src/explore/search.ts';
import { exploreSharded } from '../../../src/explore/shards.ts';
import { defineDesign } from '../../../src/model/designs/design.ts';
import { ALL_DESIGNS, builtinDesign } from '../../../src/model/designs/index.ts';
import type { IonHeap } from '../../../src/model/ion/heap.ts';
import { computeLayout } from '../../../src/model/layout.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { runOps } from '../../../src/properties/run.ts';
import { INVARIANT_IDS } from '../../../src/spec/index.ts';
import { zooAlphabet } from '../../../src/zoo/measure.ts';

/** tiny with its 4 MiB CMA area moved into lowmem (checked below with computeLayout). */
const LOWMEM_CMA = 'tiny,cma=4M@0x80400000';
/** The same board without the carveout heap, whose creation zeroing aliases from boot (HEAP-CARVEOUT-1). */
const LOWMEM_CMA_NO_CARVEOUT = `${LOWMEM_CMA},heaps=system+system-contig+cma`;
const KiB = 1024;
const noCarveout = (depth: number) =>
  buildAlphabet(depth).filter((l) => !(l.op.op === 'alloc' && l.op.heap === 'carveout'));

describe('explore on tiny', () => {
  it('cma-direct-remap has no violation within depth 3', () => {
    const r = explore({ profile: 'tiny', design: 'cma-direct-remap', depth: 3 });
    expect(r.modelBugs).toEqual([]);
    expect(r.stoppedBy).toBeNull();
    expect(r.depthCompleted).toBe(3);
    for (const id of INVARIANT_IDS) expect(r.counterexamples[id], id).toBeNull();
    expect(r.distinctStates).toBeGreaterThan(1000);
    expect(r.statesExplored).toBeGreaterThanOrEqual(r.distinctStates - 1);
  });

  it('legacy-3.18 violates vmalloc-bounded at depth 1 with one uncached CMA alloc', () => {
    const r = explore({ profile: 'tiny', design: 'legacy-3.18', depth: 2, invariants: ['vmalloc-bounded'] });
    const c = r.counterexamples['vmalloc-bounded'];
    expect(c).not.toBeNull();
    expect(c!.depth).toBe(1);
    expect(c!.ops).toEqual([{ op: 'alloc', client: 1, heap: 'cma', len: 16 * KiB }]);
    expect(c!.message).toMatch(/pinned by unmapped buffers/);
    expect(r.stoppedBy).toBe('all-found');
    // the counterexample replays on a fresh machine
    const run = runOps(resolveProfile('tiny'), builtinDesign('legacy-3.18')!, c!.ops, {
      invariants: ['vmalloc-bounded'],
    });
    expect(run.firstViolations.get('vmalloc-bounded')?.step).toBe(0);
  });

  it('the other built-in designs hold vmalloc-bounded on tiny within depth 2', () => {
    for (const d of ['no-kernel-mapping', 'cma-direct', 'cma-direct-remap']) {
      const r = explore({ profile: 'tiny', design: d, depth: 2, invariants: ['vmalloc-bounded'] });
      expect(r.counterexamples['vmalloc-bounded'], d).toBeNull();
    }
  });
});

describe('explore with CMA in lowmem', () => {
  it('the profile places the CMA area in lowmem', () => {
    const l = computeLayout(resolveProfile(LOWMEM_CMA));
    expect(l.cma).toEqual({ base: 0x80400000, size: 4 << 20, zone: 'lowmem' });
    expect(l.cma!.base + l.cma!.size).toBeLessThanOrEqual(l.lowmemLimit);
  });

  it('cma-direct violates no-conflicting-alias at depth exactly 2: alloc + kmap', () => {
    const r = explore({
      profile: LOWMEM_CMA_NO_CARVEOUT,
      design: 'cma-direct',
      depth: 3,
      invariants: ['no-conflicting-alias'],
      alphabet: noCarveout(3),
    });
    const c = r.counterexamples['no-conflicting-alias'];
    expect(c?.depth).toBe(2);
    expect(c!.ops).toEqual([
      { op: 'alloc', client: 1, heap: 'cma', len: 16 * KiB },
      { op: 'kmap', client: 1, handle: 0 },
    ]);
    expect(c!.message).toMatch(/WB\+NC/);
  });

  it('with the carveout heap on the board the boot state itself violates: its creation alias (HEAP-CARVEOUT-1)', () => {
    const r = explore({
      profile: LOWMEM_CMA,
      design: 'cma-direct',
      depth: 2,
      invariants: ['no-conflicting-alias'],
    });
    const c = r.counterexamples['no-conflicting-alias'];
    expect(c?.depth).toBe(0);
    expect(c?.ops).toEqual([]);
    expect(c!.message).toMatch(/pfn 0x80200 is mapped WB and NC through stale TLB entries/);
  });

  it('cma-direct-remap holds no-conflicting-alias there within depth 2', () => {
    const r = explore({
      profile: LOWMEM_CMA,
      design: 'cma-direct-remap',
      depth: 2,
      invariants: ['no-conflicting-alias'],
    });
    expect(r.counterexamples['no-conflicting-alias']).toBeNull();
  });
});

describe('certify', () => {
  const allocKmap: Op[] = [
    { op: 'alloc', client: 1, heap: 'cma', len: 16 * KiB },
    { op: 'kmap', client: 1, handle: 0 },
  ];
  const padded: Op[] = [
    { op: 'driver-vmap', pages: 8 },
    { op: 'alloc', client: 2, heap: 'cma', len: 64 * KiB },
    { op: 'purge' },
    { op: 'kmap', client: 2, handle: 0 },
  ];

  it('confirms a 2-op trace is shortest', () => {
    const c = certify(LOWMEM_CMA_NO_CARVEOUT, 'cma-direct', 'no-conflicting-alias', allocKmap, 6, {
      alphabet: noCarveout(1),
    });
    expect(c.verdict).toBe('shortest');
    expect(c.length).toBe(2);
    expect(c.bound).toBe(1);
    expect(c.ops).toEqual(allocKmap);
  });

  it('finds a shorter trace for a padded 4-op trace', () => {
    const c = certify(LOWMEM_CMA_NO_CARVEOUT, 'cma-direct', 'no-conflicting-alias', padded, 6, {
      alphabet: noCarveout(3),
    });
    expect(c.verdict).toBe('shorter-found');
    expect(c.length).toBe(4);
    expect(c.ops).toEqual(allocKmap);
  });

  it('with the default alphabet: a double release is shortest at 2 ops, and a padded one is cut', () => {
    const twoOps: Op[] = [
      { op: 'alloc', client: 1, heap: 'cma', len: 16 * KiB },
      { op: 'free', client: 1, handle: 0 },
    ];
    const ok = certify('tiny', 'zoo/b15-double-release', 'freed-completely', twoOps, 5);
    expect(ok.verdict).toBe('shortest');
    const four: Op[] = [
      { op: 'purge' },
      { op: 'alloc', client: 2, heap: 'cma', len: 64 * KiB },
      { op: 'shrink' },
      { op: 'free', client: 2, handle: 0 },
    ];
    const cut = certify('tiny', 'zoo/b15-double-release', 'freed-completely', four, 5);
    expect(cut.verdict).toBe('shorter-found');
    expect(cut.ops).toHaveLength(2);
  });

  it('bounds, non-violating traces and the trace prefix', () => {
    const bounded = certify(LOWMEM_CMA_NO_CARVEOUT, 'cma-direct', 'no-conflicting-alias', padded, 0);
    expect(bounded.verdict).toBe('no-shorter-within-bound');
    expect(bounded.bound).toBe(0);
    const none = certify('tiny', 'cma-direct-remap', 'vmalloc-bounded', allocKmap, 3);
    expect(none.verdict).toBe('does-not-violate');
    // ops after the first violation are not part of the certified trace
    const tail = certify('tiny', 'legacy-3.18', 'vmalloc-bounded', [allocKmap[0]!, { op: 'purge' }], 3);
    expect(tail).toMatchObject({ verdict: 'shortest', length: 1, ops: [allocKmap[0]] });
  });
});

describe('search mechanics', () => {
  it('the shortcuts (unknown ids, duplicate transitions) change no result', () => {
    for (const d of ['legacy-3.18', 'zoo/b3-free-race']) {
      const fast = explore({ profile: 'tiny', design: d, depth: 2, stopWhenAllFound: false });
      const slow = explore({
        profile: 'tiny',
        design: d,
        depth: 2,
        stopWhenAllFound: false,
        skipUnknownIds: false,
        checkDuplicates: true,
      });
      expect(slow.distinctStates).toBe(fast.distinctStates);
      expect(slow.statesExplored).toBeGreaterThan(fast.statesExplored);
      for (const id of INVARIANT_IDS)
        expect(fast.counterexamples[id]?.ops, id).toEqual(slow.counterexamples[id]?.ops);
    }
  });

  it('is deterministic', () => {
    const a = explore({ profile: 'tiny', design: 'cma-direct', depth: 2 });
    const b = explore({ profile: 'tiny', design: 'cma-direct', depth: 2 });
    expect([a.statesExplored, a.distinctStates]).toEqual([b.statesExplored, b.distinctStates]);
    for (const id of INVARIANT_IDS) expect(a.counterexamples[id]?.ops).toEqual(b.counterexamples[id]?.ops);
  });

  it('stops at max-states and says how deep it is complete', () => {
    const r = explore({ profile: 'tiny', design: 'cma-direct-remap', depth: 3, maxStates: 50 });
    expect(r.stoppedBy).toBe('max-states');
    expect(r.distinctStates).toBe(50);
    expect(r.depthCompleted).toBe(1);
  });

  it('reports an exception out of apply as a model bug with its trace, and goes on', () => {
    const base = builtinDesign('cma-direct')!;
    const broken = (h: IonHeap): IonHeap =>
      new Proxy(h, {
        get(t, p) {
          if (p === 'mapKernel')
            return () => {
              throw new Error('boom in mapKernel');
            };
          if (p === 'clone') return () => broken(t.clone());
          const v = Reflect.get(t, p, t);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
    const design = defineDesign({
      id: 'test/kmap-throws',
      summary: 'cma-direct whose system heap throws in map_kernel',
      citations: [],
      dmaLayer: '4.1',
      heaps: (ctx) => base.heaps(ctx).map((h) => (h.name === 'system' ? broken(h) : h)),
    });
    const r = explore({ profile: 'tiny', design, depth: 2, invariants: ['refcounts-balanced'] });
    expect(r.modelBugs).toHaveLength(1);
    expect(r.modelBugs[0]).toMatchObject({
      check: 'exception',
      ops: [
        { op: 'alloc', client: 1, heap: 'system', len: 16 * KiB },
        { op: 'kmap', client: 1, handle: 0 },
      ],
    });
    expect(r.modelBugs[0]!.message).toMatch(/boom in mapKernel/);
    expect(r.depthCompleted).toBe(2);
  });
});

describe('fingerprints and symmetry reduction', () => {
  /** The shortest length of each invariant's counterexample (null: none), and the ops found. */
  const lengths = (r: ReturnType<typeof explore>) =>
    Object.fromEntries(INVARIANT_IDS.map((id) => [id, r.counterexamples[id]?.depth ?? null]));
  const traces = (r: ReturnType<typeof explore>) => INVARIANT_IDS.map((id) => r.counterexamples[id]?.ops);

  it('64-bit fingerprints count the same distinct states as full sha256 keys, with and without the reduction', () => {
    for (const design of [
      'legacy-3.18',
      'cma-direct-remap',
      'dmabuf-heap-cma',
      'zoo/m05-zero-via-kmap-atomic',
    ])
      for (const symmetry of [false, true]) {
        const o = { profile: 'tiny', design, depth: 2, stopWhenAllFound: false, symmetry } as const;
        const fp = explore(o);
        const exact = explore({ ...o, exact: true });
        expect(fp.keys).toBe('fp64');
        expect(exact.keys).toBe('sha256');
        expect(fp.distinctStates, `${design} ${symmetry}`).toBe(exact.distinctStates);
        expect(fp.statesExplored).toBe(exact.statesExplored);
        expect(traces(fp)).toEqual(traces(exact));
      }
  });

  it('the reduction keeps every shortest length on every built-in and zoo design (depth 2, zoo alphabet)', () => {
    for (const d of ALL_DESIGNS) {
      const o = { profile: 'tiny', design: d, depth: 2, alphabet: zooAlphabet(2) } as const;
      const reduced = explore(o);
      const full = explore({ ...o, symmetry: false });
      expect(reduced.symmetries, d.id).toBe(1);
      expect(full.symmetries).toBe(0);
      expect(lengths(reduced), d.id).toEqual(lengths(full));
      expect(reduced.distinctStates, d.id).toBeLessThan(full.distinctStates);
    }
  });

  it('and at depth 3 on two designs, where it halves the states', () => {
    for (const design of ['legacy-3.18', 'zoo/m21-handle-destroy-keeps-kmaps']) {
      const o = { profile: 'tiny', design, depth: 3, alphabet: zooAlphabet(3) } as const;
      const reduced = explore(o);
      const full = explore({ ...o, symmetry: false });
      expect(lengths(reduced), design).toEqual(lengths(full));
      expect(reduced.distinctStates).toBeLessThan(0.6 * full.distinctStates);
    }
  });

  it("is off when the alphabet is not symmetric (certify adds a trace's own ops)", () => {
    const r = explore({
      profile: 'tiny',
      design: 'cma-direct',
      depth: 1,
      alphabet: [...buildAlphabet(1)].filter(
        (l) => !('client' in l.op) || l.op.client === 1 || l.op.op !== 'alloc',
      ),
    });
    expect(r.symmetries).toBe(0);
  });
});

describe('the frontier over worker processes', () => {
  it('gives the inline result: counterexamples, counts, model bugs (exact keys, no reduction)', async () => {
    const o = {
      profile: 'tiny',
      design: 'zoo/b3-free-race',
      depth: 3,
      stopWhenAllFound: false,
      exact: true,
      symmetry: false,
      alphabet: zooAlphabet(3),
    } as const;
    const inline = explore(o);
    const sharded = await exploreSharded(o, 3);
    expect(sharded.workers).toBe(3);
    const same = (r: ReturnType<typeof explore>) => ({
      ...r,
      elapsedMs: 0,
      timing: null,
      workers: 0,
      counterexamples: Object.fromEntries(
        Object.entries(r.counterexamples).map(([id, c]) => [id, c && { ...c, elapsedMs: 0 }]),
      ),
    });
    expect(same(sharded)).toEqual(same(inline));
    expect(Object.values(inline.counterexamples).some((c) => c !== null)).toBe(true);
  });

  it('stops at the time limit with the levels it completed, and refuses a design it cannot load by id', async () => {
    const r = await exploreSharded({ profile: 'tiny', design: 'cma-direct', depth: 3, timeLimitMs: 1 }, 2);
    expect(r.stoppedBy).toBe('time-limit');
    expect(r.depthCompleted).toBe(0);
    const custom = defineDesign({ ...builtinDesign('cma-direct')!, id: 'test/custom', ionCore: undefined });
    await expect(exploreSharded({ profile: 'tiny', design: custom, depth: 1 }, 2)).rejects.toThrow(
      /--workers needs a built-in design/,
    );
  });
});
