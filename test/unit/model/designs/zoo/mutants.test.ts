/**
 * The zoo's mutants of our own making (src/model/designs/zoo/mutants.ts): cma-direct-remap with one
 * small slip planted. Each breaks the invariant it declares on a short hand-written sequence, and
 * cma-direct-remap holds on the same sequence: the planted fault is the only difference. Both
 * checker forms agree. (Moved from test/unit/zoo/zoo-designs.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { cmaDirectRemap } from '../../../../../src/model/designs/cma-direct-remap.ts';
import { MUTANTS } from '../../../../../src/model/designs/zoo/mutants.ts';
import type { Op } from '../../../../../src/model/ops.ts';
import { resolveProfile } from '../../../../../src/model/profile.ts';
import { INVARIANT_IDS } from '../../../../../src/spec/index.ts';
import { alloc, boot, KiB } from '../../../../helpers/kernel.ts';
import { caseKey, expectPlantedBug, free0, mmap0, reuse, share } from '../../../../helpers/zoo.ts';

/** mutant id (without zoo/) -> the sequence that shows its bug. */
const CASES: Record<string, Op[]> = {
  'm01-no-restore-on-free': [alloc(4 * KiB), free0],
  'm02-restore-one-short': [alloc(8 * KiB), free0],
  'm03-zero-skips-order0': reuse(4 * KiB),
  'm04-zero-skips-tail-batch': reuse(16 * KiB),
  'm05-zero-via-kmap-atomic': [alloc(4 * KiB), share, mmap0],
  'm06-no-purge-before-restore': [
    alloc(1024 * KiB),
    { op: 'kmap', client: 1, handle: 0 },
    { op: 'kunmap', client: 1, handle: 0 },
    free0,
  ],
  'm07-no-purge-before-uncached': [
    alloc(1024 * KiB, { cached: true }),
    { op: 'kmap', client: 1, handle: 0 },
    { op: 'kunmap', client: 1, handle: 0 },
    free0,
    alloc(1024 * KiB),
  ],
  // a leak of one cached buffer (no linear flip writes its pages) among live ones: seen at its
  // free, not at quiescence, by both checker forms
  'm08-cma-leak-order5': [
    alloc(4 * KiB),
    alloc(128 * KiB, { cached: true }),
    { op: 'free', client: 1, handle: 1 },
  ],
  'm09-cma-release-one-short': [
    alloc(4 * KiB),
    alloc(16 * KiB, { cached: true }),
    { op: 'free', client: 1, handle: 1 },
  ],
  'm10-cma-align-rounds-down': [alloc(4 * KiB), alloc(12 * KiB)],
  'm11-cma-align-cap-one-less': [alloc(4 * KiB), alloc(1024 * KiB)],
  'm12-mmap-offset-twice': [alloc(16 * KiB), share, { op: 'mmap', fd: 0, pgoff: 2, pages: 2 }],
  'm13-mmap-one-past-end': [alloc(16 * KiB), share, mmap0],
  'm14-cma-zero-uncached-only': reuse(16 * KiB, true),
  'm15-kmap-count-underflow': [alloc(4 * KiB), { op: 'kunmap', client: 1, handle: 0 }],
  'm16-close-double-put': [alloc(4 * KiB), share, mmap0, { op: 'close', fd: 0 }],
  'm17-share-without-ref': [alloc(4 * KiB), share],
  'm18-attach-without-file-ref': [alloc(4 * KiB), share, { op: 'dma-map', fd: 0, device: 'gpu' }],
  'm19-munmap-without-put': [alloc(4 * KiB), share, mmap0, { op: 'munmap', vma: 0 }],
  'm20-detach-without-put': [
    alloc(4 * KiB),
    share,
    { op: 'dma-map', fd: 0, device: 'gpu' },
    { op: 'dma-unmap', fd: 0, device: 'gpu' },
  ],
  'm21-handle-destroy-keeps-kmaps': [
    alloc(4 * KiB),
    { op: 'kmap', client: 1, handle: 0 },
    share,
    { op: 'import', client: 2, fd: 0 },
    free0,
  ],
};

describe('mutants: each is cma-direct-remap with one slip, declared as a zoo target', () => {
  it('there are at least 20, m01.. in order, each with a case here', () => {
    expect(MUTANTS.length).toBeGreaterThanOrEqual(20);
    expect(MUTANTS.map(caseKey)).toEqual(Object.keys(CASES));
    for (const [i, d] of MUTANTS.entries())
      expect(d.id).toMatch(new RegExp(`^zoo/m${String(i + 1).padStart(2, '0')}-`));
  });

  it('each declares its own id as the bug, a profile that boots and invariants the checker knows', () => {
    for (const d of MUTANTS) {
      expect(d.zoo, d.id).toBeDefined();
      expect(d.zoo!.bug, d.id).toBe(caseKey(d));
      expect(() => resolveProfile(d.zoo!.profile), d.id).not.toThrow();
      for (const inv of d.zoo!.invariants) expect(INVARIANT_IDS, d.id).toContain(inv);
    }
  });

  it("each runs cma-direct-remap's stack: the 4.1 DMA layer, the same four heaps, and cites its base", () => {
    const base = boot('tiny', 'cma-direct-remap');
    const heapsOf = (k: ReturnType<typeof boot>) => k.ion.heaps.map((h) => `${h.name}:${h.id}`);
    for (const d of MUTANTS) {
      expect(d.dmaLayer, d.id).toBe(cmaDirectRemap.dmaLayer);
      expect(d.citations.join(' '), d.id).toMatch(/mutant of cma-direct-remap/);
      expect(heapsOf(boot('tiny', d.id)), d.id).toEqual(heapsOf(base));
    }
  });
});

describe('zoo designs: each breaks its invariant on a short sequence; the base holds', () => {
  for (const d of MUTANTS) {
    const ops = CASES[caseKey(d)] ?? [];
    it(`${d.id} breaks ${d.zoo?.invariants.join(' or ')} on ${d.zoo?.profile}; cma-direct-remap holds`, () => {
      expectPlantedBug(d, ops, 'cma-direct-remap');
    });
  }
});
