/**
 * Known bugs planted beside the index's four (src/model/designs/zoo/known-bugs.ts): B4 (IMPORT's
 * kref_get without an overflow check, ION-12), B5 (the 3.16/3.17 aligned mask, CMA-1) and B6 (alloc
 * via buddy, free as CMA: DMA41-4 / DMA318-8), each on cma-direct-remap, so the planted bug is the
 * only violation. (Cases moved from test/unit/zoo/zoo-designs.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { KNOWN_BUGS } from '../../../../../src/model/designs/zoo/known-bugs.ts';
import type { Op } from '../../../../../src/model/ops.ts';
import { alloc, boot, KiB } from '../../../../helpers/kernel.ts';
import { caseKey, expectPlantedBug, share } from '../../../../helpers/zoo.ts';

const CASES: Record<string, Op[]> = {
  'b4-kref-overflow': [
    alloc(4 * KiB),
    share,
    { op: 'import', client: 1, fd: 0 },
    { op: 'import', client: 1, fd: 0 },
    { op: 'import', client: 1, fd: 0 },
  ],
  'b5-aligned-mask': [alloc(64 * KiB)],
  'b6-alloc-buddy-free-cma': [
    alloc(4 * KiB),
    alloc(16 * KiB, { cached: true }),
    { op: 'free', client: 1, handle: 1 },
  ],
};

describe('known-bugs.ts: B4, B5, B6', () => {
  it('declares B4, B5 and B6, each with a case here', () => {
    expect(KNOWN_BUGS.map((d) => d.zoo?.bug)).toEqual(['B4', 'B5', 'B6']);
    expect(KNOWN_BUGS.map(caseKey).sort()).toEqual(Object.keys(CASES).sort());
  });

  it('B4: the handle kref is narrowed to 2 bits, so the third IMPORT wraps it to 0', () => {
    const k = boot('tiny', 'zoo/b4-kref-overflow');
    for (const op of CASES['b4-kref-overflow']!.slice(0, 4)) expect(k.apply(op).ok).toBe(true);
    expect(k.ion.handles[0]!.ref).toBe(3); // ALLOC's ref + two IMPORTs (ION-12 reuses the handle)
    expect(k.apply({ op: 'import', client: 1, fd: 0 })).toMatchObject({ ok: true, value: 0 });
    expect(k.ion.handles[0]!.ref).toBe(0);
    // the real 32-bit kref counts on
    const base = boot('tiny', 'cma-direct-remap');
    for (const op of CASES['b4-kref-overflow']!) base.apply(op);
    expect(base.ion.handles[0]!.ref).toBe(4);
  });

  it('B5: only the 3.16/3.17 mask is planted; the profile asks for order_per_bit 1', () => {
    const d = KNOWN_BUGS.find((x) => x.zoo?.bug === 'B5')!;
    expect(d.cmaMaskShiftsOrder).toBe(true);
    expect(d.zoo!.profile).toContain('cma-order-per-bit=1');
  });

  it('B6: the buffer comes from the buddy allocator (lowmem) and cma_release refuses it at free', () => {
    const k = boot('tiny', 'zoo/b6-alloc-buddy-free-cma');
    expect(k.apply(alloc(16 * KiB, { cached: true })).ok).toBe(true);
    const pages = k.ion.handles[0]!.buffer.pages;
    const cma = k.mm.cma!;
    expect(pages[0]! < cma.basePage || pages[0]! >= cma.basePage + cma.count).toBe(true);
    const free = k.mm.normal.freePagesCount;
    k.apply({ op: 'free', client: 1, handle: 0 });
    // nothing went back to the buddy allocator: the pages leak
    expect(k.mm.normal.freePagesCount).toBe(free);
  });

  for (const d of KNOWN_BUGS) {
    it(`${d.id} breaks ${d.zoo?.invariants.join(' or ')} on ${d.zoo?.profile}; cma-direct-remap holds`, () => {
      expectPlantedBug(d, CASES[caseKey(d)] ?? [], 'cma-direct-remap');
    });
  }
});
