/**
 * The zoo registry (src/model/designs/zoo/index.ts): B3, B12, B15 and B18 planted here, plus the
 * known-bugs, mutants and later-stack groups. Every zoo design declares where its bug lives; the
 * four planted here each break their invariant on a short sequence their base holds. (Cases moved
 * from test/unit/zoo/zoo-designs.test.ts; the other groups' cases live beside their files.)
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../../../src/model/designs/index.ts';
import { STACK_ZOO } from '../../../../../src/model/designs/zoo/b13-b14.ts';
import { ZOO_DESIGNS } from '../../../../../src/model/designs/zoo/index.ts';
import { KNOWN_BUGS } from '../../../../../src/model/designs/zoo/known-bugs.ts';
import { MUTANTS } from '../../../../../src/model/designs/zoo/mutants.ts';
import type { Op } from '../../../../../src/model/ops.ts';
import { resolveProfile } from '../../../../../src/model/profile.ts';
import { INVARIANT_IDS } from '../../../../../src/spec/index.ts';
import { alloc, boot, designById, KiB } from '../../../../helpers/kernel.ts';
import { caseKey, expectPlantedBug, free0 } from '../../../../helpers/zoo.ts';

const CASES: Record<string, Op[]> = {
  'b3-free-race': [alloc(4 * KiB), free0, { op: 'free', client: 1, handle: 0, race: true }],
  'b12-bytes-as-pages': [alloc(4 * KiB)],
  'b15-double-release': [alloc(4 * KiB), free0],
  'b18-flip-without-purge': [
    alloc(1024 * KiB),
    { op: 'kmap', client: 1, handle: 0 },
    { op: 'kunmap', client: 1, handle: 0 },
    free0,
  ],
};

/** The base each is planted in: cma-direct-remap, but B12 (4.12's heap, KEEP_LINEAR). */
const baseOf = (id: string) => (id === 'zoo/b12-bytes-as-pages' ? 'cma-direct' : 'cma-direct-remap');

const HERE = ZOO_DESIGNS.filter((d) => ![...KNOWN_BUGS, ...MUTANTS, ...STACK_ZOO].includes(d));

describe('ZOO_DESIGNS', () => {
  it('is the four planted here, then known-bugs.ts, mutants.ts and b13-b14.ts', () => {
    expect(HERE.map(caseKey)).toEqual(Object.keys(CASES));
    expect(ZOO_DESIGNS).toEqual([...HERE, ...KNOWN_BUGS, ...MUTANTS, ...STACK_ZOO]);
  });

  it('every zoo design declares where its bug lives: a zoo/ id, a profile that boots, known invariants', () => {
    const ids = new Set<string>();
    for (const d of ZOO_DESIGNS) {
      expect(d.id, d.id).toMatch(/^zoo\//);
      expect(ids.has(d.id), d.id).toBe(false);
      ids.add(d.id);
      expect(d.zoo, d.id).toBeDefined();
      expect(() => resolveProfile(d.zoo!.profile), d.id).not.toThrow();
      expect(d.zoo!.invariants.length, d.id).toBeGreaterThan(0);
      for (const inv of d.zoo!.invariants) expect(INVARIANT_IDS, d.id).toContain(inv);
    }
    // no zoo design shadows a built-in one
    for (const b of BUILTIN_DESIGNS) expect(ids.has(b.id)).toBe(false);
  });

  it('B3: only the zoo design lets a racing FREE put the destroyed handle; elsewhere it is -EINVAL', () => {
    for (const [design, ok] of [
      ['zoo/b3-free-race', true],
      ['cma-direct-remap', false],
    ] as const) {
      expect(designById(design).ionCore.freeDropsLock, design).toBe(ok);
      const k = boot('tiny', design);
      const r = CASES['b3-free-race']!.map((op) => k.apply(op));
      expect(r[2]!.ok, design).toBe(ok);
      if (!ok) expect(r[2]!.errno).toBe(22);
      expect(k.ion.handles[0]!.ref, design).toBe(ok ? -1 : 0);
    }
  });

  it('B12 (GOLD-21): a 4 KiB alloc takes 4,096 CMA pages at bit 64 = 0xB0040000; more than 61,440 bytes fails', () => {
    const k = boot('arm32-1g', 'zoo/b12-bytes-as-pages');
    const used = k.mm.cma!.usedPages;
    expect(k.apply(alloc(4 * KiB)).ok).toBe(true);
    expect(k.mm.cma!.usedPages - used).toBe(4096);
    const buf = k.ion.handles[0]!.buffer;
    expect(k.mm.pages.pfnOf(buf.pages[0]!)).toBe(0xb0040);
    expect(buf.pages.length).toBe(1);
    // 65,536 - 64 = 65,472 pages free in the area
    expect(boot('arm32-1g', 'zoo/b12-bytes-as-pages').apply(alloc(61_440)).ok).toBe(true);
    expect(boot('arm32-1g', 'zoo/b12-bytes-as-pages').apply(alloc(61_441)).ok).toBe(false);
  });

  it('B15: the second cma_release of the same pages is counted as a double free', () => {
    const k = boot('tiny', 'zoo/b15-double-release');
    k.apply(alloc(4 * KiB));
    const p = k.ion.handles[0]!.buffer.pages[0]!;
    k.apply(free0);
    expect(k.mm.pages.doubleFrees[p]).toBe(1);
    const base = boot('tiny', 'cma-direct-remap');
    base.apply(alloc(4 * KiB));
    base.apply(free0);
    expect(base.mm.pages.doubleFrees[p]).toBe(0);
  });

  for (const d of HERE) {
    it(`${d.id} breaks ${d.zoo?.invariants.join(' or ')} on ${d.zoo?.profile}; ${baseOf(d.id)} holds`, () => {
      expectPlantedBug(d, CASES[caseKey(d)] ?? [], baseOf(d.id));
    });
  }
});
