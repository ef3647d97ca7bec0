/**
 * The action arbitraries: boundary sizes are the sizes where page arithmetic turns over, and the
 * allocation biases hold (an explicit alignment is rare on the heaps that refuse one above
 * PAGE_SIZE, so their allocations are not mostly -EINVAL).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTION_WEIGHTS,
  type Action,
  actionArb,
  BOUNDARY_PAGES,
  RECYCLE_WEIGHTS,
} from '../../../src/properties/arbitraries.ts';

const SEED = 777;
type Alloc = Extract<Action, { kind: 'alloc' }>;
const allocs = (weights = ACTION_WEIGHTS) =>
  fc.sample(actionArb(weights), { numRuns: 6000, seed: SEED }).filter((a): a is Alloc => a.kind === 'alloc');
const share = (xs: readonly Alloc[], p: (a: Alloc) => boolean) => xs.filter(p).length / xs.length;

describe('arbitraries', () => {
  it('boundary sizes: 1, 2, 3 and 2^k - 1, 2^k, 2^k + 1 pages up to 4096', () => {
    expect(BOUNDARY_PAGES.slice(0, 8)).toEqual([1, 2, 3, 4, 5, 7, 8, 9]);
    expect(new Set(BOUNDARY_PAGES).size).toBe(BOUNDARY_PAGES.length);
    expect(BOUNDARY_PAGES).toContain(4095);
    expect(BOUNDARY_PAGES).toContain(4097);
    expect(Math.max(...BOUNDARY_PAGES)).toBe(4097);
  });

  it('the other heaps see an explicit alignment about one time in eight; CMA about one in four', () => {
    const xs = allocs();
    const other = xs.filter((a) => a.heap !== 'cma');
    const cma = xs.filter((a) => a.heap === 'cma');
    expect(share(other, (a) => a.align !== undefined)).toBeGreaterThan(0.06);
    expect(share(other, (a) => a.align !== undefined)).toBeLessThan(0.2);
    expect(share(cma, (a) => a.align !== undefined)).toBeGreaterThan(0.18);
    expect(share(cma, (a) => a.align !== undefined)).toBeLessThan(0.33);
  });

  it('the everyday mix never reuses; the recycle weights draw on use and release', () => {
    expect(allocs().some((a) => a.reuse)).toBe(false);
    expect(RECYCLE_WEIGHTS.use).toBeGreaterThan(0);
    expect(RECYCLE_WEIGHTS.release).toBeGreaterThan(0);
    const kinds = new Set(
      fc.sample(actionArb(RECYCLE_WEIGHTS), { numRuns: 500, seed: SEED }).map((a) => a.kind),
    );
    expect(kinds).toEqual(
      new Set(['alloc', 'use', 'release', 'kmap', 'kunmap', 'dma-map', 'import', 'driver-vmap']),
    );
  });
});
