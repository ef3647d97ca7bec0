/**
 * struct cma (CMA-1, CMA-4, CMA-5) against a deliberately simple reference: a boolean array
 * searched candidate by candidate. Random sequences of allocs (sizes, alignments), releases of
 * live allocations, double releases, mis-sized releases and releases outside the area, with
 * exhaustion and fragmentation; both must agree on every result and on the bitmap.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cma, cmaBitmapAlignedMask, cmaBitmapAlignedMaskShiftsOrder } from '../../../src/model/cma.ts';

/** The reference: every candidate index that is a multiple of mask + 1, tried in order. */
class RefCma {
  readonly bits: boolean[];
  constructor(
    readonly base: number,
    readonly count: number,
    readonly orderPerBit: number,
  ) {
    this.bits = new Array(count >> orderPerBit).fill(false);
  }
  alloc(count: number, align: number): number {
    if (this.count === 0 || count === 0) return -1;
    const mask = align <= this.orderPerBit ? 0 : 2 ** (align - this.orderPerBit) - 1;
    const nr = Math.ceil(count / 2 ** this.orderPerBit);
    for (let i = 0; i + nr <= this.bits.length; i += mask + 1) {
      if (this.bits.slice(i, i + nr).every((b) => !b)) {
        for (let j = i; j < i + nr; j++) this.bits[j] = true;
        return this.base + i * 2 ** this.orderPerBit;
      }
    }
    return -1;
  }
  release(page: number, count: number): { released: boolean; alreadyClear: number } {
    if (page < this.base || page >= this.base + this.count) return { released: false, alreadyClear: 0 };
    const start = (page - this.base) >> this.orderPerBit;
    const end = Math.min(this.bits.length, start + Math.ceil(count / 2 ** this.orderPerBit));
    let alreadyClear = 0;
    for (let i = start; i < end; i++) {
      if (!this.bits[i]) alreadyClear++;
      this.bits[i] = false;
    }
    return { released: true, alreadyClear };
  }
}

type Step =
  | { kind: 'alloc'; count: number; align: number }
  | { kind: 'release'; which: number; countDelta: number }
  | { kind: 'release-again'; which: number }
  | { kind: 'release-outside'; offset: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('alloc' as const),
      count: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 300 })),
      align: fc.integer({ min: 0, max: 9 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('release' as const),
      which: fc.nat(),
      countDelta: fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 3 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release-again' as const), which: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('release-outside' as const),
      offset: fc.integer({ min: 1, max: 64 }),
    }),
  },
);

describe('struct cma against a simple reference', () => {
  for (const orderPerBit of [0, 1, 2]) {
    it(`agrees on every step (order_per_bit ${orderPerBit}, 3,000 sequences, seed 5)`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 4 }),
          fc.array(stepArb, { maxLength: 120 }),
          (sizeSel, steps) => {
            const count = [0, 64, 256, 512, 1000][sizeSel]! & ~((1 << orderPerBit) - 1);
            const base = 4096;
            const cma = new Cma('t', base, count, orderPerBit);
            const ref = new RefCma(base, count, orderPerBit);
            const live: { page: number; count: number }[] = [];
            const gone: { page: number; count: number }[] = [];
            for (const s of steps) {
              switch (s.kind) {
                case 'alloc': {
                  const a = cma.cmaAlloc(s.count, s.align).page;
                  expect(a).toBe(ref.alloc(s.count, s.align));
                  if (a >= 0) live.push({ page: a, count: s.count });
                  break;
                }
                case 'release': {
                  if (live.length === 0) break;
                  const [x] = live.splice(s.which % live.length, 1);
                  const n = Math.max(1, x!.count + s.countDelta);
                  expect(cma.cmaRelease(x!.page, n)).toEqual(ref.release(x!.page, n));
                  gone.push(x!);
                  break;
                }
                case 'release-again': {
                  if (gone.length === 0) break;
                  const x = gone[s.which % gone.length]!;
                  expect(cma.cmaRelease(x.page, x.count)).toEqual(ref.release(x.page, x.count));
                  break;
                }
                case 'release-outside':
                  expect(cma.cmaRelease(base - s.offset, 1)).toEqual(ref.release(base - s.offset, 1));
                  expect(cma.cmaRelease(base + count + s.offset - 1, 1)).toEqual(
                    ref.release(base + count + s.offset - 1, 1),
                  );
                  break;
              }
              expect(Array.from(cma.bits, (b) => b === 1)).toEqual(ref.bits);
              expect(cma.usedPages).toBe(ref.bits.filter(Boolean).length << orderPerBit);
            }
          },
        ),
        { seed: 5, numRuns: 1000 },
      );
    });
  }

  it('CMA-4: first fit from index 0 every call, at multiples of the aligned mask + 1 (GOLD-11/12)', () => {
    const cma = new Cma('default', 0, 65_536);
    expect(cma.cmaAlloc(64, 6).page).toBe(0); // the atomic pool, GOLD-8
    expect(cma.cmaAlloc(256, 8).page).toBe(256); // GOLD-12: bit 256
    expect(cma.cmaAlloc(25, 5).page).toBe(64); // 100,000 bytes: 25 pages at a 32-page boundary (GOLD-11)
    expect(cma.cmaAlloc(256, 8).page).toBe(512);
    cma.cmaRelease(256, 256);
    expect(cma.cmaAlloc(256, 8).page).toBe(256);
  });

  it('CMA-5: no ownership check: a double release and a mis-sized release are accepted', () => {
    const cma = new Cma('default', 100, 1024);
    const a = cma.cmaAlloc(16, 4).page;
    expect(cma.cmaRelease(a, 16)).toEqual({ released: true, alreadyClear: 0 });
    expect(cma.cmaRelease(a, 16)).toEqual({ released: true, alreadyClear: 16 });
    expect(cma.cmaRelease(99, 1)).toEqual({ released: false, alreadyClear: 0 });
  });

  it('B5: the 3.16/3.17 mask differs from 3.18 only when order_per_bit > 0', () => {
    for (let o = 0; o <= 10; o++)
      expect(cmaBitmapAlignedMaskShiftsOrder(o, 0)).toBe(cmaBitmapAlignedMask(o, 0));
    expect(cmaBitmapAlignedMask(8, 2)).toBe(63);
    expect(cmaBitmapAlignedMaskShiftsOrder(8, 2)).toBe(3);
  });
});

describe('Cma.clone(reuse)', () => {
  it('gives back the source bitmap and usage, whatever the earlier clone allocated or released', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 40 })), { maxLength: 30 }),
        (steps) => {
          const area = new Cma('reserved', 1000, 512, 1);
          area.cmaAlloc(64, 0);
          const c = area.clone();
          for (const [alloc, n] of steps) {
            if (alloc) c.cmaAlloc(n, 0);
            else c.cmaRelease(1000 + n * 4, n);
          }
          const r = area.clone(c);
          expect(r).toBe(c);
          expect([...r.bits]).toEqual([...area.bits]);
          expect(r.usedPages).toBe(area.usedPages);
        },
      ),
      { seed: 5, numRuns: 200 },
    );
  });
});
