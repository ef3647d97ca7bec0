/** The invariant contract: checkers only read the kernel and report one line, a few pfns, mappings. */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { mappingsOf } from '../../../src/spec/describe.ts';
import { INVARIANTS } from '../../../src/spec/index.ts';
import { INVARIANT_IDS } from '../../../src/spec/invariant.ts';
import { bootWith, KiB, uncachedCma } from '../../helpers/kernel.ts';

describe('INVARIANT_IDS', () => {
  it('seven unique kebab-case ids, type-ok not among them', () => {
    expect(INVARIANT_IDS).toHaveLength(7);
    expect(new Set(INVARIANT_IDS).size).toBe(7);
    for (const id of INVARIANT_IDS) expect(id).toMatch(/^[a-z]+(-[a-z]+)+$/);
    expect(INVARIANT_IDS as readonly string[]).not.toContain('type-ok');
  });
});

const share: Op = { op: 'share', client: 1, handle: 0 };
const free0: Op = { op: 'free', client: 1, handle: 0 };
/** Kernels that, between them, violate every invariant (tiny). */
const VIOLATING: [string, string, Op[]][] = [
  // carveout stale NC zeroing, B2, B9 (sg from a vmalloc address)
  [
    'tiny',
    'legacy-3.18',
    [uncachedCma(64 * KiB), share, { op: 'dma-map', fd: 0, device: 'gpu' }, { op: 'mmap', fd: 0 }],
  ],
  ['tiny', 'zoo/b15-double-release', [uncachedCma(4 * KiB), free0]],
  ['tiny', 'zoo/m17-share-without-ref', [uncachedCma(4 * KiB), share]],
  ['tiny,cma-order-per-bit=1', 'zoo/b5-aligned-mask', [uncachedCma(64 * KiB)]],
  [
    'tiny',
    'zoo/m03-zero-skips-order0',
    [
      uncachedCma(4 * KiB),
      share,
      { op: 'mmap', fd: 0 },
      { op: 'write', vma: 0 },
      { op: 'munmap', vma: 0 },
      { op: 'close', fd: 0 },
      free0,
      uncachedCma(4 * KiB),
    ],
  ],
];

/** What a checker could change by mistake: the model state, the op's touched pages and creations. */
function snapshot(k: Kernel): string {
  return `${k.hash()}|${k.opsApplied}|${[...k.mm.pages.touched()].join(',')}|${k.mm.mmu.creations.length}|${k.mm.mmu.mappings.size}`;
}

describe('the checker contract, on kernels violating every invariant', () => {
  it("checkers never change the kernel; violations carry their id, one line, a few pfns and the first pfn's mappings", () => {
    const violated = new Set<string>();
    for (const [profile, design, ops] of VIOLATING) {
      const k = bootWith(profile, design, ops);
      for (const inv of INVARIANTS) {
        for (const form of ['incremental', 'full'] as const) {
          const before = snapshot(k);
          const v = inv[form](k);
          expect(snapshot(k), `${inv.id} ${form} on ${design}`).toBe(before);
          if (!v) continue;
          violated.add(inv.id);
          expect(v.invariant).toBe(inv.id);
          expect(v.message.length).toBeGreaterThan(10);
          expect(v.message).not.toMatch(/\n/);
          expect(v.pfns.length).toBeLessThanOrEqual(4);
          if (v.mappings.length > 0)
            expect(v.mappings).toEqual(mappingsOf(k, v.pfns[0]! - k.mm.pages.basePfn));
        }
      }
    }
    expect([...violated].sort()).toEqual([...INVARIANT_IDS].sort());
  });
});
