/**
 * DirtyChunks: what is marked is what a restore copies back, nothing else, for single elements,
 * chunks, ranges and long coalesced runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DirtyChunks } from '../../../src/model/dirty.ts';

describe('DirtyChunks', () => {
  it('copies back exactly the marked chunks, from every source array into its own', () => {
    const d = new DirtyChunks(100, 2);
    const src = [new Uint8Array(100).fill(1), new Int32Array(100).fill(-7)];
    const dst = [new Uint8Array(100).fill(9), new Int32Array(100).fill(9)];
    d.mark(5); // chunk [4, 8)
    d.markRange(97, 100); // chunk [96, 100)
    expect(d.count).toBe(2);
    d.restore(dst, src);
    const restored = (a: ArrayLike<number>, v: number) => [...Array(100).keys()].filter((i) => a[i] === v);
    expect(restored(dst[0]!, 1)).toEqual([4, 5, 6, 7, 96, 97, 98, 99]);
    expect(restored(dst[1]!, -7)).toEqual([4, 5, 6, 7, 96, 97, 98, 99]);
    expect(d.count).toBe(0);
  });

  it('after a restore, only what is marked anew is copied', () => {
    const d = new DirtyChunks(8, 0);
    const src = [new Int32Array(8).fill(1)];
    const dst = [new Int32Array(8)];
    d.mark(3);
    d.restore(dst, src);
    dst[0]!.fill(0);
    d.mark(6);
    d.restore(dst, src);
    expect([...dst[0]!]).toEqual([0, 0, 0, 0, 0, 0, 1, 0]);
  });

  it('restores any marked set, short runs and long ones alike (against a plain copy)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.tuple(fc.nat(999), fc.nat(200)), { maxLength: 30 }),
        (shift, writes) => {
          const n = 1000;
          const src = Int32Array.from({ length: n }, (_, i) => i);
          const dst = src.slice();
          const d = new DirtyChunks(n, shift);
          const want = src.slice();
          for (const [at, len] of writes) {
            const hi = Math.min(n, at + len + 1);
            d.markRange(at, hi);
            dst.fill(-1, at, hi);
          }
          d.restore([dst], [src]);
          expect([...dst]).toEqual([...want]);
        },
      ),
      { seed: 3, numRuns: 300 },
    );
  });
});
